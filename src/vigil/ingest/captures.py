"""Capture ingest: manifest folders/zips and WARCs → pages (stored once) and capture evidence.

Only HTML is kept; media is skipped unread and counted. Embedded ``data:`` media is
stripped from HTML before it is hashed and stored, compressed. Batches commit with their
quarantine rows and the file checkpoint, as for reports: a killed run resumes, a file
already ingested is skipped, a capture key already stored is a duplicate.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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
from vigil.ingest.checkpoint import (
    FileSummary,
    IngestSummary,
    add_counts,
    begin_batch,
    commit_progress,
    end_batch,
    insert_quarantine,
    start_file,
)
from vigil.ingest.media import strip_embedded_media
from vigil.ingest.readers import excerpt
from vigil.ingest.validate import parse_timestamp
from vigil.model import QuarantineReason
from vigil.store import Store, utcnow
from vigil.urls import canonicalize_url

_CAPTURE_SCHEMA = pa.schema(
    [
        ("capture_key", pa.string()), ("capture_id", pa.string()), ("source", pa.string()),
        ("captured_at", pa.timestamp("us")), ("url_original", pa.string()), ("url", pa.string()),
        ("host", pa.string()), ("referrer", pa.string()), ("page_sha256", pa.string()),
        ("source_file", pa.string()), ("source_record", pa.int64()), ("file_sha256", pa.string()),
        ("batch_id", pa.string()), ("ingested_at", pa.timestamp("us")),
    ]
)  # fmt: skip
_SPLIT = re.compile(r"\s*>\s*")


def _key(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def referrer_chain(value: Any) -> str | None:
    """``a > b > c`` with spacing normalised, or None."""
    parts = [p for p in _SPLIT.split(_text(value)) if p]
    return " > ".join(parts) if parts else None


@dataclass
class CaptureBatch:
    pages: dict[str, tuple[bytes, int, int]] = field(default_factory=dict)
    captures: dict[str, list[Any]] = field(default_factory=dict)
    quarantine: list[tuple[int, str, str, str]] = field(default_factory=list)
    records: int = 0
    skipped_media: int = 0
    in_batch_duplicates: int = 0


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


class CaptureIngest:
    """Ingests capture inputs into a store; one instance per command run."""

    def __init__(self, store: Store, *, default_source: str | None = None, batch_size: int = CAPTURE_BATCH,
                 max_page_bytes: int = DEFAULT_MAX_PAGE, progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.store = store
        self.default_source = default_source or ""
        self.batch_size = batch_size
        self.max_page_bytes = max_page_bytes
        self.progress = progress or (lambda n: None)
        self.batch_id = uuid.uuid4().hex[:16]

    def run(self, paths: Sequence[Path]) -> IngestSummary:
        summary = IngestSummary(self.batch_id)
        begin_batch(self.store.con, self.batch_id, "captures", paths)
        for kind, path in capture_inputs(paths):
            summary.files.append(self._input(kind, path))
        end_batch(self.store.con, self.batch_id)
        return summary

    def _input(self, kind: str, path: Path) -> FileSummary:
        try:
            identity = find_manifest(path) if kind == "folder" else path
        except InputError as exc:
            return FileSummary(str(path), status="error", error=str(exc))
        start = start_file(self.store.con, path, kind="captures", batch_id=self.batch_id, identity=identity)
        result, sha, skip = start.result, start.sha, start.skip
        if skip is None:
            return result
        consumed = 0
        batch = CaptureBatch()
        try:
            items: Iterator[CaptureItem]
            if kind == "folder":
                items = folder_items(path, self.max_page_bytes)[1]
            elif kind == "zip":
                items = zip_items(path, self.max_page_bytes)
            else:
                items = warc_items(path, self.max_page_bytes)
            for item in items:
                consumed += 1
                if consumed <= skip:
                    continue
                batch.records += 1
                self._take(item, batch)
                if batch.records >= self.batch_size:
                    self._commit(batch, path=str(path), sha=sha, consumed=consumed, result=result, completed=False)
                    self.progress(batch.records)
                    batch = CaptureBatch()
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            batch.quarantine.append((1, QuarantineReason.BAD_FILE.value, str(exc), ""))
        self._commit(batch, path=str(path), sha=sha, consumed=consumed, result=result, completed=True)
        self.progress(batch.records)
        return result

    def _take(self, item: CaptureItem, batch: CaptureBatch) -> None:
        if item.media:
            batch.skipped_media += 1
            return
        try:
            if item.problem:
                raise item.problem
            row = self._capture(item)
        except InvalidRecord as exc:
            text = excerpt(" | ".join(f"{k}={v}" for k, v in item.fields.items()))
            batch.quarantine.append((item.record, exc.code, exc.reason, text))
            return
        html, stripped = strip_embedded_media(item.html or b"")
        sha = hashlib.sha256(html).hexdigest()
        row[8] = sha
        if sha not in batch.pages:
            batch.pages[sha] = (zlib.compress(html, 6), len(html), stripped)
        if row[0] in batch.captures:
            batch.in_batch_duplicates += 1
        else:
            batch.captures[row[0]] = row

    def _capture(self, item: CaptureItem) -> list[Any]:
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
        return [
            _key(source, capture_id), capture_id, source, captured_at, raw_url, canonical.url, canonical.host,
            referrer_chain(fields.get("referrer")), "", "", item.record, "", "", None,
        ]  # fmt: skip

    def _commit(self, batch: CaptureBatch, *, path: str, sha: str, consumed: int, result: FileSummary,
                completed: bool) -> None:  # fmt: skip
        con = self.store.con
        now = utcnow()
        con.execute("BEGIN TRANSACTION")
        try:
            stored = 0
            if batch.pages:
                pages = pa.table({
                    "page_sha256": list(batch.pages),
                    "html_zlib": pa.array([v[0] for v in batch.pages.values()], pa.binary()),
                    "size_bytes": [v[1] for v in batch.pages.values()],
                    "media_stripped": pa.array([v[2] for v in batch.pages.values()], pa.int32()),
                    "batch_id": [self.batch_id] * len(batch.pages),
                    "stored_at": pa.array([now] * len(batch.pages), pa.timestamp("us")),
                })  # fmt: skip
                con.register("_page_batch", pages)
                con.execute("INSERT INTO pages SELECT b.* FROM _page_batch b WHERE NOT EXISTS "
                            "(SELECT 1 FROM pages p WHERE p.page_sha256 = b.page_sha256)")  # fmt: skip
                con.unregister("_page_batch")
            if batch.captures:
                rows = list(batch.captures.values())
                for row in rows:
                    row[9], row[11], row[12], row[13] = path, sha, self.batch_id, now
                table = pa.Table.from_pylist([dict(zip(_CAPTURE_SCHEMA.names, r)) for r in rows], schema=_CAPTURE_SCHEMA)
                con.register("_capture_batch", table)
                got = con.execute("INSERT INTO captures SELECT b.* FROM _capture_batch b WHERE NOT EXISTS "
                                  "(SELECT 1 FROM captures c WHERE c.capture_key = b.capture_key)").fetchone()  # fmt: skip
                con.unregister("_capture_batch")
                stored = int(got[0]) if got else 0
            insert_quarantine(con, kind="capture", path=path, sha=sha, batch_id=self.batch_id, rows=batch.quarantine)
            counts = {
                "rows_read": batch.records,
                "stored": stored,
                "duplicates": len(batch.captures) - stored + batch.in_batch_duplicates,
                "quarantined": len(batch.quarantine),
                "skipped_media": batch.skipped_media,
            }
            commit_progress(con, sha=sha, consumed=consumed, completed=completed, counts=counts)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        add_counts(result, counts)
