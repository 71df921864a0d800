"""Ingest on an engine that runs Python per batch elsewhere (Spark): files → Parquet tables.

The same readers and validators as the DuckDB ingest (``open_records`` + ``parse_report``;
``capture_sources`` + ``CaptureIngest._take``) run once per input file, inside the engine's
workers (``Engine.map_batches``): the file is the unit of parallelism. The set logic
(first occurrence of a key wins, in file then line order; keys already stored are
duplicates; a page is stored once) is SQL, as in ``reports.py`` and ``captures.py``.

Crash safety is per run rather than per batch: evidence is appended table by table after
the whole run is parsed, and files are marked complete last. A killed run leaves its
files incomplete, and the rerun stores nothing twice (keys are checked against what is
stored); only quarantine rows of the interrupted run can repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

import vigil
from vigil.errors import InputError, InvalidRecord
from vigil.ingest.capture_sources import (
    DEFAULT_MAX_PAGE,
    find_manifest,
    folder_items,
    warc_items,
    zip_items,
)
from vigil.ingest.checkpoint import FileSummary, IngestSummary, file_sha256
from vigil.ingest.readers import excerpt, open_records
from vigil.ingest.reports import REPORT_SCHEMA, expand_inputs
from vigil.ingest.validate import parse_report
from vigil.model import QuarantineReason, Report
from vigil.store import utcnow
from vigil.store.handle import StoreHandle

_INPUTS = pa.schema([("file_index", pa.int32()), ("kind", pa.string()), ("path", pa.string()), ("sha", pa.string())])
_QUARANTINE = [("q_line", pa.int64()), ("q_code", pa.string()), ("q_reason", pa.string()), ("q_excerpt", pa.string())]
_REPORT_ROWS = pa.schema([("file_index", pa.int32()), ("row_kind", pa.string()),
                          *[f for f in REPORT_SCHEMA if f.name not in ("source_file", "file_sha256", "batch_id", "ingested_at")],
                          *_QUARANTINE, ("error", pa.string())])  # fmt: skip
_CAPTURE_FIELDS = [("capture_key", pa.string()), ("capture_id", pa.string()), ("source", pa.string()),
                   ("captured_at", pa.timestamp("us")), ("url_original", pa.string()), ("url", pa.string()),
                   ("host", pa.string()), ("referrer", pa.string()), ("page_sha256", pa.string()),
                   ("source_record", pa.int64())]  # fmt: skip
_CAPTURE_ROWS = pa.schema([("file_index", pa.int32()), ("row_kind", pa.string()), *_CAPTURE_FIELDS,
                           ("html_zlib", pa.binary()), ("size_bytes", pa.int64()), ("media_stripped", pa.int32()),
                           *_QUARANTINE, ("skipped_media", pa.int64()), ("error", pa.string())])  # fmt: skip


def _rows(schema: pa.Schema, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({n: [r.get(n) for r in rows] for n in schema.names}, schema=schema)


def _file_rows(index: int, path: str, kind: str, parse: Callable[[dict[str, Any]], dict[str, Any]],
               required: Sequence[str]) -> Iterator[dict[str, Any]]:  # fmt: skip
    """One input file's records: a ``kind`` row per parsed record, a quarantine row per bad one."""
    try:
        source = open_records(Path(path), required=required)
    except InputError as exc:
        yield {"file_index": index, "row_kind": "error", "error": str(exc)}
        return
    try:
        for record in source.records:
            problem = record.problem
            if problem is None and record.fields is not None:
                try:
                    row = parse(record.fields)
                except InvalidRecord as exc:
                    problem = exc
                else:
                    yield {**row, "file_index": index, "row_kind": kind, "source_line": record.line}
                    continue
            assert problem is not None
            yield {"file_index": index, "row_kind": "quarantine", "q_line": record.line,
                   "q_code": problem.code, "q_reason": problem.reason, "q_excerpt": excerpt(record.raw)}  # fmt: skip
    except InputError as exc:
        yield {"file_index": index, "row_kind": "quarantine", "q_line": 1, "q_code": QuarantineReason.BAD_FILE.value,
               "q_reason": str(exc), "q_excerpt": "", "error": str(exc)}  # fmt: skip
    finally:
        source.close()


