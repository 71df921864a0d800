"""Issue 4: on the s4 world with purchases, estimates and search volumes, the report's figures equal the stats."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reportmd import pct, sections, tables

from vigil.analyse.estimates import estimate_stats
from vigil.analyse.payments import payment_stats
from vigil.analyse.search import search_stats
from vigil.attribute.processors import Processors
from vigil.periods import Period
from vigil.publish.names import payment_type_name
from vigil.publish.report import TREND_PERIODS, render_report
from vigil.store import Store

pytestmark = pytest.mark.slow

Q4 = Period.parse("2012Q4")
SEARCH_FROM = "2011-01"


@pytest.fixture(scope="module")
def world(s4_loaded: dict[str, Any]) -> Path:
    return Path(s4_loaded["world"])


@pytest.fixture(scope="module")
def store(s4_loaded: dict[str, Any]) -> Iterator[Store]:
    """The shared §4 store (tests/conftest.py): reports, captures, purchases, estimates and
    search volumes ingested, then enriched with the world's IP data, then attributed."""
    ingested = s4_loaded["ingest"]
    assert ingested["ingest purchases"]["stored"] == 200
    assert ingested["ingest estimates"]["stored"] == 7
    assert ingested["ingest search"]["stored"] > 0
    with Store(s4_loaded["db"], read_only=True) as readonly:
        yield readonly


