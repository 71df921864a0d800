"""Report ingest: formats, quarantine with file and line, idempotence, crash safety."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportfiles import HEADER, rows, write_csv, write_jsonl
from vigil.ingest.reports import ReportIngest
from vigil.store import Store

EVIDENCE = ("report_key, report_id, source, reported_at, url_original, url, host, ip, commercial, "
            "site_type, payment_types, notes, source_file, source_line, file_sha256")  # fmt: skip


def ingest(db: Path, *paths: Path, batch_size: int = 1000):  # type: ignore[no-untyped-def]
    with Store(db) as store:
        return ReportIngest(store, batch_size=batch_size).run(list(paths))


def evidence(db: Path) -> list[tuple[object, ...]]:
    with Store(db, read_only=True) as store:
        return store.con.execute(f"SELECT {EVIDENCE} FROM reports ORDER BY report_key").fetchall()


def quarantine(db: Path) -> list[tuple[object, ...]]:
    with Store(db, read_only=True) as store:
        return store.con.execute("SELECT source_file, line, reason_code FROM quarantine ORDER BY 1, 2").fetchall()


def test_csv_jsonl_gzip_and_bom_all_read(tmp_path: Path) -> None:
    data = rows(40)
    files = [
        write_csv(tmp_path / "a.csv", data[:10], bom=True),
        write_csv(tmp_path / "b.csv.gz", data[10:20], gz=True),
        write_jsonl(tmp_path / "c.jsonl", data[20:30]),  # type: ignore[arg-type]
        write_jsonl(tmp_path / "d.jsonl.gz", data[30:], gz=True),  # type: ignore[arg-type]
    ]
    summary = ingest(tmp_path / "v.duckdb", *files)
    assert (summary.total("rows_read"), summary.total("stored"), summary.total("quarantined")) == (40, 40, 0)
    assert {r[1] for r in evidence(tmp_path / "v.duckdb")} == {f"r{i}" for i in range(40)}


def test_a_folder_is_read_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "2.csv", rows(5, start=5))
    write_csv(tmp_path / "in" / "1.csv", rows(5))
    summary = ingest(tmp_path / "v.duckdb", tmp_path / "in")
    assert [Path(f.path).name for f in summary.files] == ["1.csv", "2.csv"]
    assert summary.total("stored") == 10


def test_bad_rows_are_quarantined_with_file_line_and_reason(tmp_path: Path) -> None:
    text = ",".join(HEADER) + ",analyst\n"
    text += "r0,HL-T,2012-10-01,http://a.test/,,yes,,,\"two\nlines\",x\n"  # lines 2-3, extra column ignored
    text += "r1,HL-T,31/12/2012,http://b.test/,,yes,,,,\n"  # line 4: bad date
    text += "r2,HL-T,2012-10-02,,,yes,,,,\n"  # line 5: no URL
    text += "\n"  # line 6: blank, skipped
    text += "r3,HL-T,2012-10-02,http://c.test/,,yes,,,,,,too,many\n"  # line 7: too many fields
    text += "r4,HL-T,2012-10-02,http://d.test/,999.1.2.3,yes,,,,\n"  # line 8: bad ip
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode() + b"r5,HL-T,2012-10-02,http://e.test/\xff\xfe,,yes,,,,\n")  # line 9: junk
    summary = ingest(tmp_path / "v.duckdb", path)
    assert summary.total("stored") == 1 and summary.total("quarantined") == 5
    got = [(line, code) for _, line, code in quarantine(tmp_path / "v.duckdb")]
    assert got == [(4, "bad_date"), (5, "missing_url"), (7, "bad_row"), (8, "bad_ip"), (9, "binary_junk")]


def test_jsonl_bad_lines_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"source":"HL-J","reported_at":"2012-10-01","url":"http://a.test/"}\n\n[1,2]\n{not json\n')
    summary = ingest(tmp_path / "v.duckdb", path)
    assert summary.total("stored") == 1
    assert [(l, c) for _, l, c in quarantine(tmp_path / "v.duckdb")] == [(3, "bad_json"), (4, "bad_json")]


def test_a_truncated_gzip_keeps_what_was_read_and_says_so(tmp_path: Path) -> None:
    whole = _csv_gz(rows(3000))
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    summary = ingest(tmp_path / "v.duckdb", path)
    assert 0 < summary.total("stored") < 3000
    assert quarantine(tmp_path / "v.duckdb")[-1][2] == "truncated_file"


def _csv_gz(data: list[dict[str, str]]) -> bytes:
    return gzip.compress((",".join(HEADER) + "\n" + "".join(",".join(r.values()) + "\n" for r in data)).encode(), mtime=0)


def test_a_file_without_a_url_column_is_one_clear_error_and_the_rest_goes_on(tmp_path: Path) -> None:
    bad = tmp_path / "a.csv"
    bad.write_text("id,when\n1,2012-10-01\n")
    good = write_csv(tmp_path / "b.csv", rows(4))
    summary = ingest(tmp_path / "v.duckdb", bad, good)
    assert summary.files[0].error and "no 'url' column" in summary.files[0].error and "line 1" in summary.files[0].error
    assert summary.total("stored") == 4 and summary.usable


def test_reingesting_changes_nothing_and_duplicates_are_counted(tmp_path: Path) -> None:
    data = rows(500)
    first = write_csv(tmp_path / "a.csv", data)
    again = write_csv(tmp_path / "overlap.csv", data[250:] + rows(100, start=500))
    db = tmp_path / "v.duckdb"
    ingest(db, first)
    before = evidence(db)
    summary = ingest(db, first)
    assert summary.files[0].status == "already ingested" and evidence(db) == before
    summary = ingest(db, again)
    assert (summary.total("stored"), summary.total("duplicates")) == (100, 250)


def test_nothing_usable_is_not_usable(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_text("url,reported_at,source\n,2012-10-01,HL\n")
    assert not ingest(tmp_path / "v.duckdb", path).usable


@pytest.mark.slow
def test_sigkill_mid_file_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    data = rows(60_000)
    data[777]["reported_at"] = "not a date"
    data[45_000]["url"] = ""
    path = write_csv(tmp_path / "big.csv", data)
    clean = tmp_path / "clean.duckdb"
    ingest(clean, path, batch_size=2000)

    killed = tmp_path / "killed.duckdb"
    cmd = [sys.executable, "-m", "vigil", "ingest", "reports", str(path), "--db", str(killed), "--batch-size", "2000"]
    env = {**os.environ, "VIGIL_THREADS": "1"}
    landed = False
    for delay in (2.5, 2.0, 3.0, 1.5, 4.0, 1.0, 5.0):
        killed.unlink(missing_ok=True)
        Path(str(killed) + ".wal").unlink(missing_ok=True)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with Store(killed) as store:
            done = store.con.execute("SELECT records_done, completed FROM ingest_files").fetchall()
        if done and 0 < done[0][0] and not done[0][1]:
            landed = True
            break
    if not landed:
        pytest.fail("could not land a SIGKILL in the middle of the file at any delay tried")
    partial = len(evidence(killed))
    assert 0 < partial < len(evidence(clean))
    ingest(killed, path, batch_size=2000)
    assert evidence(killed) == evidence(clean)
    assert quarantine(killed) == quarantine(clean) and len(quarantine(clean)) == 2


def test_progress_is_appended_one_row_per_committed_batch_and_ingest_files_shows_the_newest(tmp_path: Path) -> None:
    data = rows(25)
    data[3]["url"] = ""
    data[7] = dict(data[6])  # the same report again: a duplicate inside the batch
    path = write_csv(tmp_path / "a.csv", data)
    db = tmp_path / "v.duckdb"
    ingest(db, path, batch_size=10)
    ingest(db, path, batch_size=10)  # done already: appends nothing
    with Store(db, read_only=True) as store:
        progress = store.con.execute("SELECT seq, records_done, completed, rows_read, stored, duplicates, quarantined "
                                     "FROM ingest_progress ORDER BY seq").fetchall()  # fmt: skip
        files = store.con.execute("SELECT records_done, completed, rows_read, stored, duplicates, quarantined "
                                  "FROM ingest_files").fetchall()  # fmt: skip
    # running totals after each batch of 10 records: 10, 20, then the last 5 with the file complete
    assert progress == [(1, 10, False, 10, 8, 1, 1), (2, 20, False, 20, 18, 1, 1), (3, 25, True, 25, 23, 1, 1)]
    assert files == [progress[-1][1:]]