@dataclass(frozen=True)
class ParseReportFiles:
    """Input files → one row per parsed report, quarantined record, or file error."""

    default_source: str | None = None

    def parse(self, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(zip(Report._fields, parse_report(fields, default_source=self.default_source)))

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        files = zip(batch.column("file_index").to_pylist(), batch.column("path").to_pylist())
        out = [row for index, path in files for row in _file_rows(index, path, "report", self.parse, ("url",))]
        return _rows(_REPORT_ROWS, out)


@dataclass(frozen=True)
class ParseCaptureInputs:
    """Capture inputs (manifest folders, zips, WARCs) → capture, page and quarantine rows."""

    default_source: str | None = None
    max_page_bytes: int = DEFAULT_MAX_PAGE

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        from vigil.ingest.captures import CaptureBatch, CaptureIngest

        taker = CaptureIngest(None, default_source=self.default_source, max_page_bytes=self.max_page_bytes)  # type: ignore[arg-type]
        out: list[dict[str, Any]] = []
        for index, kind, path in zip(*(batch.column(n).to_pylist() for n in ("file_index", "kind", "path"))):
            got = CaptureBatch()
            error = None
            try:
                items: Any
                if kind == "folder":
                    items = folder_items(Path(path), self.max_page_bytes)[1]
                elif kind == "zip":
                    items = zip_items(Path(path), self.max_page_bytes)
                else:
                    items = warc_items(Path(path), self.max_page_bytes)
                for item in items:
                    got.records += 1
                    taker._take(item, got)
            except InputError as exc:
                error = str(exc)
                got.quarantine.append((1, QuarantineReason.BAD_FILE.value, str(exc), ""))
            for sha, (blob, size, stripped) in got.pages.items():
                out.append({"file_index": index, "row_kind": "page", "page_sha256": sha, "html_zlib": blob,
                            "size_bytes": size, "media_stripped": stripped})  # fmt: skip
            for row in got.captures.values():
                values = dict(zip([n for n, _ in _CAPTURE_FIELDS][:9], row[:9]))
                out.append({**values, "file_index": index, "row_kind": "capture", "source_record": row[10]})
            for line, code, reason, text in got.quarantine:
                out.append({"file_index": index, "row_kind": "quarantine", "q_line": line, "q_code": code,
                            "q_reason": reason, "q_excerpt": text})  # fmt: skip
            out.append({"file_index": index, "row_kind": "file", "skipped_media": got.skipped_media,
                        "q_line": got.records, "error": error})  # fmt: skip
        return _rows(_CAPTURE_ROWS, out)


def _plan(engine: Any, inputs: list[tuple[str, Path, Path]], kind: str) -> tuple[list[FileSummary], list[dict[str, Any]]]:
    """Hash each input (by its identity file) and drop those already ingested whole."""
    done = {r["file_sha256"] for r in engine.rows("ingested files", "SELECT file_sha256 FROM ingest_files WHERE completed")}
    summaries: list[FileSummary] = []
    todo: list[dict[str, Any]] = []
    for index, (form, path, identity) in enumerate(inputs):
        result = FileSummary(str(path))
        summaries.append(result)
        try:
            size, sha = identity.stat().st_size, file_sha256(identity)
        except OSError as exc:
            result.status, result.error = "error", f"{path}: cannot read: {exc.strerror or exc}"
            continue
        if sha in done or sha in {t["sha"] for t in todo}:
            result.status = "already ingested"
            continue
        todo.append({"file_index": index, "kind": form, "path": str(path), "sha": sha, "size": size})
    return summaries, todo


def _finish(engine: Any, kind: str, batch_id: str, todo: list[dict[str, Any]], summaries: list[FileSummary],
            counts: list[dict[str, Any]], started: Any, paths: Sequence[Path]) -> IngestSummary:  # fmt: skip
    now = utcnow()
    by_index = {c["file_index"]: c for c in counts}
    for item in todo:
        result = summaries[item["file_index"]]
        got = by_index.get(item["file_index"], {})
        for key in ("rows_read", "stored", "duplicates", "quarantined", "skipped_media"):
            setattr(result, key, int(got.get(key) or 0))
        if got.get("error"):
            result.status, result.error = "error", got["error"]
    engine.append("ingest_files", pa.table({
        "file_sha256": [t["sha"] for t in todo], "kind": [kind] * len(todo), "path": [t["path"] for t in todo],
        "size_bytes": pa.array([t["size"] for t in todo], pa.int64()), "batch_id": [batch_id] * len(todo),
        "records_done": pa.array([summaries[t["file_index"]].rows_read for t in todo], pa.int64()),
        "completed": [True] * len(todo),
        **{k: pa.array([getattr(summaries[t["file_index"]], k) for t in todo], pa.int64())
           for k in ("rows_read", "stored", "duplicates", "quarantined")},
        "updated_at": pa.array([now] * len(todo), pa.timestamp("us")),
        "skipped_media": pa.array([summaries[t["file_index"]].skipped_media for t in todo], pa.int64()),
    }))  # fmt: skip
    engine.append("ingest_batches", pa.table({
        "batch_id": [batch_id], "kind": [kind], "started_at": pa.array([started], pa.timestamp("us")),
        "finished_at": pa.array([now], pa.timestamp("us")), "vigil_version": [vigil.__version__],
        "arguments": [" ".join(str(p) for p in paths)]}))  # fmt: skip
    summary = IngestSummary(batch_id)
    summary.files = summaries
    return summary


_COMMON = "{path} AS source_file, {sha} AS file_sha256, $batch AS batch_id, $now AS ingested_at"


def _inputs_table(engine: Any, todo: list[dict[str, Any]]) -> None:
    engine.put_arrow("_ingest_inputs", pa.table({
        "file_index": pa.array([t["file_index"] for t in todo], pa.int32()), "kind": [t["kind"] for t in todo],
        "path": [t["path"] for t in todo], "sha": [t["sha"] for t in todo]}, schema=_INPUTS))  # fmt: skip


def _file_counts(engine: Any, kind: str, new_table: str) -> list[dict[str, Any]]:
    """Per input file: records read, quarantined, stored (rows of ``new_table``) and duplicates."""
    counts: list[dict[str, Any]] = engine.rows("file counts", f"""
        SELECT p.file_index,
               count(*) FILTER (WHERE row_kind = '{kind}' OR (row_kind = 'quarantine' AND q_code <> '{QuarantineReason.BAD_FILE.value}')) AS rows_read,
               count(*) FILTER (WHERE row_kind = 'quarantine') AS quarantined,
               count(*) FILTER (WHERE row_kind = '{kind}') - coalesce(max(n.stored), 0) AS duplicates,
               coalesce(max(n.stored), 0) AS stored, max(p.error) AS error
        FROM _parsed p LEFT JOIN (SELECT file_index, count(*) AS stored FROM {new_table} GROUP BY file_index) n
          ON n.file_index = p.file_index
        GROUP BY p.file_index""")  # fmt: skip
    return counts


def _quarantine(engine: Any, kind: str, params: dict[str, Any]) -> None:
    engine.insert("quarantine", """
        SELECT $kind, i.path, p.q_line, p.q_code, p.q_reason, p.q_excerpt, i.sha, $batch, $now
        FROM _parsed p JOIN _ingest_inputs i ON i.file_index = p.file_index WHERE p.row_kind = 'quarantine'""",
        {**params, "kind": kind})  # fmt: skip


def ingest_reports_distributed(store: StoreHandle, paths: Sequence[Path], *, default_source: str | None = None,
                               progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """``vigil ingest reports`` on the Spark engine."""
    engine, batch_id, started = store.engine, uuid.uuid4().hex[:16], utcnow()
    summaries, todo = _plan(engine, [("file", p, p) for p in expand_inputs(paths)], "reports")
    if todo:
        _inputs_table(engine, todo)
        engine.map_batches("_parsed", "SELECT * FROM _ingest_inputs", ParseReportFiles(default_source), _REPORT_ROWS, batch_rows=1)
        params = {"batch": batch_id, "now": utcnow()}
        columns = ", ".join(f"p.{f.name}" for f in REPORT_SCHEMA if f.name not in ("source_file", "file_sha256", "batch_id", "ingested_at", "actioned", "source_line"))
        engine.materialise("_new_reports", f"""
            SELECT {columns}, i.path AS source_file, p.source_line, i.sha AS file_sha256, $batch AS batch_id,
                   $now AS ingested_at, p.actioned, p.file_index
            FROM (SELECT *, row_number() OVER (PARTITION BY report_key ORDER BY file_index, source_line) AS k
                  FROM _parsed WHERE row_kind = 'report') p
            JOIN _ingest_inputs i ON i.file_index = p.file_index
            WHERE p.k = 1 AND p.report_key NOT IN (SELECT report_key FROM reports)""", params)  # fmt: skip
        counts = _file_counts(engine, "report", "_new_reports")
        engine.insert("reports", "SELECT " + ", ".join(f.name for f in REPORT_SCHEMA) + " FROM _new_reports")
        _quarantine(engine, "report", params)
    else:
        counts = []
    if progress:
        progress(sum(int(c.get("rows_read") or 0) for c in counts))
    return _finish(engine, "reports", batch_id, todo, summaries, counts, started, paths)


def ingest_captures_distributed(store: StoreHandle, paths: Sequence[Path], *, default_source: str | None = None,
                                max_page_bytes: int = DEFAULT_MAX_PAGE,
                                progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """``vigil ingest captures`` on the Spark engine."""
    from vigil.ingest.captures import capture_inputs

    engine, batch_id, started = store.engine, uuid.uuid4().hex[:16], utcnow()
    inputs: list[tuple[str, Path, Path]] = []
    for form, path in capture_inputs(paths):
        try:
            inputs.append((form, path, find_manifest(path) if form == "folder" else path))
        except InputError:
            inputs.append((form, path, path / "manifest.csv"))
    summaries, todo = _plan(engine, inputs, "captures")
    counts: list[dict[str, Any]] = []
    if todo:
        _inputs_table(engine, todo)
        engine.map_batches("_parsed", "SELECT * FROM _ingest_inputs",
                           ParseCaptureInputs(default_source, max_page_bytes), _CAPTURE_ROWS, batch_rows=1)  # fmt: skip
        params = {"batch": batch_id, "now": utcnow()}
        engine.materialise("_new_captures", """
            SELECT p.capture_key, p.capture_id, p.source, p.captured_at, p.url_original, p.url, p.host, p.referrer,
                   p.page_sha256, i.path AS source_file, p.source_record, i.sha AS file_sha256, $batch AS batch_id,
                   $now AS ingested_at, p.file_index
            FROM (SELECT *, row_number() OVER (PARTITION BY capture_key ORDER BY file_index, source_record) AS k
                  FROM _parsed WHERE row_kind = 'capture') p
            JOIN _ingest_inputs i ON i.file_index = p.file_index
            WHERE p.k = 1 AND p.capture_key NOT IN (SELECT capture_key FROM captures)""", params)  # fmt: skip
        counts = engine.rows("file counts", """
            SELECT p.file_index, max(CASE WHEN row_kind = 'file' THEN q_line END) AS rows_read,
                   count(*) FILTER (WHERE row_kind = 'quarantine') AS quarantined,
                   max(CASE WHEN row_kind = 'file' THEN skipped_media END) AS skipped_media,
                   count(*) FILTER (WHERE row_kind = 'capture') - coalesce(max(n.stored), 0) AS duplicates,
                   coalesce(max(n.stored), 0) AS stored, max(p.error) AS error
            FROM _parsed p LEFT JOIN (SELECT file_index, count(*) AS stored FROM _new_captures GROUP BY file_index) n
              ON n.file_index = p.file_index
            GROUP BY p.file_index""")  # fmt: skip
        engine.insert("pages", """
            SELECT page_sha256, html_zlib, size_bytes, media_stripped, $batch, $now FROM (
                SELECT *, row_number() OVER (PARTITION BY page_sha256 ORDER BY file_index) AS k
                FROM _parsed WHERE row_kind = 'page') p
            WHERE k = 1 AND page_sha256 NOT IN (SELECT page_sha256 FROM pages)""", params)  # fmt: skip
        engine.insert("captures", """
            SELECT capture_key, capture_id, source, captured_at, url_original, url, host, referrer, page_sha256,
                   source_file, source_record, file_sha256, batch_id, ingested_at FROM _new_captures""")  # fmt: skip
        _quarantine(engine, "capture", params)
    if progress:
        progress(sum(int(c.get("rows_read") or 0) for c in counts))
    return _finish(engine, "captures", batch_id, todo, summaries, counts, started, paths)


@dataclass(frozen=True)
class ParseRowFiles:
    """Input files of one tabular kind (``RowSpec``) → parsed rows and quarantined records."""

    spec: Any  # vigil.ingest.rows.RowSpec (its parser is a module-level function: picklable)

    def schema(self) -> pa.Schema:
        return pa.schema([("file_index", pa.int32()), ("row_kind", pa.string()), *self.spec.schema,
                          ("source_line", pa.int64()), *_QUARANTINE, ("error", pa.string())])  # fmt: skip

    def parse(self, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(zip(self.spec.schema.names, self.spec.parse(fields)))

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        files = zip(batch.column("file_index").to_pylist(), batch.column("path").to_pylist())
        out = [row for index, path in files for row in _file_rows(index, path, "row", self.parse, self.spec.required)]
        return _rows(self.schema(), out)


def ingest_rows_distributed(store: StoreHandle, spec: Any, paths: Sequence[Path]) -> IngestSummary:
    """``vigil ingest purchases|estimates|search`` on the Spark engine (see ``rows.py``)."""
    engine, batch_id, started = store.engine, uuid.uuid4().hex[:16], utcnow()
    summaries, todo = _plan(engine, [("file", p, p) for p in expand_inputs(paths)], spec.kind)
    counts: list[dict[str, Any]] = []
    if todo:
        parse = ParseRowFiles(spec)
        _inputs_table(engine, todo)
        engine.map_batches("_parsed", "SELECT * FROM _ingest_inputs", parse, parse.schema(), batch_rows=1)
        params = {"batch": batch_id, "now": utcnow()}
        columns = ", ".join(f"p.{n}" for n in spec.schema.names)
        keys = ", ".join(spec.key)
        match = " AND ".join(f"t.{k} = p.{k}" for k in spec.key)
        engine.materialise("_new_rows", f"""
            SELECT {columns}, i.path AS source_file, p.source_line, i.sha AS file_sha256, $batch AS batch_id,
                   $now AS ingested_at, p.file_index
            FROM (SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY file_index, source_line) AS k
                  FROM _parsed WHERE row_kind = 'row') p
            JOIN _ingest_inputs i ON i.file_index = p.file_index
            WHERE p.k = 1 AND NOT EXISTS (SELECT 1 FROM {spec.table} t WHERE {match})""", params)  # fmt: skip
        counts = _file_counts(engine, "row", "_new_rows")
        stored = ", ".join([*spec.schema.names, "source_file", "source_line", "file_sha256", "batch_id", "ingested_at"])
        engine.insert(spec.table, f"SELECT {stored} FROM _new_rows")
        _quarantine(engine, spec.quarantine_kind, params)
    return _finish(engine, spec.kind, batch_id, todo, summaries, counts, started, paths)
