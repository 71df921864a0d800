"""Capture ingest: HTML only, media skipped unread and counted, hostile inputs contained."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from vigil.ingest.captures import CaptureIngest
from vigil.store import Store

PAGE = b"<html><head><title>Example Photo Club</title></head><body><form action='https://pay.example/x'></form></body></html>"
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a header only: no picture anywhere in the tests
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


def ingest(db: Path, *paths: Path, **kw: object):  # type: ignore[no-untyped-def]
    with Store(db) as store:
        return CaptureIngest(store, **kw).run(list(paths))  # type: ignore[arg-type]


def table(db: Path, sql: str) -> list[tuple[object, ...]]:
    with Store(db, read_only=True) as store:
        return store.con.execute(sql).fetchall()


def manifest_folder(root: Path, rows: list[dict[str, str]], files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def test_a_manifest_folder_keeps_html_once_and_counts_media(tmp_path: Path) -> None:
    rows = [
        {"capture_id": "c1", "url": "http://a.test/", "captured_at": "2012-05-01T10:00:00Z", "file": "a.html",
         "referrer": "http://banner.test/ >  http://a.test/in"},
        {"capture_id": "c2", "url": "http://b.test/", "captured_at": "2012-05-02", "file": "b.html"},
        {"capture_id": "c3", "url": "http://a.test/x.png", "captured_at": "2012-05-02", "file": "x.png"},
        {"capture_id": "c4", "url": "http://a.test/v", "captured_at": "2012-05-02", "file": "v.html"},
        {"capture_id": "c5", "url": "http://a.test/", "captured_at": "not a date", "file": "a.html"},
    ]  # fmt: skip
    folder = manifest_folder(tmp_path / "caps", rows, {"a.html": PAGE, "b.html": PAGE, "x.png": FAKE_PNG, "v.html": FAKE_MP4})
    summary = ingest(tmp_path / "v.duckdb", folder)
    assert (summary.total("stored"), summary.total("skipped_media"), summary.total("quarantined")) == (2, 2, 1)
    assert table(tmp_path / "v.duckdb", "SELECT count(*) FROM pages") == [(1,)]  # identical pages stored once
    assert table(tmp_path / "v.duckdb", "SELECT referrer FROM captures WHERE capture_id = 'c1'") == [
        ("http://banner.test/ > http://a.test/in",)
    ]
    stored = table(tmp_path / "v.duckdb", "SELECT html_zlib FROM pages")[0][0]
    assert zlib.decompress(stored) == PAGE
    assert table(tmp_path / "v.duckdb", "SELECT reason_code FROM quarantine") == [("bad_date",)]
    again = ingest(tmp_path / "v.duckdb", folder)
    assert again.files[0].status == "already ingested"


def test_embedded_media_is_stripped_before_storing(tmp_path: Path) -> None:
    page = b"<html><body><img src='data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=='><a href='data:text/plain,hi'>t</a></body></html>"
    rows = [{"capture_id": "c1", "url": "http://a.test/", "captured_at": "2012-05-01", "file": "a.html"}]
    ingest(tmp_path / "v.duckdb", manifest_folder(tmp_path / "caps", rows, {"a.html": page}))
    html, stripped = table(tmp_path / "v.duckdb", "SELECT html_zlib, media_stripped FROM pages")[0]
    text = zlib.decompress(html)  # type: ignore[arg-type]
    assert b"base64" not in text and b"data:text/plain,hi" in text and stripped == 1


def test_a_zip_with_a_manifest_and_a_page_too_large(tmp_path: Path) -> None:
    path = tmp_path / "caps.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("batch/manifest.csv", "capture_id,url,captured_at,file\nz1,http://z.test/,2012-06-01,z.html\n"
                         "z2,http://big.test/,2012-06-01,big.html\nz3,http://z.test/e,2012-06-01,../escape.html\n")  # fmt: skip
        archive.writestr("batch/z.html", PAGE)
        archive.writestr("batch/big.html", b"<html>" + b"<p>filler</p>" * 500_000)
    summary = ingest(tmp_path / "v.duckdb", path, max_page_bytes=1_000_000)
    assert summary.total("stored") == 1
    codes = [r[0] for r in table(tmp_path / "v.duckdb", "SELECT reason_code FROM quarantine ORDER BY line")]
    assert codes == ["page_too_large", "missing_file"]


def _warc(path: Path, records: list[tuple[str, str, bytes]], *, gz: bool = True, referer: list[bool] | None = None) -> Path:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    for n, (url, content_type, body) in enumerate(records):
        headers = [("Host", "x.test")] + ([("Referer", "http://ref.test/")] if referer is None or referer[n] else [])
        request = writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(
            "GET / HTTP/1.1", headers, is_http_request=True))  # fmt: skip
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        response = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        writer.write_record(request)
        writer.write_record(response)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_warc_keeps_html_responses_only(tmp_path: Path) -> None:
    path = _warc(tmp_path / "a.warc.gz", [
        ("http://w.test/", "text/html; charset=utf-8", PAGE),
        ("http://w.test/p.jpg", "image/jpeg", b"\xff\xd8\xff" + b"\x00" * 32),
        ("http://w.test/m.mp4", "video/mp4", FAKE_MP4),
        ("http://w.test/k.zip", "application/zip", b"PK\x03\x04" + b"\x00" * 32),
    ])  # fmt: skip
    summary = ingest(tmp_path / "v.duckdb", path)
    assert (summary.total("stored"), summary.total("skipped_media")) == (1, 3)
    assert table(tmp_path / "v.duckdb", "SELECT url, referrer FROM captures") == [("http://w.test/", "http://ref.test/")]


def test_a_referrer_never_outlives_its_own_request(tmp_path: Path) -> None:
    path = _warc(tmp_path / "r.warc.gz", [("http://w.test/", "text/html", PAGE), ("http://w.test/", "text/html", PAGE + b"2")],
                 referer=[True, False])  # fmt: skip
    ingest(tmp_path / "v.duckdb", path)
    got = table(tmp_path / "v.duckdb", "SELECT referrer FROM captures ORDER BY source_record")
    assert got == [("http://ref.test/",), (None,)]


def test_a_warc_full_of_images_stores_nothing(tmp_path: Path) -> None:
    path = _warc(tmp_path / "img.warc.gz", [(f"http://w.test/{i}.png", "image/png", FAKE_PNG) for i in range(50)])
    summary = ingest(tmp_path / "v.duckdb", path)
    assert summary.total("skipped_media") == 50 and not summary.usable
    assert table(tmp_path / "v.duckdb", "SELECT count(*) FROM pages") == [(0,)]


def test_a_truncated_warc_keeps_what_came_before_and_says_so(tmp_path: Path) -> None:
    whole = _warc(tmp_path / "w.warc.gz", [(f"http://w.test/{i}", "text/html", PAGE + str(i).encode()) for i in range(40)])
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    summary = ingest(tmp_path / "v.duckdb", cut)
    assert 0 < summary.total("stored") < 40
    assert table(tmp_path / "v.duckdb", "SELECT reason_code FROM quarantine") == [("truncated_file",)]


def test_deep_nesting_is_stored_as_text_without_parsing(tmp_path: Path) -> None:
    deep = b"<div>" * 100_000 + b"x" + b"</div>" * 100_000
    rows = [{"capture_id": "d", "url": "http://deep.test/", "captured_at": "2012-05-01", "file": "d.html"}]
    summary = ingest(tmp_path / "v.duckdb", manifest_folder(tmp_path / "c", rows, {"d.html": deep}))
    assert summary.total("stored") == 1


def test_gzip_checks_bind_to_this_module() -> None:
    assert gzip.decompress(gzip.compress(PAGE)) == PAGE
