"""Per-file bookkeeping shared by every ingest: identity, checkpoints, summaries, quarantine.

A file is known by its SHA-256. Progress is recorded append-only, through the
:class:`~vigil.store.engine.Engine`, so it is kept the same way on DuckDB and on Spark:

* each committed unit (a batch, or a whole file) appends one row to ``ingest_progress``
  holding the file's running totals (records consumed, counters, completed or not), numbered
  by ``seq``; ``ingest_files`` is the view of each file's newest row;
* ``start_file`` reads that newest row: how many records an earlier, interrupted run already
  committed, or that the file is done;
* ``record_batch`` appends the run's ``ingest_batches`` row when the run ends.

``commit_progress`` is called inside the caller's transaction (on DuckDB), so evidence and
checkpoint move together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

import vigil
from vigil.store import utcnow
from vigil.store.engine import Engine

COUNTERS = ("rows_read", "stored", "duplicates", "quarantined", "skipped_media")

_PROGRESS = pa.schema([
    ("file_sha256", pa.string()), ("seq", pa.int64()), ("kind", pa.string()), ("path", pa.string()),
    ("size_bytes", pa.int64()), ("batch_id", pa.string()), ("records_done", pa.int64()), ("completed", pa.bool_()),
    *[(name, pa.int64()) for name in COUNTERS], ("updated_at", pa.timestamp("us")),
])  # fmt: skip
_QUARANTINE = pa.schema([
    ("kind", pa.string()), ("source_file", pa.string()), ("line", pa.int64()), ("reason_code", pa.string()),
    ("reason", pa.string()), ("excerpt", pa.string()), ("file_sha256", pa.string()), ("batch_id", pa.string()),
    ("ingested_at", pa.timestamp("us")),
])  # fmt: skip
_BATCHES = pa.schema([
    ("batch_id", pa.string()), ("kind", pa.string()), ("started_at", pa.timestamp("us")),
    ("finished_at", pa.timestamp("us")), ("vigil_version", pa.string()), ("arguments", pa.string()),
])  # fmt: skip


@dataclass
class FileSummary:
    path: str
    rows_read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped_media: int = 0
    status: str = "ingested"  # ingested | already ingested | resumed | error
    error: str | None = None


@dataclass
class IngestSummary:
    batch_id: str
    files: list[FileSummary] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def usable(self) -> bool:
        """False only when nothing usable could be read from any file."""
        return any(f.stored or f.duplicates or f.status == "already ingested" for f in self.files)

    def as_dict(self) -> dict[str, object]:
        return {"batch_id": self.batch_id, **{k: self.total(k) for k in COUNTERS}, "files": [vars(f) for f in self.files]}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def record_batch(engine: Engine, batch_id: str, kind: str, paths: Sequence[Path], *, started_at: datetime) -> None:
    """Append the ``ingest_batches`` row of a run that has ended."""
    engine.append("ingest_batches", pa.Table.from_pylist([{
        "batch_id": batch_id, "kind": kind, "started_at": started_at, "finished_at": utcnow(),
        "vigil_version": vigil.__version__, "arguments": json.dumps([str(p) for p in paths]),
    }], schema=_BATCHES))  # fmt: skip


@dataclass
class Checkpoint:
    """A file's running totals, as its newest ``ingest_progress`` row holds them (``seq`` 0: none yet)."""

    sha: str
    kind: str
    path: str
    size: int
    batch_id: str
    seq: int = 0
    records_done: int = 0
    completed: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))


def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(row["file_sha256"], row["kind"], row["path"], int(row["size_bytes"]), row["batch_id"],
                      seq=int(row["seq"]), records_done=int(row["records_done"]), completed=bool(row["completed"]),
                      counts={k: int(row[k] or 0) for k in COUNTERS})  # fmt: skip


def read_checkpoint(engine: Engine, *, sha: str, kind: str, path: Path, size: int, batch_id: str) -> Checkpoint:
    """The file's checkpoint: its newest progress row, or a fresh one for a file never seen."""
    got = engine.rows("file checkpoint", "SELECT * FROM ingest_progress WHERE file_sha256 = $sha ORDER BY seq DESC LIMIT 1",
                      {"sha": sha})  # fmt: skip
    return _checkpoint(got[0]) if got else Checkpoint(sha, kind, str(path), size, batch_id)


