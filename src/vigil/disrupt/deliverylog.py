"""The delivery log: what was sent to whom, when and under which marking, hash-chained.

Every notice sent and every feed file written appends one entry: ``seq``, ``delivered_at``,
``kind`` (``notice`` or ``feed``), ``name`` (the notice id with its attempt, or the feed),
``recipient``, ``address`` (a notice's mailbox), ``marking``, ``items`` (how many), ``urls`` (a
notice's URLs), ``transport`` (the outbox file, ``smtp:host:port`` or the feed file) and
``reference`` (the notice's Message-ID, or ``sha256:`` and the feed file's hash). Each entry's

    entry_hash = sha256(canonical JSON of [prev_hash, seq, delivered_at, kind, name, recipient,
                                           address, marking, items, urls, transport, reference])

with the audit log's helper (:func:`vigil.access.audit.chain_hash`); the first entry's
``prev_hash`` is 64 zeros. :func:`verify_log` walks the chain as ``vigil audit verify`` does, and
also holds the ``notices`` and ``feed_deliveries`` rows against their entries, so a row edited,
deleted or slipped in beside the log is named too.

A store that sent notices before the log existed has its earlier deliveries chained, oldest
first, when the first delivery after the upgrade is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from vigil.access.audit import GENESIS, chain_hash, verify_chain

COLUMNS = ("delivered_at", "kind", "name", "recipient", "address", "marking", "items", "urls", "transport", "reference")

_LEGACY = """
    SELECT sent_at, 'notice', notice_id, recipient, address, marking, len(urls), urls, transport, message_id FROM notices
    UNION ALL
    SELECT written_at, 'feed', feed, recipient, '', marking, items, []::VARCHAR[], path, 'sha256:' || sha256 FROM feed_deliveries
    ORDER BY 1, 2, 3"""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One thing sent: a notice to a recipient, or a feed file for one."""

    delivered_at: datetime
    kind: str  # notice | feed
    name: str
    recipient: str
    address: str
    marking: str
    items: int
    urls: tuple[str, ...]
    transport: str
    reference: str

    def content(self) -> list[Any]:
        """The entry's fields as they are hashed (times in ISO form, to the microsecond)."""
        at = self.delivered_at
        if at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        return [at.isoformat(timespec="microseconds"), self.kind, self.name, self.recipient, self.address, self.marking,
                int(self.items), list(self.urls), self.transport, self.reference]  # fmt: skip


@dataclass(frozen=True, slots=True)
class LogProblem:
    where: str  # "entry 7", "notice n-1.1", "feed url-list to partners at …"
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def _link(prev: str, seq: int, content: Sequence[Any]) -> str:
    return chain_hash(prev, [seq, *content])


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(row[0], row[1], row[2], row[3], row[4], row[5], int(row[6]), tuple(row[7] or ()), row[8], row[9])


def append(con: Any, entries: Sequence[Delivery]) -> int:
    """Chain ``entries`` after the last entry; returns how many entries were written.

    Call it before the ``notices``/``feed_deliveries`` rows of ``entries`` are inserted (in the same
    transaction): on an empty log, the rows already there are chained first, as they were sent.
    """
    last = con.execute("SELECT seq, entry_hash FROM delivery_log ORDER BY seq DESC LIMIT 1").fetchall()
    if not last:
        entries = [*(_delivery(r) for r in con.execute(_LEGACY).fetchall()), *entries]
        seq, prev = 0, GENESIS
    else:
        seq, prev = int(last[0][0]), str(last[0][1])
    if not entries:
        return 0
    rows: dict[str, list[Any]] = {k: [] for k in ("seq", *COLUMNS, "prev_hash", "entry_hash")}
    for entry in entries:
        seq += 1
        digest = _link(prev, seq, entry.content())
        for key, value in (("seq", seq), *((k, getattr(entry, k)) for k in COLUMNS), ("prev_hash", prev), ("entry_hash", digest)):
            rows[key].append(list(value) if key == "urls" else value)
        prev = digest
    types = {"seq": pa.int64(), "delivered_at": pa.timestamp("us"), "items": pa.int64(), "urls": pa.list_(pa.string())}
    table = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in rows.items()})
    con.register("_vigil_log_in", table)
    try:
        con.execute(f"INSERT INTO delivery_log SELECT {', '.join(rows)} FROM _vigil_log_in")
    finally:
        con.unregister("_vigil_log_in")
    return len(entries)


