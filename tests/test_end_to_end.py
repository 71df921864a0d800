"""The spine end to end: synthetic worlds in, §3 tables out, equal to the worlds' ground truth.

The truth is computed by the generator from what it wrote, with its own code; the pipeline
reads only the raw inputs, the world's IP database and its shared-services file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner
from worlds import World

from vigil.analyse.hosting import hosting_stats
from vigil.cli import app
from vigil.enrich.ip import open_ip_provider
from vigil.enrich.run import enrich_store
from vigil.ingest.reports import ReportIngest
from vigil.periods import Period
from vigil.store import Store

pytestmark = pytest.mark.slow


def _run(world: Path, db: Path) -> dict[str, object]:
    with Store(db) as store:
        summary = ReportIngest(store, batch_size=5000).run([world / "reports"])
        enrich_store(store, provider=open_ip_provider(world / "iptoasn.tsv"), shared_services=[world / "shared_services.csv"])
        quarantine = store.con.execute("SELECT source_file, line, reason_code FROM quarantine").fetchall()
        got = {}
        truth = json.loads((world / "truth" / "hosting.json").read_text())
        for name in truth:
            period, _, flag = name.partition(" ")
            got[name] = hosting_stats(store.engine, Period.parse(period), commercial_only=flag != "--all")
    return {"summary": summary, "quarantine": quarantine, "got": got, "truth": truth}


@pytest.fixture(scope="module")
def hosting(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], tuple[Path, dict[str, object]]]:
    """``hosting(seed)``: the shared world of that seed and its run, run once per seed."""
    runs: dict[int, tuple[Path, dict[str, object]]] = {}

    def get(seed: int) -> tuple[Path, dict[str, object]]:
        if seed not in runs:
            world = synth_world(seed=seed).path
            runs[seed] = (world, _run(world, tmp_path_factory.mktemp(f"e2e-{seed}") / "v.duckdb"))
        return runs[seed]

    return get


@pytest.mark.parametrize("seed", [2012, 7, 31])
def test_hosting_tables_equal_the_ground_truth(hosting: Callable[[int], tuple[Path, dict[str, object]]], seed: int) -> None:
    world, result = hosting(seed)
    truth, got = result["truth"], result["got"]
    assert set(got) == set(truth) and len(truth) >= 3  # type: ignore[arg-type]
    for name in truth:  # type: ignore[union-attr]
        for key in truth[name]:  # type: ignore[index]
            assert got[name][key] == truth[name][key], f"{name}: {key} differs"  # type: ignore[index]
        assert got[name] == truth[name]  # type: ignore[index]

    expected = json.loads((world / "truth" / "ingest.json").read_text())
    summary = result["summary"]
    assert {k: summary.total(k) for k in expected} == expected  # type: ignore[attr-defined]

    wanted = sorted((q["file"], q["line"], q["reason"]) for q in map(json.loads, (world / "truth" / "quarantine.jsonl").read_text().splitlines()))
    held = sorted((str(Path(f).relative_to(world)), line, code) for f, line, code in result["quarantine"])  # type: ignore[union-attr]
    assert held == wanted
    assert len(wanted) > 10


def test_a_dirtier_feed_gives_the_same_truth(synth_world: Callable[..., World], tmp_path: Path) -> None:
    """``--dirt 3``: 90 % of rows spell their URL in one to three ways (backslashes, userinfo,
    encoded dots and host letters, zero-padded ports, tabs besides the default world's), with
    three times the re-sends and bad rows; every table, count and quarantined line still equals
    the truth."""
    world = synth_world(seed=11, reports=20_000, dirt=3.0).path
    result = _run(world, tmp_path / "v.duckdb")
    assert result["got"] == result["truth"]
    expected = json.loads((world / "truth" / "ingest.json").read_text())
    summary = result["summary"]
    assert {k: summary.total(k) for k in expected} == expected  # type: ignore[attr-defined]
    assert expected["duplicates"] > 0.03 * expected["rows_read"]  # tripled from 1.5 %
    wanted = sorted((q["file"], q["line"], q["reason"]) for q in map(json.loads, (world / "truth" / "quarantine.jsonl").read_text().splitlines()))
    held = sorted((str(Path(f).relative_to(world)), line, code) for f, line, code in result["quarantine"])  # type: ignore[union-attr]
    assert held == wanted and len(wanted) > 0.012 * expected["rows_read"]
    urls = [r["url"] for r in _rows(world)]
    odd = sum(1 for u in urls if "\\" in u or "@" in u or "%2e" in u.lower() or "\t" in u)
    assert odd > 0.05 * len(urls)  # the extra spellings are there


def _rows(world: Path) -> list[dict[str, str]]:
    import csv

    rows: list[dict[str, str]] = []
    for path in sorted((world / "reports").iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", errors="replace", newline="") as fh:
                rows.extend(r for r in csv.DictReader(fh) if r.get("url"))
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict) and isinstance(item.get("url"), str):
                    rows.append(item)
    return rows


def test_the_default_world_is_calibrated_to_the_assessment(hosting: Callable[[int], tuple[Path, dict[str, object]]]) -> None:
    q4 = hosting(2012)[1]["got"]["2012Q4"]  # type: ignore[index]  # the default world: seed 2012
    assert q4["urls"] == 1138
    within = {(r["site_type"], r["country"]): round(r["share"] * 100, 1) for r in q4["site_type_by_country"]}
    assert (within[("banner", "US")], within[("banner", "RU")], within[("banner", "KZ")]) == (42.5, 12.5, 12.2)
    assert (round(within[("pay_per_view", "US")]), round(within[("pay_per_view", "KZ")]), within[("pay_per_view", "RU")]) == (52, 11, 9.8)
    types = {r["site_type"]: r["share"] for r in q4["by_site_type"]}
    assert 0.5 < types["banner"] < 0.55 and 1 / 3 < types["pay_per_view"] < 0.4


def test_the_cli_demo_runs_the_main_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--out", "out", "--db", "v.duckdb"])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "tables" / "hosting-2012Q4.json").read_text())
    truth = json.loads((tmp_path / "out" / "world" / "truth" / "hosting.json").read_text())
    assert written == truth["2012Q4"]
    assert (tmp_path / "out" / "tables" / "hosting-2012Q4-by_country.csv").read_text().startswith("country,urls,share")
    html = (tmp_path / "out" / "tables" / "hosting-2012Q4.html").read_text()
    assert "<script" not in html and "by_country" in html
    again = CliRunner().invoke(app, ["stats", "hosting", "--period", "2012Q4", "--db", "v.duckdb", "--format", "json"])
    assert json.loads(again.output) == truth["2012Q4"]
