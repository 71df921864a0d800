"""The assessment's other inputs through the command line: estimates and search volumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app


def test_estimates_and_search_trends_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "v.duckdb")
    runner = CliRunner()
    answers = [1, 2.2, 5, 7.5, 7.5, 7.5, 40]  # mean 10.1, median 7.5, one outlier at 40
    estimates = tmp_path / "estimates.csv"
    estimates.write_text("question,respondent,value,unit\n" + "".join(
        f"share commercial,expert-{i},{v},percent\n" for i, v in enumerate(answers)))  # fmt: skip
    assert runner.invoke(app, ["ingest", "estimates", str(estimates), "--db", db]).exit_code == 0
    out = json.loads(runner.invoke(app, ["stats", "estimates", "--db", db, "--format", "json"]).output)
    (question,) = out["questions"]
    assert (question["n"], round(question["mean"], 1), question["median"]) == (7, 10.1, 7.5)
    assert [o["value"] for o in question["outliers"]] == [40.0] and out["rule"] == "tukey_fences"

    volumes = tmp_path / "volumes.csv"
    rows = ["period,country,term,volume"]
    for month in range(1, 13):
        rows.append(f"2012-{month:02d},BR,alpha series,{200 - 10 * month}")
        rows.append(f"2012-{month:02d},DE,generic term one,{100 + 5 * month}")
    volumes.write_text("\n".join(rows) + "\n")
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("pattern,category\nalpha,series\ngeneric,generic\n")
    assert runner.invoke(app, ["ingest", "search", str(volumes), "--db", db]).exit_code == 0
    result = runner.invoke(app, ["stats", "search", "--from", "2012-01", "--to", "2012-12", "--lexicon", str(lexicon), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "alpha series" not in result.output  # terms never appear in the output, only categories
    assert "series" in result.output and "generic" in result.output


def test_progress_as_log_lines(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``VIGIL_PROGRESS=log``: a line when a task starts and when it ends, with its counts."""
    from vigil.cli import core as cli

    monkeypatch.setenv("VIGIL_PROGRESS", "log")
    with cli._progress() as bar:
        tick = cli._stages(bar, "attribute")
        tick("pages", 0, 1)
        tick("pages", 0, 1200)  # the total becomes known later
        tick("pages", 700, 1200)
        tick("pages", 1200, 1200)
        tick("cached", 0, 0)  # nothing to do: done at once
        open_ended = bar.add_task("ingest captures", total=None)
        bar.advance(open_ended, 40)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 1)[1].rsplit(",", 1)[0] for line in lines] == [
        "attribute pages: started, 0/1", "attribute pages: done, 1,200/1,200",
        "attribute cached: started, 0/0", "attribute cached: done, 0/0",
        "ingest captures: started, 0", "ingest captures: done, 40"]  # fmt: skip
    monkeypatch.setenv("VIGIL_PROGRESS", "none")
    assert not isinstance(cli._progress(), cli._LogProgress)
