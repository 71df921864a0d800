"""Captures parsed ahead in worker processes (DuckDB) store exactly what the serial loop stores.

``VIGIL_WORKERS=1`` is the serial loop; with 2 workers each input is parsed whole in a worker
and committed here in input order. Every table the ingest writes is compared row for row in
the order it was written (all but the run's own batch id and clock), with the summaries and
the progress ticks, on inputs that hold bad lines, media, a corrupt zip, a truncated WARC,
captures and pages repeated across inputs, and one input given twice; and after a run
interrupted part way, resumed.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_captures import FAKE_PNG, PAGE, _warc, manifest_folder

from vigil.errors import InputError
from vigil.ingest import pipeline
from vigil.ingest.captures import CaptureIngest, CaptureKind
from vigil.ingest.pipeline import Ingest, Input, Opened
from vigil.store import Store

RUN_COLUMNS = {"batch_id", "ingested_at", "stored_at", "updated_at"}  # the run's own id and clock
TABLES = ("pages", "captures", "quarantine", "ingest_progress")


def _rows(i: int, n: int, *, file: Callable[[int], str]) -> list[dict[str, str]]:
    return [{"capture_id": f"f{i}-{k}", "url": f"http://s{i}.test/{k}", "captured_at": "2012-05-01", "file": file(k)} for k in range(n)]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven inputs in one folder, some good, some bad, overlapping one another."""
    root = tmp_path_factory.mktemp("ahead") / "captures"
    pages = {f"p{k}.html": PAGE + f"<p>{k % 4}</p>".encode() for k in range(12)}  # four pages, each many times
    manifest_folder(root / "a-folder", _rows(1, 12, file=lambda k: f"p{k}.html"), pages)
    bad = _rows(2, 10, file=lambda k: f"p{k}.html")
    bad[2]["captured_at"] = "not a date"
    bad[5]["url"] = ""
    bad[7]["file"] = "../outside.html"
    bad[8]["file"] = "x.png"  # media, skipped unread
    bad[9]["capture_id"] = "f1-3"  # a capture of the first folder, with its source: a duplicate
    folder = manifest_folder(root / "b-bad-lines", bad, {**pages, "x.png": FAKE_PNG})
    with open(folder / "manifest.jsonl", "a") as handle:
        handle.write("{not json\n")
        handle.write(json.dumps({"capture_id": "late", "url": "http://late.test/", "captured_at": "2012-05-03", "file": "p1.html"}) + "\n")
    (root / "c-corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    with zipfile.ZipFile(root / "d-good.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("z/manifest.csv", "capture_id,url,captured_at,file\n"
                         + "".join(f"z{k},http://z.test/{k},2012-06-0{1 + k % 3},p{k}.html\n" for k in range(9)))  # fmt: skip
        for k in range(9):
            archive.writestr(f"z/p{k}.html", PAGE + f"<p>{k % 5}</p>".encode())
    records = [(f"http://w.test/{k}", "text/html", PAGE + f"<i>{k}</i>".encode()) for k in range(14)]
    records[3] = ("http://w.test/i.png", "image/png", FAKE_PNG)
    whole = _warc(root / "e-whole.warc.gz", records)
    cut = whole.read_bytes()
    (root / "f-truncated.warc.gz").write_bytes(cut[: len(cut) * 2 // 3])
    shutil.copytree(root / "a-folder", root / "g-same-as-a")  # the same manifest bytes: one input, ingested once
    return root


def ingest(db: Path, paths: list[Path], monkeypatch: pytest.MonkeyPatch, workers: int, *, stop_at: int | None = None,
           batch_size: int = 3) -> tuple[dict[str, Any], list[int]]:  # fmt: skip
    """Ingest with ``workers``; the summary (less its batch id) and the progress ticks.
    ``stop_at``: fail at that tick, as a run killed there would stop."""
    monkeypatch.setenv("VIGIL_WORKERS", str(workers))
    ticks: list[int] = []

    def tick(n: int) -> None:
        ticks.append(n)
        if stop_at is not None and len(ticks) == stop_at:
            raise KeyboardInterrupt

    with Store(db) as store:
        try:
            summary = CaptureIngest(store, batch_size=batch_size, progress=tick).run(paths).as_dict()
        except KeyboardInterrupt:
            summary = {}
    summary.pop("batch_id", None)
    return summary, ticks


def stored(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the ingest writes, in the order its rows were written."""
    out = {}
    with Store(db, read_only=True) as store:
        for table in TABLES:
            columns = [r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in RUN_COLUMNS]
            out[table] = store.con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
    return out


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker pools the runs opened (their sizes): proof the parallel path ran."""
    opened: list[int] = []
    real = pipeline.worker_pool

    def spy(workers: int) -> Any:
        opened.append(workers)
        return real(workers)

    monkeypatch.setattr(pipeline, "worker_pool", spy)
    return opened


def test_parsed_ahead_the_store_is_the_serial_store_row_for_row(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 pools: list[int]) -> None:  # fmt: skip
    serial, serial_ticks = ingest(tmp_path / "serial.duckdb", [inputs], monkeypatch, 1)
    assert pools == []
    ahead, ahead_ticks = ingest(tmp_path / "ahead.duckdb", [inputs], monkeypatch, 2)
    assert pools == [2]
    want = stored(tmp_path / "serial.duckdb")
    got = stored(tmp_path / "ahead.duckdb")
    for table in TABLES:
        assert got[table] == want[table], table
    assert ahead == serial and ahead_ticks == serial_ticks
    # the inputs hold what the comparison is meant to cover
    statuses = [(Path(f["path"]).name, f["status"], f["error"] is not None) for f in serial["files"]]
    assert statuses == [("a-folder", "ingested", False), ("b-bad-lines", "ingested", False), ("c-corrupt.zip", "error", True),
                        ("d-good.zip", "ingested", False), ("e-whole.warc.gz", "ingested", False),
                        ("f-truncated.warc.gz", "ingested", False), ("g-same-as-a", "already ingested", False)]  # fmt: skip
    codes = {row[3] for row in want["quarantine"]}
    assert {"bad_date", "missing_url", "missing_file", "bad_file", "truncated_file"} <= codes
    assert serial["skipped_media"] == 3 and serial["duplicates"] >= 1
    assert len(want["ingest_progress"]) > 2 * len(serial["files"])  # several batches per input
    # and once done, both say so the same way
    assert ingest(tmp_path / "ahead.duckdb", [inputs], monkeypatch, 2) == ingest(tmp_path / "serial.duckdb", [inputs], monkeypatch, 1)


@pytest.mark.parametrize("stop_at", [2, 9, 17])
def test_an_interrupted_run_parsed_ahead_stops_where_the_serial_one_does_and_resumes_the_same(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_at: int, pools: list[int]
) -> None:
    serial, ahead = tmp_path / "serial.duckdb", tmp_path / "ahead.duckdb"
    ingest(serial, [inputs], monkeypatch, 1, stop_at=stop_at)
    ingest(ahead, [inputs], monkeypatch, 2, stop_at=stop_at)
    assert pools == [2]
    partial = stored(serial)
    assert stored(ahead) == partial
    assert 0 < len(partial["ingest_progress"]) and not all(row[6] for row in partial["ingest_progress"])  # mid-run
    resumed_serial = ingest(serial, [inputs], monkeypatch, 1)
    resumed_ahead = ingest(ahead, [inputs], monkeypatch, 2)
    assert resumed_ahead == resumed_serial
    assert {f["status"] for f in resumed_serial[0]["files"]} >= {"already ingested", "ingested"}
    assert stored(ahead) == stored(serial)
    clean = tmp_path / "clean.duckdb"
    ingest(clean, [inputs], monkeypatch, 1)
    for table in ("pages", "captures"):
        assert sorted(stored(ahead)[table]) == sorted(stored(clean)[table])  # resuming loses and repeats nothing


def test_one_input_or_one_worker_stays_serial(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              pools: list[int]) -> None:  # fmt: skip
    ingest(tmp_path / "one.duckdb", [inputs / "a-folder"], monkeypatch, 2)
    ingest(tmp_path / "serial.duckdb", [inputs], monkeypatch, 1)
    assert pools == []


@pytest.mark.slow
def test_a_synthetic_worlds_captures_parsed_ahead_equal_the_serial_ingest(
    synth_world: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    captures = synth_world(profile="s4").path / "captures"  # a manifest folder and a WARC
    serial, _ = ingest(tmp_path / "serial.duckdb", [captures], monkeypatch, 1, batch_size=500)
    ahead, _ = ingest(tmp_path / "ahead.duckdb", [captures], monkeypatch, 2, batch_size=500)
    assert pools == [2] and ahead == serial and serial["rows_read"] > 1000
    assert stored(tmp_path / "ahead.duckdb") == stored(tmp_path / "serial.duckdb")


class _Unopenable(CaptureKind):
    """Captures, but an input whose name says so cannot be opened (no capture source fails at open)."""

    def open(self, item: Input) -> Opened:
        if item.path.name.startswith("a-"):
            raise InputError(f"{item.path}: cannot be opened")
        return super().open(item)


def test_an_input_that_cannot_be_opened_in_a_worker_is_recorded_as_serially(inputs: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch, pools: list[int]) -> None:  # fmt: skip
    got = {}
    for workers in (1, 2):
        monkeypatch.setenv("VIGIL_WORKERS", str(workers))
        db = tmp_path / f"{workers}.duckdb"
        with Store(db) as store:
            summary = Ingest(store, _Unopenable(), batch_size=4).run([inputs]).as_dict()
        summary.pop("batch_id")
        got[workers] = (summary, stored(db))
    assert pools == [2] and got[2] == got[1]
    first = got[1][0]["files"][0]
    assert first["status"] == "error" and first["error"].endswith("cannot be opened")
    assert got[1][1]["ingest_progress"][0][5:7] == (0, False)  # known, unfinished
