"""Each URL's takedown record: the stages hotlines use, each with its time and source.

Stages (``takedown_events.stage``): ``detected``, ``assessed``, ``notice_sent`` (per
recipient), ``acknowledged`` (per recipient), ``online`` and ``offline`` (an analyst's
re-check or the optional header checker), ``resolved`` (closed by the analyst),
``reappeared`` (the brand came back on another URL; ``detail`` names it), ``check_error``
(the header checker got no usable answer; kept for the history, it counts as nothing).

Derived, exactly:

* *first notice* — the earliest ``notice_sent``;
* *removed at* — the first ``offline`` at or after the first notice, else the first
  ``resolved`` at or after it; *time to removal* = removed at − first notice;
* *reappearance* — a URL detected after another URL of the **same brand** was removed
  (or, when the URL has no brand, of the same distributor) is linked to the most recently
  removed one of them before its detection (ties: the smaller URL).

Two ways to the same derived times: :func:`build_records` (Python, every event of a URL; the
reference, and what the escalation ladder reads) and :func:`load_clocks` (one ``GROUP BY``
over ``takedown_events`` on the engine, giving a :class:`Clock` per URL: what feeds, league
tables and reappearance links read). ``tests/test_disrupt_clocks.py`` holds them equal.
"""

from __future__ import annotations

import csv
import hashlib
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from vigil.disrupt.cases import Case
from vigil.errors import InvalidRecord
from vigil.model import QuarantineReason

STAGES: tuple[str, ...] = ("detected", "assessed", "notice_sent", "acknowledged", "online", "offline", "resolved",
                           "reappeared", "check_error")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Event:
    url: str
    stage: str
    at: datetime
    source: str
    recipient: str | None = None
    detail: str | None = None

    @property
    def key(self) -> str:
        natural = "|".join([self.url, self.stage, self.at.isoformat(), self.source, self.recipient or "", self.detail or ""])
        return hashlib.sha256(natural.encode()).hexdigest()[:32]


@dataclass
class TakedownRecord:
    """One URL's stages. The derived times are computed once, when first asked: build the
    record completely (:func:`build_records`) before reading them."""

    url: str
    detected: datetime | None = None
    assessed: datetime | None = None
    notices: list[tuple[str, datetime]] = field(default_factory=list)  # (recipient key, at)
    acknowledged: dict[str, datetime] = field(default_factory=dict)
    checks: list[tuple[datetime, str, str]] = field(default_factory=list)  # (at, online|offline, source)
    resolved: datetime | None = None
    reappeared: list[tuple[datetime, str]] = field(default_factory=list)

    @cached_property
    def first_notice(self) -> datetime | None:
        return min((at for _, at in self.notices), default=None)

    @cached_property
    def first_offline(self) -> datetime | None:
        return min((at for at, status, _ in self.checks if status == "offline"), default=None)

    @cached_property
    def last_online(self) -> datetime | None:
        return max((at for at, status, _ in self.checks if status == "online"), default=None)

    @cached_property
    def removed_at(self) -> datetime | None:
        start = self.first_notice
        if start is None:
            return None
        offline = [at for at, status, _ in self.checks if status == "offline" and at >= start]
        if offline:
            return min(offline)
        return self.resolved if self.resolved is not None and self.resolved >= start else None

    def sent_to(self, recipient: str) -> list[datetime]:
        return sorted(at for key, at in self.notices if key == recipient)


class Clock(NamedTuple):
    """One URL's derived times (see the module's definitions), without its event lists.

    ``last_check`` is the latest ``online``/``offline`` re-check, ``first_ack`` the earliest
    acknowledgement from any recipient. A named tuple: made by the hundred thousand from rows."""

    url: str
    detected: datetime | None = None
    assessed: datetime | None = None
    first_notice: datetime | None = None
    first_offline: datetime | None = None
    last_online: datetime | None = None
    last_check: datetime | None = None
    resolved: datetime | None = None
    first_ack: datetime | None = None
    removed_at: datetime | None = None

    @classmethod
    def of(cls, record: TakedownRecord) -> Clock:
        """The reference: a record's derived times, computed in Python."""
        return cls(record.url, record.detected, record.assessed, record.first_notice, record.first_offline,
                   record.last_online, max((at for at, _, _ in record.checks), default=None), record.resolved,
                   min(record.acknowledged.values(), default=None), record.removed_at)  # fmt: skip


#: Each URL's clock from its events at or before ``$now`` (NULL: all), in :class:`Clock` field
#: order. Mirrors :func:`build_records`: a notice or an acknowledgement counts only with a
#: recipient; ``removed_at`` is the first offline at or after the first notice, else the
#: earliest ``resolved`` when that is at or after it.
CLOCKS_SQL = """
WITH e AS (
    SELECT url, stage, happened_at AS ts, coalesce(recipient, '') <> '' AS addressed
    FROM takedown_events WHERE $now IS NULL OR happened_at <= $now
), c AS (
    SELECT url,
           min(ts) FILTER (WHERE stage = 'detected') AS detected,
           min(ts) FILTER (WHERE stage = 'assessed') AS assessed,
           min(ts) FILTER (WHERE stage = 'notice_sent' AND addressed) AS first_notice,
           min(ts) FILTER (WHERE stage = 'offline') AS first_offline,
           max(ts) FILTER (WHERE stage = 'online') AS last_online,
           max(ts) FILTER (WHERE stage IN ('online', 'offline')) AS last_check,
           min(ts) FILTER (WHERE stage = 'resolved') AS resolved,
           min(ts) FILTER (WHERE stage = 'acknowledged' AND addressed) AS first_ack
    FROM e GROUP BY url
), gone AS (
    SELECT e.url, min(e.ts) AS offline_after_notice
    FROM e JOIN c ON e.url = c.url
    WHERE e.stage = 'offline' AND e.ts >= c.first_notice
    GROUP BY e.url
)
SELECT c.url, detected, assessed, first_notice, first_offline, last_online, last_check, resolved, first_ack,
       coalesce(gone.offline_after_notice, CASE WHEN resolved >= first_notice THEN resolved END) AS removed_at
FROM c LEFT JOIN gone ON c.url = gone.url
"""


