"""``vigil ingest reports`` and ``vigil ingest captures``, on whichever engine the store runs.

One pipeline (:mod:`vigil.ingest.pipeline`) serves both engines; it chooses the commit unit
from the store's engine, once, so neither a command nor this module asks which engine it runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from vigil.defaults import CAPTURE_BATCH, MAX_PAGE_BYTES, ROW_BATCH
from vigil.errors import VigilError
from vigil.ingest.captures import CaptureIngest
from vigil.ingest.checkpoint import IngestSummary
from vigil.ingest.pipeline import expand_inputs
from vigil.ingest.reports import ReportIngest
from vigil.store.handle import StoreHandle


def report_files(paths: Sequence[Path]) -> tuple[list[Path], int]:
    """The input files ``paths`` name (folders expanded) and their total size in bytes."""
    files = expand_inputs(paths)
    if not files:
        raise VigilError(f"no input files in {', '.join(map(str, paths))}")
    return files, sum(p.stat().st_size for p in files if p.exists())


def ingest_reports(store: StoreHandle, files: Sequence[Path], *, default_source: str | None = None,
                   batch_size: int = ROW_BATCH, progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """Ingest report files; ``progress`` gets bytes read."""
    return ReportIngest(store, default_source=default_source, batch_size=batch_size, progress=progress).run(files)


def ingest_captures(store: StoreHandle, paths: Sequence[Path], *, default_source: str | None = None,
                    batch_size: int = CAPTURE_BATCH, max_page_bytes: int = MAX_PAGE_BYTES,
                    progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """Ingest capture inputs; ``progress`` gets captures read."""
    return CaptureIngest(store, default_source=default_source, batch_size=batch_size, max_page_bytes=max_page_bytes,
                         progress=progress).run(paths)  # fmt: skip


__all__ = ["ingest_captures", "ingest_reports", "report_files"]
