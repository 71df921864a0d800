"""Per-file bookkeeping shared by every ingest: identity, checkpoints, summaries, quarantine.

A file is known by its SHA-256. ``begin_file`` says how many records an earlier, interrupted
run already committed (or that the file is done); ``commit_progress`` records the new
checkpoint inside the caller's batch transaction, so evidence and checkpoint move together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vigil
from vigil.store import utcnow

COUNTERS = ("rows_read", "stored", "duplicates", "quarantined", "skipped_media")


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


def begin_batch(con: Any, batch_id: str, kind: str, paths: Sequence[Path]) -> None:
    con.execute(
        "INSERT INTO ingest_batches VALUES (?, ?, ?, NULL, ?, ?)",
        [batch_id, kind, utcnow(), vigil.__version__, json.dumps([str(p) for p in paths])],
    )


def end_batch(con: Any, batch_id: str) -> None:
    con.execute("UPDATE ingest_batches SET finished_at = ? WHERE batch_id = ?", [utcnow(), batch_id])


def begin_file(con: Any, *, sha: str, kind: str, path: Path, size: int, batch_id: str) -> int | None:
    """Records already committed for this file (0 for a new file), or None when it is done."""
    done = con.execute("SELECT records_done, completed FROM ingest_files WHERE file_sha256 = ?", [sha]).fetchone()
    if done and done[1]:
        return None
    if done:
        return int(done[0])
    con.execute(
        "INSERT INTO ingest_files (file_sha256, kind, path, size_bytes, batch_id, records_done, completed, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 0, false, ?)",
        [sha, kind, str(path), size, batch_id, utcnow()],
    )
    return 0


@dataclass
class FileStart:
    """A file about to be read: its summary so far, identity, and records to skip (None: nothing to read)."""

    result: FileSummary
    sha: str = ""
    size: int = 0
    skip: int | None = None


def start_file(con: Any, path: Path, *, kind: str, batch_id: str, identity: Path | None = None) -> FileStart:
    """Hash the file (or ``identity``, e.g. a capture folder's manifest) and look up its checkpoint.

    ``skip`` is None when the file cannot be read (``result.error`` says why) or is already done.
    """
    start = FileStart(FileSummary(str(path)))
    try:
        ident = identity or path
        start.size, start.sha = ident.stat().st_size, file_sha256(ident)
    except OSError as exc:
        start.result.status, start.result.error = "error", f"{path}: cannot read: {exc.strerror or exc}"
        return start
    start.skip = begin_file(con, sha=start.sha, kind=kind, path=path, size=start.size, batch_id=batch_id)
    if start.skip is None:
        start.result.status = "already ingested"
    elif start.skip:
        start.result.status = "resumed"
    return start


def commit_progress(con: Any, *, sha: str, consumed: int, completed: bool, counts: dict[str, int]) -> None:
    """Move the file's checkpoint; call inside the batch's transaction."""
    sets = ", ".join(f"{k} = {k} + ?" for k in COUNTERS)
    con.execute(
        f"UPDATE ingest_files SET records_done = ?, completed = ?, {sets}, updated_at = ? WHERE file_sha256 = ?",
        [consumed, completed, *(counts.get(k, 0) for k in COUNTERS), utcnow(), sha],
    )


def add_counts(result: FileSummary, counts: dict[str, int]) -> None:
    for key in COUNTERS:
        setattr(result, key, getattr(result, key) + counts.get(key, 0))


def insert_quarantine(con: Any, *, kind: str, path: str, sha: str, batch_id: str,
                      rows: Iterable[tuple[int, str, str, str]]) -> None:  # fmt: skip
    """Quarantine rows ``(line or record, code, reason, excerpt)``."""
    now = utcnow()
    items = [[kind, path, line, code, reason, text, sha, batch_id, now] for line, code, reason, text in rows]
    if items:
        con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