def load_clocks(con: Any, *, now: datetime | None = None) -> dict[str, Clock]:
    """Every URL's :class:`Clock` from the store's events (at or before ``now``, if given), by URL."""
    cursor = con.execute(CLOCKS_SQL + " ORDER BY c.url", {"now": now})
    clocks: dict[str, Clock] = {}
    make = Clock._make
    while rows := cursor.fetchmany(100_000):
        for row in rows:
            clocks[row[0]] = make(row)
    return clocks


def build_records(events: Iterable[Event]) -> dict[str, TakedownRecord]:
    """Each URL's record from its events, in any order (the earliest time of a stage wins)."""
    records: dict[str, TakedownRecord] = {}
    for event in events:
        record = records.get(event.url)
        if record is None:
            record = records[event.url] = TakedownRecord(event.url)
        stage, at = event.stage, event.at
        if stage == "notice_sent":
            if event.recipient:
                record.notices.append((event.recipient, at))
        elif stage in ("online", "offline"):
            record.checks.append((at, stage, event.source))
        elif stage == "detected":
            record.detected = at if record.detected is None or at < record.detected else record.detected
        elif stage == "assessed":
            record.assessed = at if record.assessed is None or at < record.assessed else record.assessed
        elif stage == "acknowledged" and event.recipient:
            known = record.acknowledged.get(event.recipient)
            record.acknowledged[event.recipient] = at if known is None or at < known else known
        elif stage == "resolved":
            record.resolved = at if record.resolved is None or at < record.resolved else record.resolved
        elif stage == "reappeared" and event.detail:
            record.reappeared.append((at, event.detail))
    return records


@dataclass(frozen=True, slots=True)
class Reappearance:
    url: str
    came_back_from: str
    at: datetime
    via: str  # brand:… or distributor:…


def link_reappearances(cases: Iterable[Case], records: Mapping[str, TakedownRecord | Clock]) -> list[Reappearance]:
    """Each URL detected after a removal of its brand (else distributor), linked to that URL."""
    removed: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    detected: list[tuple[str, datetime, str]] = []
    for case in cases:
        record = records.get(case.url)
        if record is None:
            continue
        group = f"brand:{case.brand}" if case.brand else f"distributor:{case.distributor}" if case.distributor else None
        if group is None:
            continue
        if record.removed_at is not None:
            removed[group].append((record.removed_at, case.url))
        if record.detected is not None:
            detected.append((case.url, record.detected, group))
    for values in removed.values():
        values.sort()
    links = []
    for url, at, group in sorted(detected):
        gone = removed.get(group, [])
        cut = bisect_left(gone, at, key=lambda v: v[0])
        before = [v for v in gone[:cut] if v[1] != url]
        if before:
            latest = max(v[0] for v in before)
            origin = min(v[1] for v in before if v[0] == latest)
            links.append(Reappearance(url, origin, at, group))
    return links


def read_rechecks(path: Path) -> Iterator[Event | InvalidRecord]:
    """An analysts' re-check file: CSV ``url,checked_at,status,analyst`` (status online|offline)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"url", "checked_at", "status"} - set(reader.fieldnames or [])
        if missing:
            yield InvalidRecord(f"{path}: line 1: missing column(s) {', '.join(sorted(missing))}", code=QuarantineReason.BAD_HEADER)
            return
        for line, row in enumerate(reader, start=2):
            status = (row.get("status") or "").strip().lower()
            status = {"up": "online", "down": "offline", "removed": "offline", "live": "online"}.get(status, status)
            try:
                at = parse_time(row.get("checked_at") or "")
            except ValueError:
                yield InvalidRecord(f"{path}: line {line}: checked_at {row.get('checked_at')!r} is not a time", code=QuarantineReason.BAD_TIME)
                continue
            if status not in ("online", "offline"):
                yield InvalidRecord(f"{path}: line {line}: status {row.get('status')!r} is not online or offline", code=QuarantineReason.BAD_STATUS)
                continue
            yield Event((row.get("url") or "").strip(), status, at, f"recheck:{(row.get('analyst') or 'analyst').strip()}")


def read_events(path: Path) -> Iterator[Event | InvalidRecord]:
    """A takedown history file: CSV ``url,stage,at,source,recipient,detail`` (hotline history)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"url", "stage", "at"} - set(reader.fieldnames or [])
        if missing:
            yield InvalidRecord(f"{path}: line 1: missing column(s) {', '.join(sorted(missing))}", code=QuarantineReason.BAD_HEADER)
            return
        for line, row in enumerate(reader, start=2):
            stage = (row.get("stage") or "").strip()
            if stage not in STAGES:
                yield InvalidRecord(f"{path}: line {line}: stage {stage!r} is not one of {', '.join(STAGES)}", code=QuarantineReason.BAD_STAGE)
                continue
            try:
                at = parse_time(row.get("at") or "")
            except ValueError:
                yield InvalidRecord(f"{path}: line {line}: at {row.get('at')!r} is not a time", code=QuarantineReason.BAD_TIME)
                continue
            yield Event((row.get("url") or "").strip(), stage, at, (row.get("source") or "import").strip(),
                        (row.get("recipient") or "").strip() or None, (row.get("detail") or "").strip() or None)  # fmt: skip


def parse_time(raw: str) -> datetime:
    """ISO 8601 → naive UTC."""
    moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
