"""``vigil status``: every table users care about, and when ingest and attribution last ran."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vigil.cli import app
from vigil.store.status import TABLES
from vigil.synth import generate_world


def test_status_reports_the_tables_and_the_last_runs(tmp_path: Path) -> None:
    world = tmp_path / "world"
    summary = generate_world(world, seed=11, reports=400)
    db = str(tmp_path / "v.duckdb")
    runner = CliRunner()

    def status() -> dict:  # type: ignore[type-arg]
        result = runner.invoke(app, ["status", "--db", db, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    assert runner.invoke(app, ["ingest", "reports", str(world / "reports"), "--db", db]).exit_code == 0
    first = status()
    assert set(first["tables"]) == {name for name, _ in TABLES} >= {"captures", "pages", "brands", "distributors", "test_purchases", "quarantine"}
    assert first["tables"]["reports"] == summary.stored and first["tables"]["quarantine"] == summary.quarantined
    assert first["last"]["ingest"] and first["last"]["ingest_reports"] and first["last"]["attribute"] is None
    assert first["tables"]["brands"] == first["tables"]["captures"] == 0

    assert runner.invoke(app, ["ingest", "captures", str(world / "captures"), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["attribute", "--processors", str(world / "processors.toml"), "--db", db]).exit_code == 0
    after = status()
    assert after["last"]["attribute"] and after["last"]["ingest_captures"] and after["last"]["enrich"] is None
    assert after["tables"]["captures"] > 0 and after["tables"]["pages"] > 0
    assert after["tables"]["brands"] > 0 and after["tables"]["distributors"] > 0

    shown = runner.invoke(app, ["status", "--db", db])
    assert shown.exit_code == 0
    for name, _ in TABLES:
        assert f"  {name}: " in shown.stdout
    assert "last attribute: 20" in shown.stdout and "last enrich: never" in shown.stdout
