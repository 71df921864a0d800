"""The clocks on the engine (one GROUP BY over ``takedown_events``) equal the Python reference
(:func:`build_records`), on the synthetic takedown world and on hand-made edge cases; so do
the due notices and the reappearance links built on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from vigil.disrupt import casestore, workflow
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import (
    Clock,
    Event,
    build_records,
    link_reappearances,
    load_clocks,
)
from vigil.disrupt.escalation import Policy, due_for
from vigil.disrupt.notices import Due
from vigil.disrupt.recipients import Contacts, Resolver
from vigil.store.store import Store
from vigil.synth.takedown import plan

T0 = datetime(2012, 10, 1, 9, 0)
H = timedelta(hours=1)


def _reference(events: list[Event], now: datetime | None = None) -> dict[str, Clock]:
    return {url: Clock.of(r) for url, r in build_records(e for e in events if now is None or e.at <= now).items()}


def _case(url: str, **kw: object) -> Case:
    values: dict[str, object] = {"url": url, "host": url.split("/")[2], "owner_org": "hotline", "marking": "TLP:AMBER",
                                 "domain": url.split("/")[2], "suffix": "test", "ip": "192.0.2.10", "asn": 64500,
                                 "hosting_org": "Example Hosting", "upstream_asn": 64501, "registrar": "Example Registrar A",
                                 "registry": "Registry of .test", "brand": "B-1"}  # fmt: skip
    values.update(kw)
    return Case(**values)  # type: ignore[arg-type]


def _ev(url: str, stage: str, at: datetime, recipient: str | None = None, source: str = "test", detail: str | None = None) -> Event:
    return Event(url, stage, at, source, recipient, detail)


def _edge_cases() -> tuple[list[Case], list[Event]]:
    u = [f"http://edge-{n}.test/p" for n in range(14)]
    ev = [
        # 0: offline at the very time of the first notice (counts: "at or after")
        _ev(u[0], "detected", T0), _ev(u[0], "assessed", T0 + H), _ev(u[0], "notice_sent", T0 + 2 * H, "host:Example Hosting"),
        _ev(u[0], "offline", T0 + 2 * H),
        # 1: offline before the notice only, then resolved after it: removed at the resolution
        _ev(u[1], "detected", T0), _ev(u[1], "assessed", T0 + H), _ev(u[1], "offline", T0 + 90 * timedelta(minutes=1)),
        _ev(u[1], "notice_sent", T0 + 2 * H, "host:Example Hosting"), _ev(u[1], "resolved", T0 + 5 * H),
        # 2: offline before the notice, online, offline again after it: the later offline
        _ev(u[2], "assessed", T0), _ev(u[2], "offline", T0 + H), _ev(u[2], "notice_sent", T0 + 2 * H, "host:Example Hosting"),
        _ev(u[2], "online", T0 + 3 * H), _ev(u[2], "offline", T0 + 30 * H), _ev(u[2], "offline", T0 + 40 * H),
        # 3: resolved without any offline, at the same time as the notice
        _ev(u[3], "assessed", T0), _ev(u[3], "notice_sent", T0 + H, "registrar:Example Registrar A"), _ev(u[3], "resolved", T0 + H),
        # 4: resolved first before the notice and again after: the earliest resolution is before, so not removed
        _ev(u[4], "assessed", T0), _ev(u[4], "resolved", T0 + H), _ev(u[4], "notice_sent", T0 + 2 * H, "host:Example Hosting"),
        _ev(u[4], "resolved", T0 + 9 * H),
        # 5: events before detection, several recipients, acknowledgements, same times
        _ev(u[5], "online", T0 - 5 * H), _ev(u[5], "detected", T0), _ev(u[5], "assessed", T0),
        _ev(u[5], "notice_sent", T0 + H, "host:Example Hosting"), _ev(u[5], "notice_sent", T0 + H, "upstream:Example Transit"),
        _ev(u[5], "notice_sent", T0 + 50 * H, "host:Example Hosting", detail="2"),
        _ev(u[5], "acknowledged", T0 + 60 * H, "upstream:Example Transit"), _ev(u[5], "acknowledged", T0 + 3 * H, "host:Example Hosting"),
        _ev(u[5], "online", T0 + 70 * H), _ev(u[5], "online", T0 + 70 * H, source="recheck:other"),
        # 6: a notice and an acknowledgement without a recipient count for nothing; check errors neither
        _ev(u[6], "assessed", T0), _ev(u[6], "notice_sent", T0 + H), _ev(u[6], "acknowledged", T0 + 2 * H),
        _ev(u[6], "check_error", T0 + 3 * H), _ev(u[6], "offline", T0 + 4 * H),
        # 7: an empty recipient is no recipient
        _ev(u[7], "assessed", T0), _ev(u[7], "notice_sent", T0 + H, ""), _ev(u[7], "notice_sent", T0 + 2 * H, "host:Example Hosting"),
        # 8: resolved, never noticed (needs nothing, is not removed)
        _ev(u[8], "detected", T0), _ev(u[8], "assessed", T0), _ev(u[8], "resolved", T0 + H),
        # 9: only a check error (a record with nothing in it)
        _ev(u[9], "check_error", T0),
        # 10: notices in the future of a cut-off, a reappearance event, detected twice
        _ev(u[10], "detected", T0 + 5 * H), _ev(u[10], "detected", T0 + 2 * H), _ev(u[10], "assessed", T0 + 3 * H),
        _ev(u[10], "notice_sent", T0 + 4 * H, "host:Example Hosting"), _ev(u[10], "notice_sent", T0 + 200 * H, "registrar:Example Registrar A"),
        _ev(u[10], "reappeared", T0 + 300 * H, detail=u[11]),
        # 11, 12: the same brand back on two URLs removed at the same time (ties: the smaller URL)
        _ev(u[11], "detected", T0 + 300 * H), _ev(u[11], "assessed", T0 + 301 * H),
        _ev(u[12], "detected", T0 + 100 * H), _ev(u[12], "assessed", T0 + 100 * H),
        _ev(u[12], "notice_sent", T0 + 101 * H, "host:Example Hosting"), _ev(u[12], "offline", T0 + 150 * H),
        _ev(u[13], "detected", T0 + 100 * H), _ev(u[13], "assessed", T0 + 100 * H),
        _ev(u[13], "notice_sent", T0 + 102 * H, "host:Example Hosting"), _ev(u[13], "offline", T0 + 150 * H),
        # an event of a URL that is no case
        _ev("http://no-case.test/", "detected", T0),
    ]  # fmt: skip
    cases = [_case(url, brand=None if n == 9 else "B-1", distributor="D-1" if n == 9 else None) for n, url in enumerate(u)]
    return cases, ev


def _world() -> tuple[list[Case], list[Event]]:
    _, _, urls = plan(14, 60)
    cases, events = [], []
    for u in urls:
        cases.append(_case(u.url, host=u.host, domain=u.domain, suffix=u.suffix, ip=u.ip, asn=u.net.asn, country=u.net.country,
                           hosting_org=u.net.name, upstream_asn=None, registrar=u.registrar, registry=f"Registry of .{u.suffix}",
                           brand=u.brand, distributor=u.distributor, processor=u.processor, marking=u.marking, owner_org=u.owner))  # fmt: skip
        events += [_ev(u.url, "detected", u.detected), _ev(u.url, "assessed", u.assessed),
                   _ev(u.url, "notice_sent", u.notice, f"host:{u.net.name}", detail="1")]  # fmt: skip
        if u.ack:
            events.append(_ev(u.url, "acknowledged", u.ack, f"host:{u.net.name}"))
        events += [_ev(u.url, status, at, source="recheck:test") for at, status in u.checks]
    return cases, events


def _store(path: Path, cases: list[Case], events: list[Event]) -> Store:
    store = Store(path)
    casestore.save_cases(store.con, cases)
    casestore.add_events(store.con, events)
    return store


@pytest.fixture(params=["edges", "world"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, list[Case], list[Event]]:
    cases, events = _edge_cases() if request.param == "edges" else _world()
    store = _store(tmp_path / "c.duckdb", cases, events)
    request.addfinalizer(store.close)
    return store, cases, events


def _cut_offs(events: list[Event]) -> list[datetime | None]:
    times = sorted({e.at for e in events})
    return [None, times[0], times[len(times) // 3], times[len(times) // 2], times[-1] - timedelta(seconds=1), times[-1]]


def test_clocks_on_the_engine_equal_the_python_reference(stored: tuple[Store, list[Case], list[Event]]) -> None:
    store, _, events = stored
    for now in _cut_offs(events):
        got = load_clocks(store.con, now=now)
        assert got == _reference(events, now), now


def test_the_edge_cases_give_the_times_the_definitions_say(tmp_path: Path) -> None:
    cases, events = _edge_cases()
    with _store(tmp_path / "e.duckdb", cases, events) as store:
        c = load_clocks(store.con)
        later = load_clocks(store.con, now=T0 + 150 * H)
    u = [case.url for case in cases]
    assert c[u[0]].removed_at == T0 + 2 * H
    assert c[u[1]].removed_at == T0 + 5 * H and c[u[1]].first_offline == T0 + 90 * timedelta(minutes=1)
    assert c[u[2]].removed_at == T0 + 30 * H and c[u[2]].last_check == T0 + 40 * H
    assert c[u[3]].removed_at == T0 + H
    assert c[u[4]].removed_at is None and c[u[4]].resolved == T0 + H
    assert c[u[5]].first_notice == T0 + H and c[u[5]].first_ack == T0 + 3 * H and c[u[5]].last_online == T0 + 70 * H
    assert c[u[6]].first_notice is None and c[u[6]].first_ack is None and c[u[6]].removed_at is None
    assert c[u[7]].first_notice == T0 + 2 * H
    assert c[u[8]].removed_at is None and c[u[8]].first_notice is None
    assert c[u[9]] == Clock(u[9])
    assert c[u[10]].detected == T0 + 2 * H
    assert later[u[10]].first_notice == T0 + 4 * H and u[11] not in later


def _due_reference(cases: list[Case], events: list[Event], now: datetime, resolver: Resolver, policy: Policy) -> list[Due]:
    """``due_now`` as it was: every case, every event, walked in Python."""
    records = build_records(e for e in events if e.at <= now)
    due = []
    for case in sorted(cases, key=lambda c: c.url):
        record = records.get(case.url)
        if record is not None and record.assessed is not None:
            got = due_for(case, record, resolver.ladder(case), now=now, policy=policy)
            if got is not None:
                due.append(got)
    return due


def test_due_notices_equal_the_python_reference(stored: tuple[Store, list[Case], list[Event]], tmp_path: Path) -> None:
    store, cases, events = stored
    path = tmp_path / "contacts.toml"
    lines = []
    for asn in sorted({c.asn for c in cases if c.asn is not None}):
        lines += [f'[asn."{asn}"]', f'name = "Hosting {asn}"', f'address = "abuse@hosting{asn}.example"', "upstream = 64501"]
    lines += ['[asn."64501"]', 'name = "Example Transit"', 'address = "abuse@transit.example"']
    for registrar in sorted({c.registrar for c in cases if c.registrar}):
        lines += [f'[registrar."{registrar}"]', f'address = "abuse@{registrar.lower().replace(" ", "-")}.example"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # a bounced host mailbox: its rung is passed over
    resolver = Resolver(contacts=Contacts.load([path]), unreliable=frozenset({"abuse@hosting64513.example"}))
    policy = Policy()
    checked = 0
    for now in _cut_offs(events)[1:] + [max(e.at for e in events) + timedelta(days=days) for days in (1, 3, 6, 30)]:
        assert now is not None
        got = workflow.due_now(store.con, resolver=resolver, policy=policy, now=now)
        assert got == _due_reference(cases, events, now, resolver, policy), now
        checked += len(got)
    assert checked > 0


def test_reappearances_equal_the_python_reference(stored: tuple[Store, list[Case], list[Event]]) -> None:
    store, cases, events = stored
    got = link_reappearances(cases, load_clocks(store.con))
    assert got == link_reappearances(cases, build_records(events))
    assert got
    if cases[0].url.startswith("http://edge-"):
        back = {r.url: r.came_back_from for r in got}
        assert back["http://edge-11.test/p"] == "http://edge-12.test/p"  # removed at the same time as edge-13: the smaller URL
