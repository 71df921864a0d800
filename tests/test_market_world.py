"""The market world end to end (§2.2 offers, §2.3 channels): every figure equals the truth.

The world (``vigil synth --profile market``) is small: 248 reports, 176 captures. Its truth is
computed by the generator from what it wrote; the pipeline reads only the raw files and the
user's rate table. Then the same commands on Spark give byte-identical outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from worlds import World

from vigil.analyse.search import mann_kendall
from vigil.cli import app
from vigil.store import Store

ENGINES = ("duckdb", "spark")


def _vigil(engine: str, where: Path, *args: str) -> str:
    argv = ["--engine", "spark", "--data", str(where), *args] if engine == "spark" else ["--engine", "duckdb", *args, "--db", str(where)]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, f"{engine}: vigil {' '.join(args)} failed:\n{result.output}"
    return result.stdout


def _pipeline(engine: str, world: Path, where: Path) -> dict[str, Any]:
    got: dict[str, Any] = {"ingest": json.loads(_vigil(engine, where, "ingest", "reports", str(world / "reports"), "--json"))}
    got["ingest"].pop("batch_id")
    _vigil(engine, where, "ingest", "captures", str(world / "captures"))
    _vigil(engine, where, "enrich", "--ip-db", str(world / "iptoasn.tsv"))
    procs = str(world / "processors.toml")  # the world's own processors, given explicitly
    _vigil(engine, where, "attribute", "--processors", procs)
    for period in ("2012Q4", "2012Q3"):
        got[f"offers {period}"] = _vigil(engine, where, "stats", "offers", "--period", period, "--rates", str(world / "rates.csv"),
                                         "--processors", procs, "--format", "json")  # fmt: skip
    got["channels"] = _vigil(engine, where, "stats", "channels", "--from", "2011Q1", "--to", "2012Q4", "--format", "json")
    return got


@pytest.fixture(scope="module")
def market(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("market")
    world = synth_world(seed=2012, profile="market").path  # shared with the whole test run (tests/conftest.py)
    truth = json.loads((world / "truth" / "market.json").read_text())
    got = _pipeline("duckdb", world, base / "v.duckdb")
    with Store(base / "v.duckdb", read_only=True) as store:
        rows = store.con.execute("""
            SELECT c.capture_id, o.offer_type, o.period_days, o.amount, o.currency FROM captures c
            LEFT JOIN page_offers o ON o.page_sha256 = c.page_sha256 ORDER BY c.capture_id, o.offer_no""").fetchall()  # fmt: skip
        got["url_channels"] = dict(store.con.execute("SELECT url, channel FROM url_channels").fetchall())
    offers: dict[str, list[list[Any]]] = {}
    for capture_id, *offer in rows:
        offers.setdefault(capture_id, [])
        if offer[0] is not None:
            offers[capture_id].append(offer)
    got["captures"] = offers
    return {"base": base, "world": world, "truth": truth, "got": got}


def test_every_offer_on_every_capture_equals_the_truth(market: dict[str, Any]) -> None:
    truth, got = market["truth"], market["got"]
    assert len(truth["captures"]) == 176 and sum(len(o) for o in truth["captures"].values()) > 300
    assert got["captures"] == truth["captures"]  # every price, currency, offer type and period


def test_every_url_channel_equals_the_truth(market: dict[str, Any]) -> None:
    truth, got = market["truth"], market["got"]
    assert got["url_channels"] == truth["url_channels"]
    assert {k: got["ingest"][k] for k in truth["ingest"]} == truth["ingest"]  # the bad channel is quarantined


@pytest.mark.parametrize("period", ["2012Q4", "2012Q3"])
def test_stats_offers_equal_the_truth(market: dict[str, Any], period: str) -> None:
    want = market["truth"]["offers"][period]
    stats = json.loads(market["got"][f"offers {period}"])
    for key, value in want.items():
        got = stats[key]
        if key == "prices_by_distributor":  # the pipeline's distributor IDs are its own
            got = sorted(({k: v for k, v in row.items() if k != "distributor_id"} for row in got), key=json.dumps)
            value = sorted(value, key=json.dumps)
        assert got == value, f"{period}: {key} differs from the truth"


def test_the_world_shows_the_shift_to_virtual_currency(market: dict[str, Any]) -> None:
    stats = json.loads(market["got"]["offers 2012Q4"])
    shares = [row["share"] for row in stats["virtual_currency_share"]]
    assert shares == sorted(shares) and shares[0] < shares[-1]
    assert stats["virtual_currency_trend"]["trend"] == "increasing"


def test_stats_channels_equal_the_truth_and_flag_hidden_services(market: dict[str, Any]) -> None:
    truth = market["truth"]["channels"]
    stats = json.loads(market["got"]["channels"])
    assert (stats["from"], stats["to"]) == (truth["from"], truth["to"])
    assert {c["channel"] for c in stats["channels"]} == set(truth["by_channel"])
    for row in stats["channels"]:
        want = truth["by_channel"][row["channel"]]
        series = [[s["urls"], s["commercial_urls"]] for s in stats["series"] if s["channel"] == row["channel"]]
        assert series == want["series"], row["channel"]
        assert (row["urls"], row["commercial_urls"]) == (want["urls"], want["commercial_urls"])
        shares = [c / u if u else 0.0 for u, c in want["series"]]
        assert row["share_trend"] == mann_kendall(shares).trend
        assert row["share_p"] == round(mann_kendall(shares).p, 6)
    assert [e["channel"] for e in stats["emerging"]] == truth["emerging"] == ["hidden_service"]


@pytest.mark.slow
@pytest.mark.spark
def test_market_outputs_are_byte_identical_on_spark(market: dict[str, Any]) -> None:
    base = market["base"]
    spark = _pipeline("spark", market["world"], base / "data")
    for key in ("ingest", "offers 2012Q4", "offers 2012Q3", "channels"):
        assert spark[key] == market["got"][key], f"{key} differs between DuckDB and Spark"


def test_the_market_world_uses_reserved_names_only(market: dict[str, Any]) -> None:
    hosts: set[str] = set()
    for path in market["world"].rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".jsonl", ".html", ".json"):
            text = path.read_text(encoding="utf-8")
            assert ".onion" not in text
            hosts.update(m.split(":")[0] for m in re.findall(r"://([^/?#\s\"',]*)", text))
    assert hosts and all(h.endswith((".test", ".example", ".invalid")) for h in hosts), sorted(hosts)[:5]


def _numbers(value: Any) -> set[str]:
    """Every number in a stats object as the report may write it: counts, shares, euros, p-values."""
    out: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            out |= _numbers(v)
    elif isinstance(value, list):
        out.add(f"{len(value):,}")
        for v in value:
            out |= _numbers(v)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        out.add(f"{value:,}")
    elif isinstance(value, float):
        out |= {f"{value * 100:.1f}%", f"{value:,.2f}", f"{abs(value):,.2f}", f"{value:.3f}"}
    return out


def test_the_report_shows_the_market_and_channels_as_the_stats_say(market: dict[str, Any]) -> None:
    from reportmd import pct, sections, tables

    from vigil.attribute.processors import Processors
    from vigil.periods import Period
    from vigil.publish.names import channel_name, offer_type_name
    from vigil.publish.report import render_report

    base = market["base"]
    with Store(base / "v.duckdb", read_only=True) as store:
        written = render_report(store, Period.parse("2012Q4"), out=base / "report", formats=("md",), rates=market["world"] / "rates.csv",
                                processors=Processors.load([market["world"] / "processors.toml"]))  # fmt: skip
    text = written["md"].read_text(encoding="utf-8")
    o, c = json.loads(market["got"]["offers 2012Q4"]), json.loads(market["got"]["channels"])
    parts = sections(text)
    market_text, channel_text = parts["The market: offers and prices (§2.2)"], parts["Channels beyond the web (§2.3)"]

    def eur(v: float | None) -> str:
        return "n/a" if v is None else f"€{v:,.2f}"

    got = tables(market_text)
    assert got["Prices by offer type (EUR)"][1:] == [
        [offer_type_name(r["offer_type"]), f"{r['n']:,}", eur(r["q1_eur"]), eur(r["median_eur"]), eur(r["q3_eur"]),
         eur(r["previous_median_eur"]), f"{r['unconverted']:,}"] for r in o["prices_by_offer_type"]
    ]  # fmt: skip
    assert got["Brands accepting virtual currency"][1:] == [
        [r["period"], f"{r['brands']:,}", f"{r['brands_virtual']:,}", pct(r["share"])] for r in o["virtual_currency_share"]
    ]
    assert tables(channel_text)["Channels, 2011Q1 to 2012Q4"][1:] == [
        [channel_name(r["channel"]), f"{r['urls']:,}", f"{r['commercial_urls']:,}", pct(r["share_commercial"]),
         r["volume_trend"], r["share_trend"]] for r in c["channels"]
    ]  # fmt: skip
    allowed = _numbers(o) | _numbers(c) | {f"{sum(r['urls'] for r in c['channels'] if r['channel'] != 'web'):,}",
                                           f"{sum(r['urls'] for r in c['channels']):,}"}
    for part in (market_text, channel_text):
        prose = "\n".join(line for line in part.splitlines() if line and not line.startswith(("|", "!", "#")))
        prose = re.sub(r"\d{4}Q\d|§\d", " ", prose)
        found = re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?%?", prose)
        assert found and [x for x in found if x not in allowed] == []
    summary = parts["Executive summary: key findings for 2012Q4"]
    vc = o["virtual_currency_share"]
    assert f"{pct(vc[-1]['share'])} of brands with offers accepted virtual currency in 2012Q4" in summary
    assert "Emerging issue: the commercial share of hidden services rose from 0.0% to 100.0%" in summary
    assert (base / "report" / "report-2012Q4-charts" / "offer-prices.png").stat().st_size > 1000
    assert (base / "report" / "report-2012Q4-charts" / "virtual-currency.png").stat().st_size > 1000