@pytest.fixture(scope="module")
def markdown(
    store: Store, world: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    out = tmp_path_factory.mktemp("report")
    written = render_report(store, Q4, out=out, formats=("md",), lexicon=world / "search" / "lexicon.csv",
                            search_from=SEARCH_FROM, processors=Processors.load([world / "processors.toml"]))  # fmt: skip
    return sections(written["md"].read_text(encoding="utf-8"))








def _section(markdown: dict[str, str], start: str) -> str:
    (name,) = [k for k in markdown if k.startswith(start)]
    return markdown[name]


# ---------------------------------------------------------------- the world's inputs


def test_purchases_are_bought_on_the_worlds_commercial_pages(world: Path) -> None:
    rows = list(
        csv.DictReader((world / "purchases" / "purchases.csv").open(encoding="utf-8"))
    )
    assert len(rows) == 200
    assert all(r["purchased_at"].startswith("2012-") for r in rows)
    assert all(r["processor"] in {"Example Card Gateway", "Example Wallet", "Example SMS Billing",
                                  "Example Money Transfer"} for r in rows)  # fmt: skip
    pages = [
        json.loads(line)
        for line in (world / "truth" / "captures.jsonl").open(encoding="utf-8")
    ]
    captured = {p["url"] for p in pages if "url" in p}
    assert {r["url"] for r in rows} <= captured
    with_account = [r for r in rows if r["merchant_account"]]
    assert len(with_account) > 100
    on_page: dict[str, set[str]] = {}
    for p in pages:
        on_page.setdefault(p["url"], set()).update(
            v for k, v in p["values"] if k == "merchant_account"
        )
    slug = {
        "Example Card Gateway": "example-card-gateway",
        "Example Wallet": "example-wallet",
        "Example SMS Billing": "example-sms-billing",
        "Example Money Transfer": "example-money-transfer",
    }
    assert all(
        f"{slug[r['processor']]}/{r['merchant_account']}" in on_page[r["url"]]
        for r in with_account
    )
    info = json.loads((world / "truth" / "world.json").read_text(encoding="utf-8"))[
        "inputs"
    ]
    assert info["purchases"]["rows"] == 200 and info["estimates"]["n"] == 7


def test_search_volumes_are_deterministic(world: Path) -> None:
    from vigil.synth.brand_world.inputs import search_rows

    again = search_rows(2012)
    text = (
        (world / "search" / "volumes.csv").read_text(encoding="utf-8").splitlines()[1:]
    )
    assert [",".join(r) for r in again] == text


# ---------------------------------------------------------------- the report equals the stats


def test_payments_section_equals_payment_stats(
    store: Store, world: Path, markdown: dict[str, str]
) -> None:
    procs = Processors.load([world / "processors.toml"])
    p = json.loads(
        json.dumps(payment_stats(store.engine, Q4, trend_periods=TREND_PERIODS, processors=procs))
    )
    text = _section(markdown, "Payment methods")
    got = tables(text)
    rows = p["urls_by_payment_type"]
    assert rows, "the s4 world has payment evidence in 2012Q4"
    by_type = got["Commercial URLs by payment type"]
    assert [r[:3] for r in by_type[1:]] == [
        [payment_type_name(r["payment_type"]), f"{r['urls']:,}", pct(r["share"])] for r in rows
    ]  # names, not codes: "credit card"
    periods = sorted({r["period"] for r in p["trend"]})
    before = {
        r["payment_type"]: r["urls"] for r in p["trend"] if r["period"] == periods[-2]
    }
    assert by_type[0][-1] == f"URLs in {periods[-2]}"
    assert [r[3] for r in by_type[1:]] == [
        f"{before.get(r['payment_type'], 0):,}" for r in rows
    ]
    assert (
        f"{pct(p['hidden_payment_share'])} of commercial URLs hid their payment method."
        in text
    )
    c = p["concentration"]
    assert c["purchases"] > 0
    assert (f"{c['processors_for_95']:,} processors and {c['merchant_accounts_for_95']:,} merchant accounts "
            f"carried 95% of the {c['purchases']:,} test purchases.") in text  # fmt: skip
    assert p["processors"]
    assert got["Processors implicated"][1:] == [[r["processor"], f"{r['urls']:,}", f"{r['purchases']:,}"]
                                                for r in p["processors"]]  # fmt: skip
    top = rows[0]
    assert f"seen on {top['urls']:,} commercial URLs ({pct(top['share'])})" in text


def test_estimates_section_shows_the_seven_answers(
    store: Store, markdown: dict[str, str]
) -> None:
    e = estimate_stats(store.engine)
    (q,) = e["questions"]
    assert (
        q["n"],
        round(q["mean"], 1),
        q["median"],
        [o["value"] for o in q["outliers"]],
    ) == (7, 10.1, 7.5, [40.0])
    text = _section(markdown, "Expert estimates")
    assert "(n=7, percent): mean 10.1, median 7.5, range 1 to 40; outliers: 40." in text
    table = tables(text)["Expert estimates"]
    assert table[1][1:] == ["percent", "7", "10.1", "7.5", "1", "40", "40"]


def test_search_section_gives_each_categorys_trend(
    store: Store, world: Path, markdown: dict[str, str]
) -> None:
    s = search_stats(store.engine, lexicon=world / "search" / "lexicon.csv", regions=None, start=SEARCH_FROM,
                     end=Q4.label)  # fmt: skip
    trends = {c["category"]: c["mann_kendall"]["trend"] for c in s["categories"]}
    assert trends == {
        "series": "decreasing",
        "generic": "no trend",
        "borderline": "increasing",
    }
    text = _section(markdown, "Emerging issues")
    for c in s["categories"]:
        mk = c["mann_kendall"]
        assert (f"Search category {c['category']}: {c['volume']:,.0f} searches over {len(s['periods'])} periods; "
                f"Mann-Kendall trend {mk['trend']} (p={mk['p']:.3f}).") in text  # fmt: skip
    regions = {r["region"]: r for r in s["regions"]}
    latam = regions["Latin America and the Caribbean"]
    assert latam["change_pct"] > 0
    assert all(
        latam["change_pct"] > r["change_pct"]
        for name, r in regions.items()
        if name != latam["region"]
    )
    growth = tables(text)["Search volume growth by region"]
    assert growth[1:] == [[r["region"], f"{r['first']:,.0f}", f"{r['last']:,.0f}",
                           "n/a" if r["change_pct"] is None else f"{r['change_pct']:+.0f}%"] for r in s["regions"]]  # fmt: skip
