"""The notice-and-takedown loop over the store: import, notice, read back, re-check, link.

Each function is one step a command runs; the clock (``now``) is always passed in.
"""

from __future__ import annotations

import functools
import gc
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from vigil.disrupt import casestore
from vigil.disrupt.clocks import (
    CLOCKS_SQL,
    Event,
    build_records,
    link_reappearances,
    load_clocks,
    read_events,
    read_rechecks,
)
from vigil.disrupt.escalation import Policy, due_for
from vigil.disrupt.notices import Due, plan_notices, render
from vigil.disrupt.recipients import Resolver
from vigil.disrupt.transport import Transport
from vigil.disrupt.xarf import Sender
from vigil.errors import ConfigError, InvalidRecord

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _bulk(step: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``step`` with the cyclic garbage collector paused (reference counting still frees).

    The bulk steps build hundreds of thousands of small objects (cases, clocks, feed items)
    that form no cycles; every few hundred allocations the collector would walk all of them
    again, which cost about a quarter of the CPU of notices and feeds at 450k cases."""

    @functools.wraps(step)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return step(*args, **kwargs)
        gc.disable()
        try:
            return step(*args, **kwargs)
        finally:
            gc.enable()

    return run


@dataclass
class Summary:
    """What a step did, for the CLI to print (as a table or JSON)."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "errors": self.errors, "items": self.items}


def import_cases(con: Any, path: Path, *, owner_org: str, marking: str) -> Summary:
    got = casestore.read_cases(path, owner_org=owner_org, marking=marking)
    casestore.save_cases(con, got.cases)
    new = casestore.add_events(con, got.events)
    linked = link(con)
    return Summary({"cases": len(got.cases), "events_new": new, "reappearances": linked, "errors": len(got.errors)},
                   [str(e) for e in got.errors])  # fmt: skip


def import_events(con: Any, path: Path, *, rechecks: bool) -> Summary:
    """An analysts' re-check file (``rechecks``) or a takedown history file."""
    reader = read_rechecks(path) if rechecks else read_events(path)
    events: list[Event] = []
    errors: list[str] = []
    known = {c.url for c in casestore.load_cases(con)}
    for item in reader:
        if isinstance(item, InvalidRecord):
            errors.append(str(item))
        elif item.url not in known:
            errors.append(f"{path}: {item.url!r} is not a takedown case (import the case first)")
        else:
            events.append(item)
    new = casestore.add_events(con, events)
    return Summary({"events": len(events), "events_new": new, "reappearances": link(con), "errors": len(errors)}, errors)


def link(con: Any) -> int:
    """Record a ``reappeared`` event on each removed URL its brand came back from; returns the links."""
    links = link_reappearances(casestore.load_cases(con), load_clocks(con))
    casestore.add_events(con, [Event(r.came_back_from, "reappeared", r.at, f"link:{r.via}", None, r.url) for r in links])
    return len(links)


#: The URLs that may need a notice at ``$now``: assessed, not removed, not resolved before any
#: notice (every other URL :func:`~vigil.disrupt.escalation.due_for` passes over).
DUE_CANDIDATES = f"""
SELECT url FROM ({CLOCKS_SQL})
WHERE assessed IS NOT NULL AND removed_at IS NULL AND NOT (resolved IS NOT NULL AND first_notice IS NULL)
"""


def due_now(con: Any, *, resolver: Resolver, policy: Policy, now: datetime) -> list[Due]:
    """Each URL's next notice at ``now``. The engine picks the URLs still waiting on one; only
    their events are read back and walked up the escalation ladder in Python."""
    params = {"now": now}
    cases = casestore.load_cases(con, among=DUE_CANDIDATES, params=params)
    records = build_records(e for e in casestore.load_events(con, among=DUE_CANDIDATES, params=params) if e.at <= now)
    due = []
    for case in cases:
        record = records.get(case.url)
        if record is None or record.assessed is None:
            continue  # only assessed URLs are noticed
        got = due_for(case, record, resolver.ladder(case), now=now, policy=policy)
        if got is not None:
            due.append(got)
    return due


@_bulk
def send_notices(con: Any, *, resolver: Resolver, policy: Policy, now: datetime, sender: Sender, transport: Transport,
                 clearance: dict[str, str] | None = None, sender_org: str = "hotline") -> Summary:  # fmt: skip
    """Every notice due at ``now``: planned, rendered, sent through ``transport`` and recorded."""
    due = due_now(con, resolver=resolver, policy=policy, now=now)
    plan = plan_notices(due, sent=casestore.sent_keys(con), clearance=clearance, sender_org=sender_org)
    items = []
    sent: list[dict[str, Any]] = []
    try:
        for notice in plan.notices:
            message = render(notice, sender=sender, sent_at=now)
            where = transport.send(message)
            sent.append({"notice_id": notice.notice_id, "recipient": notice.recipient.key, "role": notice.recipient.role,
                         "address": notice.recipient.address or "", "bundle": notice.bundle, "urls": notice.urls,
                         "marking": notice.marking, "attempt": notice.attempt, "sent_at": now, "transport": where,
                         "message_id": message.message_id})  # fmt: skip
            items.append({"notice": notice.notice_id, "attempt": notice.attempt, "recipient": notice.recipient.key,
                          "address": notice.recipient.address, "urls": len(notice.items), "marking": notice.marking,
                          "to": where})  # fmt: skip
    finally:
        casestore.record_notices(con, sent)  # what went out is recorded even if a later one fails
    return Summary({"due": len(due), "notices": len(plan.notices), "already_sent": plan.already_sent,
                    "withheld_by_marking": plan.withheld, "unreachable": plan.unreachable}, [], items)  # fmt: skip


def check_online(con: Any, checker: Any, *, urls: list[str] | None = None, limit: int | None = None) -> Summary:
    """Re-check URLs with the header checker (:mod:`vigil.disrupt.checker`) and record each result
    as a re-check. By default every noticed URL not yet removed or resolved, in URL order."""
    cases = casestore.load_cases(con)
    known = {c.url for c in cases}
    if urls:
        unknown = [u for u in urls if u not in known]
        if unknown:
            raise ConfigError(f"--url {unknown[0]!r} is not a takedown case (import the case first)")
        targets = list(dict.fromkeys(urls))
    else:
        records = load_clocks(con)
        targets = [c.url for c in sorted(cases, key=lambda c: c.url)
                   if (r := records.get(c.url)) is not None and r.first_notice is not None and r.removed_at is None
                   and r.resolved is None]  # fmt: skip
    targets = targets[:limit] if limit else targets
    results = []
    try:
        for url in targets:
            results.append(checker.check(url))
    finally:  # what was checked is recorded even if the run is stopped
        new = casestore.add_events(con, [e for r in results if (e := r.event()) is not None])
    counts = {"checked": len(results), **{s: sum(r.status == s for r in results) for s in ("online", "offline", "error", "skipped")},
              "events_new": new, "reappearances": link(con)}  # fmt: skip
    return Summary(counts, [], [{"url": r.url, "status": r.status, "code": r.code, "detail": r.detail} for r in results])


def read_back(con: Any, path: Path) -> Summary:
    """Bounces and auto-replies mark contacts unreliable; answers to a notice acknowledge it."""
    from vigil.disrupt.bounces import read_replies

    notices = casestore.notice_recipients(con)
    counts = {"bounced": 0, "auto-reply": 0, "reply": 0, "other": 0, "contacts_marked": 0, "acknowledged": 0}
    errors = []
    for reply in read_replies(path):
        counts[reply.kind] += 1
        at = reply.at or datetime(1970, 1, 1)
        sent = notices.get(reply.notice_id or "")
        if reply.kind in ("bounced", "auto-reply"):
            address = reply.address or (sent[1] if sent else None)
            if address is None:
                errors.append(f"{reply.source}: a {reply.kind} that names no address or notice of ours")
                continue
            counts["contacts_marked"] += casestore.add_contact_status(con, address, reply.kind, reply.reason, reply.source, at)
        elif reply.kind == "reply" and sent is not None:
            recipient, _, urls = sent
            counts["acknowledged"] += casestore.add_events(con, [Event(u, "acknowledged", at, f"reply:{Path(reply.source).name}",
                                                                       recipient) for u in urls])  # fmt: skip
    return Summary(counts, errors)


@_bulk
def cases_and_records(con: Any) -> tuple[list[Any], dict[str, Any]]:
    """Every case, and every URL's :class:`~vigil.disrupt.clocks.Clock` (computed on the engine)."""
    return casestore.load_cases(con), load_clocks(con)


def latest_event(con: Any) -> datetime | None:
    got = con.execute("SELECT max(happened_at) FROM takedown_events").fetchall()[0]
    return got[0] if got else None


def takedown_stats(con: Any, *, period: Any, by: str, as_of: datetime | None = None) -> dict[str, Any]:
    """The league table (:mod:`vigil.disrupt.league`), computed on the engine from the store."""
    from vigil.disrupt.league import league_on_engine

    moment = as_of or latest_event(con) or datetime(1970, 1, 1)
    return league_on_engine(con, period=period, by=by, as_of=moment)


def import_outcomes(con: Any, path: Path, *, partner: str) -> Summary:
    """A partner's outcomes; ``removed`` on a URL of a case also resolves that URL's record."""
    from vigil.disrupt.feeds import read_outcomes

    rows, errors = read_outcomes(path, partner=partner)
    new = casestore.add_outcomes(con, rows)
    known = {c.url for c in casestore.load_cases(con)}
    resolved = casestore.add_events(con, [Event(item, "resolved", at, f"partner:{partner}", None, outcome)
                                          for _, item, outcome, at, _, _ in rows if outcome == "removed" and item in known])  # fmt: skip
    return Summary({"outcomes": len(rows), "outcomes_new": new, "resolved": resolved, "errors": len(errors)},
                   [str(e) for e in errors])  # fmt: skip


@_bulk
def write_feeds(con: Any, feed: str, out: Path, *, audience: Any, partner: str | None = None, as_of: datetime | None = None,
                services: Any = None, now: datetime | None = None, state: tuple[list[Any], dict[str, Any]] | None = None,
                ) -> list[Any]:  # fmt: skip
    """Write a feed (one file per partner for a partner feed without ``partner``) and log each delivery."""
    from vigil.disrupt.feeds import FeedFile, build, partners, slug, write
    from vigil.disrupt.markings import Audience

    cases, records = state or cases_and_records(con)
    moment = as_of or latest_event(con) or datetime(1970, 1, 1)
    targets: list[tuple[Audience, str | None, str]] = []
    if feed in ("domain-alerts", "payment-alerts") and partner is None:
        for org in partners(cases, feed):
            targets.append((Audience(org=org, clearance=audience.clearance, sender_org=audience.sender_org), org, f"{feed}-{slug(org)}"))
    else:
        targets.append((audience, partner, feed if partner is None else f"{feed}-{slug(partner)}"))
    # a partner feed only ever holds the partner's own cases: hand each partner those alone (in the
    # same order), so that building every partner's file costs one pass over the cases, not one each
    own: dict[str, list[Any]] = defaultdict(list)
    if feed == "domain-alerts":
        for case in cases:
            for org in {case.registrar, case.registry} - {None, ""}:
                own[org].append(case)
    elif feed == "payment-alerts":
        for case in cases:
            if case.processor:
                own[slug(case.processor)].append(case)
    written = []
    memo: dict[str, Any] = {}  # shared by this feed's files: same records, same as_of
    for who, name, stem in targets:
        mine = cases
        if feed == "domain-alerts":
            mine = own.get(name or who.org, [])
        elif feed == "payment-alerts":
            mine = own.get(slug(name or who.org), [])
        document = build(feed, mine, records, audience=who, as_of=moment, partner=name, services=services, memo=memo)
        if name is not None and partner is None and not document["items"]:
            continue  # a partner with nothing it may see gets no file
        path, digest = write(document, out, name=stem)
        casestore.record_delivery(con, feed=feed, recipient=who.org, marking=document["marking"], items=len(document["items"]),
                                  path=str(path), sha256=digest, at=now or moment)  # fmt: skip
        written.append(FeedFile(feed, who.org, document["marking"], len(document["items"]), path, digest))
    return written
