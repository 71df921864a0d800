"""The league table on the engine (:func:`league_on_engine`) equals the Python reference
(:func:`league`) for every grouping, on the synthetic takedown world and on hand-made edge
cases, at several as-of times and periods, with partner outcomes; the median and p90 included."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_disrupt_clocks import T0, _case, _edge_cases, _ev, _world

from vigil.disrupt import casestore, workflow
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Event
from vigil.disrupt.league import GROUPINGS, league, league_on_engine
from vigil.periods import Period
from vigil.store.store import Store

H = timedelta(hours=1)


def _more_edges() -> tuple[list[Case], list[Event]]:
    """Cases the clocks' edges lack: no hosting organisation or ASN, empty brand names, two
    URLs of one brand noticed at the same time (no repeat), an odd and an even sample count."""
    u = [f"http://more-{n}.test/p" for n in range(8)]
    cases = [
        _case(u[0], hosting_org=None, asn=None, country=None, registrar=None, processor="Example Pay"),
        _case(u[1], brand="", distributor="", hosting_org=""),
        _case(u[2], brand="", distributor="D-9", merchant_account="M-1", wallets=("btc:bc1qexample",)),
        _case(u[3], brand="B-7", country="NL"), _case(u[4], brand="B-7", country="NL"),
        _case(u[5], brand="B-7", country="NL", processor="Example Pay", merchant_account="M-1"),
        _case(u[6], brand="B-8", country="BE"), _case(u[7], brand="B-8", country="BE"),
    ]
    ev = []
    for n, url in enumerate(u):
        first = T0 + (n % 3) * H if n != 4 else T0 + 3 * H
        ev += [_ev(url, "assessed", T0 - H), _ev(url, "notice_sent", first, "host:Example Hosting")]
        if n % 2 == 0:
            ev.append(_ev(url, "offline", first + (n * 37 + 5) * timedelta(minutes=7)))
        if n == 7:
            ev.append(_ev(url, "resolved", first + 50 * 24 * H))
        if n == 1:
            ev.append(_ev(url, "acknowledged", first + H, "host:Example Hosting"))
    ev.append(_ev(u[3], "notice_sent", T0, "registrar:Example Registrar A"))  # a second recipient, same first notice
    return cases, ev


@pytest.fixture(params=["edges", "world"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "edges":
        a, b = _edge_cases(), _more_edges()
        cases, events = a[0] + b[0], a[1] + b[1]
    else:
        cases, events = _world()
    store = Store(tmp_path / "l.duckdb")
    request.addfinalizer(store.close)
    casestore.save_cases(store.con, cases)
    casestore.add_events(store.con, events)
    # outcomes on a URL (twice, by two partners), a domain, a merchant account and a wallet, one overridden later
    items = [cases[0].url, cases[1].url, cases[2].domain or cases[2].host, "M-1", "btc:bc1qexample"]
    rows = [("Partner A", items[0], "removed", T0, "a.csv", 2), ("Partner B", items[0], "investigating", T0, "b.csv", 2),
            ("Partner A", items[1], "not ours", T0, "a.csv", 3), ("Partner A", items[1], "removed", T0 + H, "a.csv", 4),
            ("Partner A", items[2], "investigating", T0, "a.csv", 5), ("Partner C", items[3], "account closed", T0, "c.csv", 2),
            ("Partner C", items[4], "account closed", T0, "c.csv", 3)]  # fmt: skip
    casestore.add_outcomes(store.con, rows)
    return store


@pytest.mark.parametrize("by", GROUPINGS)
def test_the_engine_league_equals_the_reference(stored: Store, by: str) -> None:
    con = stored.con
    cases, records = workflow.cases_and_records(con)
    latest = workflow.latest_event(con)
    assert latest is not None
    compared = 0
    for period in ("2012", "2012Q4", "2012-10"):
        for as_of in (T0 + 2 * H, T0 + 30 * 24 * H, latest, latest + 60 * 24 * H):
            want = league(cases, records, period=Period.parse(period), by=by, as_of=as_of, outcomes=casestore.load_outcomes(con))
            got = league_on_engine(con, period=Period.parse(period), by=by, as_of=as_of)
            assert got == want, (period, as_of)
            compared += sum(r["noticed"] for r in want["rows"])
    assert compared > 0


def test_the_world_table_has_what_the_comparison_needs(stored: Store) -> None:
    """The comparison above is only as good as its data: removals, medians and outcomes occur."""
    con = stored.con
    latest = workflow.latest_event(con)
    assert latest is not None
    got = league_on_engine(con, period=Period.parse("2012"), by="host", as_of=latest + 60 * 24 * H)
    assert any(r["median_hours"] is not None and r["removed"] > 1 for r in got["rows"])
    assert any(r["repeat_offence"] for r in got["rows"])
    assert any(r["outcomes"] for r in got["rows"]) or not any(r["group"] == "Example Hosting" for r in got["rows"])


def test_an_unknown_grouping_is_refused(stored: Store) -> None:
    with pytest.raises(ValueError, match="--by"):
        league_on_engine(stored.con, period=Period.parse("2012"), by="colour", as_of=datetime(2013, 1, 1))