def head(con: Any) -> tuple[int, str]:
    """The last entry's number and hash (0 and 64 zeros on an empty log)."""
    got = con.execute("SELECT seq, entry_hash FROM delivery_log ORDER BY seq DESC LIMIT 1").fetchall()
    return (int(got[0][0]), str(got[0][1])) if got else (0, GENESIS)


def entries(con: Any) -> list[dict[str, Any]]:
    """The log, oldest first; before anything was logged, the deliveries recorded before the log existed."""
    cursor = con.execute(f"SELECT seq, {', '.join(COLUMNS)}, entry_hash FROM delivery_log ORDER BY seq")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if rows:
        return rows
    return [{"seq": None, **dict(zip(COLUMNS, row, strict=True)), "entry_hash": None} for row in con.execute(_LEGACY).fetchall()]


def verify_log(con: Any, *, head: str | None = None) -> list[LogProblem]:
    """Every problem in the delivery log, the chain's first (in ``seq`` order), then rows that disagree with it."""
    rows = con.execute(f"SELECT seq, prev_hash, entry_hash, {', '.join(COLUMNS)} FROM delivery_log ORDER BY seq").fetchall()
    chain = verify_chain([(int(r[0]), str(r[1]), str(r[2]), _delivery(r[3:]).content()) for r in rows], _link, head=head)
    problems = [LogProblem(f"entry {p.seq}", p.problem) for p in chain]
    for seq, name, logged in con.execute("""
            SELECT l.seq, n.notice_id, l.seq IS NOT NULL FROM notices n
            LEFT JOIN delivery_log l ON l.kind = 'notice' AND l.name = n.notice_id
            WHERE l.seq IS NULL OR l.recipient IS DISTINCT FROM n.recipient OR l.address IS DISTINCT FROM n.address
               OR l.marking IS DISTINCT FROM n.marking OR l.urls IS DISTINCT FROM n.urls OR l.delivered_at IS DISTINCT FROM n.sent_at
               OR l.transport IS DISTINCT FROM n.transport OR l.reference IS DISTINCT FROM n.message_id
            ORDER BY n.sent_at, n.notice_id""").fetchall():  # fmt: skip
        if logged:
            problems.append(LogProblem(f"entry {seq}", f"notice {name}: its row in notices differs from the logged entry (edited)"))
        else:
            problems.append(LogProblem(f"notice {name}", "in notices but not in the delivery log (recorded around the log)"))
    for seq, name in con.execute("""
            SELECT seq, name FROM delivery_log l WHERE kind = 'notice'
            AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.notice_id = l.name) ORDER BY seq""").fetchall():  # fmt: skip
        problems.append(LogProblem(f"entry {seq}", f"notice {name}: its row in notices was deleted"))
    feed_row = "f.written_at, f.feed, f.recipient, f.marking, f.items, f.path, 'sha256:' || f.sha256"
    logged_feed = "l.delivered_at, l.name, l.recipient, l.marking, l.items, l.transport, l.reference"
    for at, feed, recipient in con.execute(f"""
            SELECT written_at, feed, recipient FROM (SELECT {feed_row} FROM feed_deliveries f
            EXCEPT ALL SELECT {logged_feed} FROM delivery_log l WHERE l.kind = 'feed') ORDER BY 1, 2, 3""").fetchall():  # fmt: skip
        problems.append(LogProblem(f"feed {feed} to {recipient} at {at.isoformat()}",
                                   "in feed_deliveries but not in the delivery log (edited, or recorded around the log)"))  # fmt: skip
    same = " AND ".join(f"{a} = {b}" for a, b in zip(feed_row.split(", "), logged_feed.split(", "), strict=True))
    for seq, feed in con.execute(f"""
            SELECT l.seq, l.name FROM delivery_log l WHERE l.kind = 'feed' AND NOT EXISTS (
                SELECT 1 FROM feed_deliveries f WHERE {same}) ORDER BY l.seq""").fetchall():  # fmt: skip
        problems.append(LogProblem(f"entry {seq}", f"feed {feed}: its row in feed_deliveries was deleted or edited"))
    return problems
