"""No media of any kind is stored, whatever its name: every format's header in front of
otherwise text-like bytes, in a manifest folder, a zip and a WARC, is counted and skipped
unread; what is neither markup nor media is quarantined with its reason (issue 17)."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from vigil.cli import app
from vigil.ingest.media import SNIFF, kind_by_magic, markup_problem
from vigil.store import Store

#: Text-like bytes that follow each header: on their own they would pass for a page.
TEXTY = b"<html><head><title>Notice board</title></head><body>" + b"<p>plain words of a page</p>" * 20 + b"</body></html>\n"
PAGE = b"<!DOCTYPE html>\n<html><head><title>Shop front</title></head><body><p>an ordinary page</p></body></html>\n"

#: The first bytes of each format, as its own files begin (headers only: no picture or sound anywhere).
HEADERS: dict[str, tuple[str, bytes]] = {
    "jpeg": ("image", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"),
    "png": ("image", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    "gif": ("image", b"GIF89a\x01\x00\x01\x00\x80"),
    "bmp": ("image", b"BM" + (4000).to_bytes(4, "little") + b"\x00\x00\x00\x00\x36\x00\x00\x00"),
    "tiff": ("image", b"II*\x00\x08\x00\x00\x00"),
    "webp": ("image", b"RIFF\x24\x00\x00\x00WEBPVP8 "),
    "ico": ("image", b"\x00\x00\x01\x00\x01\x00\x10\x10"),
    "heic": ("image", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"),
    "avif": ("image", b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00"),
    "psd": ("image", b"8BPS\x00\x01\x00\x00"),
    "jpeg-xl": ("image", b"\xff\x0a\xfa\x7f"),
    "jpeg-2000": ("image", b"\x00\x00\x00\x0cjP  \r\n\x87\n"),
    "svg": ("image", b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'),
    "mp4": ("video", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"),
    "mov": ("video", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00"),
    "3gp": ("video", b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x00"),
    "quicktime-moov": ("video", b"\x00\x00\x00\x08moov"),
    "matroska": ("video", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"),
    "webm": ("video", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"),
    "avi": ("video", b"RIFF\x00\x10\x00\x00AVI LIST"),
    "flv": ("video", b"FLV\x01\x05\x00\x00\x00\x09"),
    "mpeg-ps": ("video", b"\x00\x00\x01\xba\x44\x00\x04"),
    "mpeg-video": ("video", b"\x00\x00\x01\xb3\x16\x00\xf0"),
    "mpeg-ts": ("video", b"\x47\x40\x00\x10" + b"\xff" * 184 + b"\x47\x40\x00\x11"),
    "asf-wmv-wma": ("video", b"0&\xb2u\x8ef\xcf\x11\xa6\xd9\x00\xaa\x00b\xcel"),
    "realmedia": ("video", b".RMF\x00\x00\x00\x12"),
    "swf": ("video", b"FWS\x0a\x00\x10\x00\x00"),
    "mp3-id3": ("audio", b"ID3\x04\x00\x00\x00\x00\x00\x00"),
    "mp3-frame": ("audio", b"\xff\xfb\x90\x64\x00"),
    "mp2-frame": ("audio", b"\xff\xfd\x94\x00"),
    "aac-adts": ("audio", b"\xff\xf1\x50\x80\x02\x1f\xfc"),
    "m4a": ("audio", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"),
    "ogg-vorbis": ("audio", b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01vorbis"),
    "ogg-opus": ("audio", b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead"),
    "flac": ("audio", b"fLaC\x00\x00\x00\x22"),
    "wav": ("audio", b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00"),
    "aiff": ("audio", b"FORM\x00\x00\x10\x00AIFFCOMM"),
    "amr": ("audio", b"#!AMR\n"),
    "amr-wb": ("audio", b"#!AMR-WB\n"),
    "midi": ("audio", b"MThd\x00\x00\x00\x06\x00\x01\x00\x02"),
    "rmid": ("audio", b"RIFF\x00\x01\x00\x00RMIDdata"),
    "caf": ("audio", b"caff\x00\x01\x00\x00"),
    "wavpack": ("audio", b"wvpk\x20\x00\x00\x00"),
    "ape": ("audio", b"MAC \x96\x0f\x00\x00"),
    "au": ("audio", b".snd\x00\x00\x00\x18"),
    "musepack": ("audio", b"MPCK"),
    "zip": ("archive", b"PK\x03\x04\x14\x00\x00\x00"),
    "zip-empty": ("archive", b"PK\x05\x06\x00\x00"),
    "rar": ("archive", b"Rar!\x1a\x07\x01\x00"),
    "7z": ("archive", b"7z\xbc\xaf\x27\x1c\x00\x04"),
    "gzip": ("archive", b"\x1f\x8b\x08\x00\x00\x00\x00\x00"),
    "bzip2": ("archive", b"BZh91AY&SY"),
    "xz": ("archive", b"\xfd7zXZ\x00\x00\x04"),
    "zstd": ("archive", b"\x28\xb5\x2f\xfd\x04\x00"),
    "lz4": ("archive", b"\x04\x22\x4d\x18\x64\x40"),
    "cab": ("archive", b"MSCF\x00\x00\x00\x00"),
    "tar": ("archive", b"page.html" + b"\x00" * 248 + b"ustar\x0000"),
    "pdf": ("other", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    "woff": ("other", b"wOFF\x00\x01\x00\x00"),
}

#: Media hidden a few bytes in: padding, or a line of markup, in front of the header.
PREFIXED: dict[str, bytes] = {
    "png-after-markup": b"<html>" + HEADERS["png"][1],
    "jpeg-after-comment": b"<!-- saved -->" + HEADERS["jpeg"][1],
    "mp3-after-blank-lines": b"\r\n\r\n" + HEADERS["mp3-id3"][1],
    "ogg-after-spaces": b"    " + HEADERS["ogg-opus"][1],
    "mp4-after-junk": b"<p>" + HEADERS["mp4"][1],
    "midi-after-markup": b"<body>" + HEADERS["midi"][1],
    "zip-after-markup": b"<div>" + HEADERS["zip"][1],
    "wav-after-padding": b"\n\n" + HEADERS["wav"][1][8:],
}

NOT_MARKUP = {"plain-text": b"just some words in a text file, no tags at all\n" * 5, "json": b'{"a": 1, "b": [1, 2, 3]}\n'}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_every_format_is_known_by_its_first_bytes(name: str) -> None:
    kind, header = HEADERS[name]
    assert kind_by_magic((header + TEXTY)[:SNIFF]) == kind


@pytest.mark.parametrize("name", sorted(PREFIXED))
def test_media_a_few_bytes_in_is_still_media(name: str) -> None:
    assert kind_by_magic((PREFIXED[name] + TEXTY)[:SNIFF]) is not None


def test_pages_are_not_media_and_are_markup() -> None:
    for page in (PAGE, TEXTY, b"\xef\xbb\xbf<html lang='fr'><body>caf\xc3\xa9</body></html>", b"  <!-- a comment -->\n<div>x</div>"):
        assert kind_by_magic(page[:SNIFF]) is None, page
        assert markup_problem(page[:4096]) is None, page
    assert markup_problem(NOT_MARKUP["plain-text"]) and markup_problem(b"<html>\x00\x01\x02")


def _corpus() -> dict[str, bytes]:
    files = {f"{name}.html": header + TEXTY for name, (_, header) in HEADERS.items()}
    files |= {f"{name}.html": data + TEXTY for name, data in PREFIXED.items()}
    files |= {f"{name}.html": data for name, data in NOT_MARKUP.items()}
    files["page.html"] = PAGE
    return files


def _manifest(files: dict[str, bytes]) -> bytes:
    rows = [{"capture_id": f"m{n}", "url": f"http://shop.test/{n}", "captured_at": "2012-05-01", "file": name}
            for n, name in enumerate(sorted(files))]  # fmt: skip
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _warc(path: Path, files: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for n, name in enumerate(sorted(files)):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"http://warc.test/{n}", "response", payload=io.BytesIO(files[name]), http_headers=headers))
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("media")
    files = _corpus()
    folder = base / "folder"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "manifest.jsonl").write_bytes(_manifest(files))
    with zipfile.ZipFile(base / "caps.zip", "w") as archive:
        for name, data in files.items():
            archive.writestr(f"inside/{name}", data)
        archive.writestr("inside/manifest.jsonl", _manifest(files))
    _warc(base / "caps.warc.gz", files)
    db = base / "v.duckdb"
    result = CliRunner().invoke(app, ["ingest", "captures", str(folder), str(base / "caps.zip"), str(base / "caps.warc.gz"), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    export = CliRunner().invoke(app, ["quarantine", "--db", str(db), "--format", "json", "--limit", "0"])
    assert export.exit_code == 0, export.output
    return {"db": db, "summary": json.loads(result.stdout), "quarantine": export.stdout, "files": files}


def test_media_is_counted_and_skipped_in_every_container(ingested: dict[str, object]) -> None:
    summary = ingested["summary"]
    media = len(HEADERS) + len(PREFIXED)
    assert isinstance(summary, dict)
    per_file = [(f["skipped_media"], f["stored"] + f["duplicates"], f["quarantined"]) for f in summary["files"]]
    assert per_file == [(media, 1, len(NOT_MARKUP))] * 3, per_file


def test_what_is_neither_markup_nor_media_is_quarantined_with_its_reason(ingested: dict[str, object]) -> None:
    with Store(ingested["db"], read_only=True) as store:  # type: ignore[arg-type]
        codes = store.con.execute("SELECT reason_code, count(*) FROM quarantine GROUP BY 1").fetchall()
        reasons = [r for (r,) in store.con.execute("SELECT reason FROM quarantine").fetchall()]
    assert codes == [("not_markup", 3 * len(NOT_MARKUP))]
    assert all("not a page: text without markup" in r for r in reasons)


def test_zero_media_bytes_in_the_store_or_any_output(ingested: dict[str, object]) -> None:
    with Store(ingested["db"], read_only=True) as store:  # type: ignore[arg-type]
        pages = [zlib.decompress(b) for (b,) in store.con.execute("SELECT html_zlib FROM pages").fetchall()]
    assert pages == [PAGE]
    outputs = [*pages, str(ingested["quarantine"]).encode("utf-8", "surrogateescape"), Path(str(ingested["db"])).read_bytes()]
    for name, (_, header) in HEADERS.items():
        probe = header[:8] if len(header) >= 8 else header
        if len(probe) < 6:
            continue  # too short to tell apart from chance in a database file
        for blob in outputs:
            assert probe not in blob, f"bytes of the {name} header found in the store or an output"
