"""Where captures come from: a folder or zip with a manifest, or WARC files.

Each source yields :class:`CaptureItem` records in order. An item holds the capture's
metadata and either its HTML bytes (already bounded) or the reason it cannot be used, or
the media kind it was skipped as — media is judged by declared type and by its first bytes
(``media.SNIFF``), and never read further; what is not media must be text markup.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from vigil.defaults import MAX_PAGE_BYTES
from vigil.errors import InputError, InvalidRecord
from vigil.ingest.media import (
    SNIFF,
    kind_by_content_type,
    kind_by_magic,
    kind_by_name,
    markup_problem,
)
from vigil.ingest.readers import open_records
from vigil.model import QuarantineReason

MANIFESTS = ("manifest.csv", "manifest.jsonl", "manifest.csv.gz", "manifest.jsonl.gz")
DEFAULT_MAX_PAGE = MAX_PAGE_BYTES


@dataclass(frozen=True, slots=True)
class CaptureItem:
    record: int
    fields: dict[str, Any]
    html: bytes | None = None
    problem: InvalidRecord | None = None
    media: str | None = None


def _bounded(handle: IO[bytes], limit: int, what: str) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise InvalidRecord(f"{what} is larger than the {limit:,}-byte page limit", code=QuarantineReason.PAGE_TOO_LARGE)
    return data


def _page(handle: IO[bytes], limit: int, what: str) -> tuple[bytes | None, str | None]:
    """(html, None) or (None, media kind): sniff the first bytes, then read bounded.

    Media (by its magic number, wherever it sits in the first bytes) is never read past the
    sniff; a file that is not media is kept only when it is text markup.
    """
    head = handle.read(SNIFF)
    media = kind_by_magic(head)
    if media:
        return None, media
    body = head + _bounded(handle, limit - len(head), what) if len(head) == SNIFF else head
    problem = markup_problem(body[:4096])
    if problem and problem.startswith("binary"):
        raise InvalidRecord(f"{what} is not a page: {problem}", code=QuarantineReason.NOT_HTML)
    if problem:
        raise InvalidRecord(f"{what} is not a page: {problem}", code=QuarantineReason.NOT_MARKUP)
    return body, None


def find_manifest(folder: Path) -> Path:
    for name in MANIFESTS:
        if (folder / name).is_file():
            return folder / name
    raise InputError(f"{folder}: no manifest.csv or manifest.jsonl")


def _manifest_items(records: Iterator[Any], open_member: Any, limit: int) -> Iterator[CaptureItem]:
    for raw in records:
        if raw.problem or raw.fields is None:
            yield CaptureItem(raw.line, {}, problem=raw.problem)
            continue
        fields = raw.fields
        name = str(fields.get("file") or "").strip()
        if not name:
            yield CaptureItem(raw.line, fields, problem=InvalidRecord("no file named", code=QuarantineReason.MISSING_FILE))
            continue
        media = kind_by_name(name)
        if media:
            yield CaptureItem(raw.line, fields, media=media)
            continue
        try:
            with open_member(name) as handle:
                html, media = _page(handle, limit, f"file {name!r}")
        except InvalidRecord as exc:
            yield CaptureItem(raw.line, fields, problem=exc)
            continue
        except (OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            problem = InvalidRecord(f"cannot read file {name!r}: {exc}", code=QuarantineReason.MISSING_FILE)
            yield CaptureItem(raw.line, fields, problem=problem)
            continue
        yield CaptureItem(raw.line, fields, html=html, media=media)


def _inside(base: PurePosixPath, name: str) -> PurePosixPath:
    """A manifest's file name, refused if it climbs out of its folder."""
    target = PurePosixPath(name.replace("\\", "/"))
    if target.is_absolute() or ".." in target.parts:
        raise InvalidRecord(f"file {name!r} points outside the capture folder", code=QuarantineReason.MISSING_FILE)
    return base / target


def folder_items(folder: Path, limit: int = DEFAULT_MAX_PAGE) -> tuple[Path, Iterator[CaptureItem]]:
    manifest = find_manifest(folder)
    source = open_records(manifest)

    def open_member(name: str) -> IO[bytes]:
        return open(folder / _inside(PurePosixPath("."), name), "rb")

    def items() -> Iterator[CaptureItem]:
        try:
            yield from _manifest_items(source.records, open_member, limit)
        finally:
            source.close()

    return manifest, items()


