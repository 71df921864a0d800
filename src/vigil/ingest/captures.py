"""Capture ingest: manifest folders/zips and WARCs → pages (stored once) and capture evidence.

Only HTML is kept; media is skipped unread and counted. Embedded ``data:`` media is
stripped from HTML before it is hashed and stored, compressed. Commits, checkpoints,
resuming and skipping finished inputs are :mod:`vigil.ingest.pipeline`'s, as for reports:
a killed run resumes, an input already ingested is skipped, a capture key already stored is
a duplicate, and a page already stored is kept once.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.defaults import CAPTURE_BATCH
from vigil.errors import InputError, InvalidRecord
from vigil.ingest.capture_sources import (
    DEFAULT_MAX_PAGE,
    CaptureItem,
    find_manifest,
    folder_items,
    warc_items,
    zip_items,
)
from vigil.ingest.media import strip_embedded_media
from vigil.ingest.pipeline import Ingest, Input, Kind, Opened, TableSpec, Unit, lazily
from vigil.ingest.readers import excerpt
from vigil.ingest.validate import parse_timestamp
from vigil.model import QuarantineReason
from vigil.store.handle import StoreHandle
from vigil.urls import canonicalize_url

CAPTURES = TableSpec("captures", pa.schema(
    [
        ("capture_key", pa.string()), ("capture_id", pa.string()), ("source", pa.string()),
        ("captured_at", pa.timestamp("us")), ("url_original", pa.string()), ("url", pa.string()),
        ("host", pa.string()), ("referrer", pa.string()), ("page_sha256", pa.string()),
        ("source_file", pa.string()), ("source_record", pa.int64()), ("file_sha256", pa.string()),
        ("batch_id", pa.string()), ("ingested_at", pa.timestamp("us")),
    ]
), key=("capture_key",))  # fmt: skip
PAGES = TableSpec("pages", pa.schema(
    [
        ("page_sha256", pa.string()), ("html_zlib", pa.binary()), ("size_bytes", pa.int64()),
        ("media_stripped", pa.int32()), ("batch_id", pa.string()), ("stored_at", pa.timestamp("us")),
    ]
), key=("page_sha256",), counted=False)  # fmt: skip
_SPLIT = re.compile(r"\s*>\s*")


def _key(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def referrer_chain(value: Any) -> str | None:
    """``a > b > c`` with spacing normalised, or None."""
    parts = [p for p in _SPLIT.split(_text(value)) if p]
    return " > ".join(parts) if parts else None


def capture_inputs(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """(kind, path) for each input: a manifest folder, a zip, or a WARC; folders are searched."""
    found: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted([path, *path.rglob("*")]):
                name = child.name.lower()
                if child.is_dir():
                    try:
                        find_manifest(child)
                        found.append(("folder", child))
                    except InputError:
                        pass
                elif name.endswith((".warc", ".warc.gz")):
                    found.append(("warc", child))
                elif name.endswith(".zip"):
                    found.append(("zip", child))
        elif path.name.lower().endswith(".zip"):
            found.append(("zip", path))
        else:
            found.append(("warc", path))
    return found


class CaptureKind(Kind):
    """Capture inputs: a manifest folder, a zip of one, or a WARC; one capture per record."""

    name = "captures"
    quarantine_kind = "capture"
    tables = (PAGES, CAPTURES)
    parse_ahead = True  # reading archives, stripping media, hashing and compressing pages is the heavy part

    def __init__(self, default_source: str | None = None, max_page_bytes: int = DEFAULT_MAX_PAGE) -> None:
        self.default_source = default_source or ""
        self.max_page_bytes = max_page_bytes

    def inputs(self, paths: Sequence[Path]) -> list[Input]:
        found: list[Input] = []
        for form, path in capture_inputs(paths):
            try:
                found.append(Input(path, find_manifest(path) if form == "folder" else path, form))
            except InputError as exc:
                found.append(Input(path, path, form, error=str(exc)))
        return found

    def open(self, item: Input) -> Opened:
        def items() -> Iterator[CaptureItem]:
            if item.form == "folder":
                return folder_items(item.path, self.max_page_bytes)[1]
            if item.form == "zip":
                return zip_items(item.path, self.max_page_bytes)
            return warc_items(item.path, self.max_page_bytes)

        return Opened(lazily(items))  # a bad manifest, zip or WARC is read as a quarantined file, not unopened

    def take(self, item: CaptureItem, unit: Unit) -> None:
        if item.media:
            unit.skipped_media += 1
            return
        try:
            if item.problem:
                raise item.problem
            row = self.capture(item)
        except InvalidRecord as exc:
            text = excerpt(" | ".join(f"{k}={v}" for k, v in item.fields.items()))
            unit.reject(item.record, exc.code, exc.reason, text)
            return
        html, stripped = strip_embedded_media(item.html or b"")
        row["page_sha256"] = sha = hashlib.sha256(html).hexdigest()
        if sha not in unit.rows.get(PAGES.name, {}):
            page = {"page_sha256": sha, "html_zlib": zlib.compress(html, 6), "size_bytes": len(html), "media_stripped": stripped}
            unit.keep(PAGES.name, sha, page, counted=False)
        unit.keep(CAPTURES.name, row["capture_key"], row)

    def capture(self, item: CaptureItem) -> dict[str, Any]:
        """A capture's row (its page's hash and the provenance columns left out), or InvalidRecord."""
        fields = item.fields
        raw_url = _text(fields.get("url"))
        if not raw_url:
            raise InvalidRecord("no URL", code=QuarantineReason.MISSING_URL)
        canonical = canonicalize_url(raw_url)
        when = _text(fields.get("captured_at"))
        if not when:
            raise InvalidRecord("no captured_at date", code=QuarantineReason.MISSING_CAPTURED_AT)
        try:
            captured_at = parse_timestamp(when)
        except InvalidRecord as exc:
            raise InvalidRecord(exc.reason.replace("reported_at", "captured_at"), code=QuarantineReason.BAD_DATE) from None
        source = _text(fields.get("source")) or self.default_source
        capture_id = _text(fields.get("capture_id")) or "h:" + _key(raw_url, when, hashlib.sha256(item.html or b"").hexdigest())
        return {
            "capture_key": _key(source, capture_id), "capture_id": capture_id, "source": source,
            "captured_at": captured_at, "url_original": raw_url, "url": canonical.url, "host": canonical.host,
            "referrer": referrer_chain(fields.get("referrer")), "source_record": item.record,
        }  # fmt: skip


class CaptureIngest(Ingest):
    """Ingests capture inputs into a store; one instance per command run."""

    def __init__(self, store: StoreHandle, *, default_source: str | None = None, batch_size: int = CAPTURE_BATCH,
                 max_page_bytes: int = DEFAULT_MAX_PAGE, progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        super().__init__(store, CaptureKind(default_source, max_page_bytes), batch_size=batch_size, progress=progress)


__all__ = ["CAPTURES", "PAGES", "CaptureIngest", "CaptureKind", "capture_inputs", "referrer_chain"]