def all_checkpoints(engine: Engine) -> dict[str, Checkpoint]:
    """Every file's checkpoint, by SHA-256, in one query (for a run that plans all its files first)."""
    rows = engine.rows("file checkpoints", """
        SELECT p.* FROM ingest_progress p
        JOIN (SELECT file_sha256, max(seq) AS newest FROM ingest_progress GROUP BY file_sha256) m
          ON m.file_sha256 = p.file_sha256 AND p.seq = m.newest""")  # fmt: skip
    return {row["file_sha256"]: _checkpoint(row) for row in rows}


@dataclass
class FileStart:
    """A file about to be read: its summary so far, identity, and records to skip (None: nothing to read)."""

    result: FileSummary
    sha: str = ""
    size: int = 0
    skip: int | None = None
    checkpoint: Checkpoint | None = None


def start_file(engine: Engine, path: Path, *, kind: str, batch_id: str, identity: Path | None = None,
               known: dict[str, Checkpoint] | None = None, hashed: FileStart | None = None) -> FileStart:  # fmt: skip
    """Hash the file (or ``identity``, e.g. a capture folder's manifest) and look up its checkpoint
    (in ``known``, from :func:`all_checkpoints`, when given; ``hashed``: an earlier start of the
    same file whose size and hash are reused, its checkpoint read again).

    ``skip`` is None when the file cannot be read (``result.error`` says why) or is already done.
    """
    start = FileStart(FileSummary(str(path)))
    if hashed is not None and hashed.sha:
        start.size, start.sha = hashed.size, hashed.sha
    else:
        try:
            ident = identity or path
            start.size, start.sha = ident.stat().st_size, file_sha256(ident)
        except OSError as exc:
            start.result.status, start.result.error = "error", f"{path}: cannot read: {exc.strerror or exc}"
            return start
    if known is None:
        point = read_checkpoint(engine, sha=start.sha, kind=kind, path=path, size=start.size, batch_id=batch_id)
    else:
        point = known.get(start.sha) or Checkpoint(start.sha, kind, str(path), start.size, batch_id)
    start.checkpoint = point
    if point.completed:
        start.result.status = "already ingested"
        return start
    start.skip = point.records_done
    if start.skip:
        start.result.status = "resumed"
    return start


def commit_progress(engine: Engine, point: Checkpoint, *, consumed: int, completed: bool, counts: dict[str, int]) -> None:
    """Append the file's next checkpoint (running totals); call inside the unit's transaction."""
    append_progress(engine, [advance(point, consumed=consumed, completed=completed, counts=counts)])


def advance(point: Checkpoint, *, consumed: int, completed: bool, counts: dict[str, int]) -> dict[str, Any]:
    """Move ``point`` on by one committed unit; its next ``ingest_progress`` row."""
    point.seq += 1
    point.records_done, point.completed = consumed, completed
    for key in COUNTERS:
        point.counts[key] += counts.get(key, 0)
    return {"file_sha256": point.sha, "seq": point.seq, "kind": point.kind, "path": point.path, "size_bytes": point.size,
            "batch_id": point.batch_id, "records_done": consumed, "completed": completed, **point.counts,
            "updated_at": utcnow()}  # fmt: skip


def append_progress(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Append checkpoint rows (from :func:`advance`), all in one write."""
    if rows:
        engine.append("ingest_progress", pa.Table.from_pylist(rows, schema=_PROGRESS))


def add_counts(result: FileSummary, counts: dict[str, int]) -> None:
    for key in COUNTERS:
        setattr(result, key, getattr(result, key) + counts.get(key, 0))


def insert_quarantine(engine: Engine, *, kind: str, path: str, sha: str, batch_id: str,
                      rows: Iterable[tuple[int, str, str, str]]) -> None:  # fmt: skip
    """Quarantine rows ``(line or record, code, reason, excerpt)``."""
    now = utcnow()
    items = [dict(zip(_QUARANTINE.names, (kind, path, line, code, reason, text, sha, batch_id, now)))
             for line, code, reason, text in rows]  # fmt: skip
    if items:
        engine.append("quarantine", pa.Table.from_pylist(items, schema=_QUARANTINE))