def zip_items(path: Path, limit: int = DEFAULT_MAX_PAGE) -> Iterator[CaptureItem]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable zip file: {exc}") from None
    names = set(archive.namelist())
    manifest = next((n for n in names if PurePosixPath(n).name in MANIFESTS), None)
    if manifest is None:
        archive.close()
        raise InputError(f"{path}: no manifest.csv or manifest.jsonl inside")
    base = PurePosixPath(manifest).parent

    def open_member(name: str) -> IO[bytes]:
        return archive.open(str(_inside(base, name)))

    try:
        with archive.open(manifest) as handle:
            source = open_records(Path(manifest), handle=handle)
            yield from _manifest_items(source.records, open_member, limit)
    finally:
        archive.close()


def complete_gzip_prefix(path: Path) -> tuple[int, bool]:
    """Bytes of ``path`` made of whole gzip members, and whether a broken tail follows.

    warcio stops quietly at a truncated member; scanning first lets ingest keep the
    complete records and say plainly that the file was cut short.
    """
    end, size = 0, path.stat().st_size
    with open(path, "rb") as handle:
        while end < size:
            handle.seek(end)
            inflater = zlib.decompressobj(31)
            used = 0
            while not inflater.eof:
                chunk = handle.read(1 << 16)
                if not chunk:
                    return end, True
                try:
                    inflater.decompress(chunk, 1 << 16)
                    while inflater.unconsumed_tail and not inflater.eof:
                        inflater.decompress(inflater.unconsumed_tail, 1 << 16)
                except zlib.error:
                    return end, True
                used += len(chunk) - len(inflater.unused_data)
            end += used
    return end, False


class _Prefix(io.RawIOBase):
    """The first ``limit`` bytes of a file, as a readable stream."""

    def __init__(self, handle: IO[bytes], limit: int) -> None:
        self.handle, self.left = handle, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(min(len(buffer), self.left))
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _paired_referer(referers: dict[str, str], record_id: str, target: str) -> str:
    """The Referer of the request paired with a response: by record ID, else the latest
    request for the same URL; both entries are consumed so none outlives its response."""
    by_id = referers.pop(record_id, None)
    by_url = referers.pop(target, None)
    return (by_id if by_id is not None else by_url) or ""


def warc_items(path: Path, limit: int = DEFAULT_MAX_PAGE) -> Iterator[CaptureItem]:
    """Responses and resources from a WARC; the referrer comes from the paired request."""
    from warcio.archiveiterator import ArchiveIterator

    referers: dict[str, str] = {}
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        usable, truncated = complete_gzip_prefix(path) if head == b"\x1f\x8b" else (path.stat().st_size, False)
        handle = io.BufferedReader(_Prefix(raw, usable))
        number = 0
        try:
            for rec in ArchiveIterator(handle):
                number += 1
                headers = rec.rec_headers
                target = headers.get_header("WARC-Target-URI") or ""
                if rec.rec_type == "request" and rec.http_headers is not None:
                    referer = rec.http_headers.get_header("Referer") or ""
                    # a request without a Referer is recorded too, so it masks an older one
                    referers[target] = referer
                    concurrent = headers.get_header("WARC-Concurrent-To")
                    if concurrent:
                        referers[concurrent] = referer
                    continue
                if rec.rec_type not in ("response", "resource"):
                    continue
                record_id = headers.get_header("WARC-Record-ID") or f"{path.name}#{number}"
                fields = {
                    "capture_id": record_id.strip("<>"),
                    "url": target,
                    "captured_at": headers.get_header("WARC-Date") or "",
                    "referrer": _paired_referer(referers, record_id, target),
                }
                if rec.rec_type == "response":
                    status = rec.http_headers.get_statuscode() if rec.http_headers else ""
                    content_type = rec.http_headers.get_header("Content-Type") if rec.http_headers else None
                    if status and not str(status).startswith("2"):
                        continue  # redirects and errors carry no page
                else:
                    content_type = headers.get_header("Content-Type")
                media = kind_by_content_type(content_type)
                if media:
                    yield CaptureItem(number, fields, media=media)
                    continue
                try:
                    html, media = _page(rec.content_stream(), limit, f"record {number}")
                except InvalidRecord as exc:
                    yield CaptureItem(number, fields, problem=exc)
                    continue
                yield CaptureItem(number, fields, html=html, media=media)
        except Exception as exc:  # warcio raises several types for a corrupt archive
            reason = f"the WARC ends early or is corrupt after record {number}: {type(exc).__name__}: {exc}"
            yield CaptureItem(number + 1, {}, problem=InvalidRecord(reason, code=QuarantineReason.TRUNCATED_FILE))
            return
        if truncated:
            reason = f"the WARC ends early: the compressed data after record {number} is cut short"
            yield CaptureItem(number + 1, {}, problem=InvalidRecord(reason, code=QuarantineReason.TRUNCATED_FILE))
