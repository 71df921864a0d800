"""``vigil ingest reports`` and ``vigil ingest captures`` on whichever engine the store runs.

The DuckDB store ingests in committed batches with per-file checkpoints
(:mod:`vigil.ingest.reports`, :mod:`vigil.ingest.captures`); the Spark store in one pass
over every file (:mod:`vigil.ingest.distributed`). The choice is made here, from the store
in hand, so a command never asks which engine it runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from vigil.defaults import CAPTURE_BATCH, MAX_PAGE_BYTES, ROW_BATCH
from vigil.errors import VigilError
from vigil.ingest.checkpoint import IngestSummary
from vigil.ingest.reports import expand_inputs
from vigil.store.handle import StoreHandle
from vigil.store.store import Store


def report_files(paths: Sequence[Path]) -> tuple[list[Path], int]:
    """The input files ``paths`` name (folders expanded) and their total size in bytes."""
    files = expand_inputs(paths)
    if not files:
        raise VigilError(f"no input files in {', '.join(map(str, paths))}")
    return files, sum(p.stat().st_size for p in files if p.exists())


def ingest_reports(store: StoreHandle, files: Sequence[Path], *, default_source: str | None = None,
                   batch_size: int = ROW_BATCH, progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """Ingest report files; ``progress`` gets bytes read (on Spark: all of them at the end)."""
    tick = progress or (lambda n: None)
    if isinstance(store, Store):
        from vigil.ingest.reports import ReportIngest

        return ReportIngest(store, default_source=default_source, batch_size=batch_size, progress=tick).run(files)
    from vigil.ingest.distributed import ingest_reports_distributed

    summary = ingest_reports_distributed(store, files, default_source=default_source)
    tick(sum(p.stat().st_size for p in files if p.exists()))
    return summary


def ingest_captures(store: StoreHandle, paths: Sequence[Path], *, default_source: str | None = None,
                    batch_size: int = CAPTURE_BATCH, max_page_bytes: int = MAX_PAGE_BYTES,
                    progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """Ingest capture inputs; ``progress`` gets captures read (DuckDB only)."""
    if isinstance(store, Store):
        from vigil.ingest.captures import CaptureIngest

        return CaptureIngest(store, default_source=default_source, batch_size=batch_size, max_page_bytes=max_page_bytes,
                             progress=progress).run(paths)  # fmt: skip
    from vigil.ingest.distributed import ingest_captures_distributed

    return ingest_captures_distributed(store, paths, default_source=default_source, max_page_bytes=max_page_bytes)


__all__ = ["ingest_captures", "ingest_reports", "report_files"]
