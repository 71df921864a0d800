"""Partner imports as a report source, all or nothing per file.

A partner file (a STIX 2.1 bundle, a MISP event) becomes *objects*: each either accepted
or quarantined with its reason. Accepted objects are kept whole in ``shared_objects``
(nothing a partner sent is dropped) and those that name a URL or a domain also become
reports with provenance and the object's marking. Everything one file yields is written in
one transaction: a file refused whole stores nothing but its quarantine row.

An object marked more strictly than the importing organisation may hold
(``clearance``) is refused and counted, and quarantined *without* an excerpt: even a
refusal must not keep what it refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.errors import InvalidRecord
from vigil.ingest.checkpoint import (
    commit_progress,
    insert_quarantine,
    record_batch,
    start_file,
)
from vigil.ingest.readers import excerpt
from vigil.ingest.validate import parse_report
from vigil.model import Report
from vigil.share.guard import load_json
from vigil.store import Store, utcnow


@dataclass
class Accepted:
    """One object kept: its ID, type, marking, body, and the report it makes (if any)."""

    object_id: str
    type: str
    marking: str
    body: dict[str, Any]
    record: int
    report: dict[str, Any] | None = None


@dataclass
class Parsed:
    """What a reader made of one file: accepted objects and quarantined ones."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)  # (record, code, reason, excerpt)
    refused: int = 0


@dataclass
class ImportFile:
    path: str
    status: str = "imported"  # imported | already imported | refused
    objects: int = 0
    reports: int = 0
    duplicates: int = 0
    quarantined: int = 0
    refused: int = 0
    error: str | None = None


@dataclass
class ImportSummary:
    batch_id: str
    files: list[ImportFile] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        keys = ("objects", "reports", "duplicates", "quarantined", "refused")
        return {"batch_id": self.batch_id, **{k: sum(getattr(f, k) for f in self.files) for k in keys},
                "files": [vars(f) for f in self.files]}  # fmt: skip


Reader = Callable[[Any, str, str], Parsed]  # (parsed JSON, default marking, clearance) -> Parsed

_SCHEMA = pa.schema(
    [
        ("report_key", pa.string()), ("report_id", pa.string()), ("source", pa.string()),
        ("reported_at", pa.timestamp("us")), ("url_original", pa.string()), ("url", pa.string()),
        ("host", pa.string()), ("ip", pa.string()), ("commercial", pa.bool_()), ("site_type", pa.string()),
        ("payment_types", pa.list_(pa.string())), ("notes", pa.string()), ("source_file", pa.string()),
        ("source_line", pa.int64()), ("file_sha256", pa.string()), ("batch_id", pa.string()),
        ("ingested_at", pa.timestamp("us")), ("actioned", pa.bool_()),
    ]
)  # fmt: skip


def reject(parsed: Parsed, record: int, exc: InvalidRecord, body: Any, *, keep_excerpt: bool = True) -> None:
    text = json.dumps(body, ensure_ascii=False, default=str)[:400] if keep_excerpt else ""
    parsed.rejected.append((record, exc.code, exc.reason, excerpt(text) if text else ""))


def import_files(store: Store, paths: Sequence[Path], *, kind: str, reader: Reader, source: str | None,
                 marking: str, clearance: str) -> ImportSummary:  # fmt: skip
    """Import partner files of one ``kind`` (``stix`` or ``misp``) with ``reader``."""
    summary = ImportSummary(uuid.uuid4().hex[:16])
    started = utcnow()
    for path in paths:
        summary.files.append(_one(store, path, kind=kind, reader=reader, source=source, marking=marking,
                                  clearance=clearance, batch_id=summary.batch_id))  # fmt: skip
    record_batch(store.engine, summary.batch_id, kind, paths, started_at=started)
    return summary


def _one(store: Store, path: Path, *, kind: str, reader: Reader, source: str | None, marking: str, clearance: str,
         batch_id: str) -> ImportFile:  # fmt: skip
    con = store.con
    result = ImportFile(str(path))
    start = start_file(store.engine, path, kind=kind, batch_id=batch_id)
    if start.skip is None:
        result.status = "already imported" if start.result.status == "already ingested" else "refused"
        result.error = start.result.error
        return result
    sha = start.sha
    try:
        parsed = reader(load_json(path), marking, clearance)
    except InvalidRecord as exc:
        parsed = Parsed(rejected=[(0, exc.code, f"{kind} file refused whole: {exc.reason}", "")])
        result.status, result.error = "refused", f"{path}: {exc.reason}"
    reports: list[tuple[Report, Accepted]] = []
    for obj in list(parsed.accepted):
        if obj.report is None:
            continue
        fields = dict(obj.report)
        fields.setdefault("source", source)
        if source:
            fields["source"] = source
        try:
            reports.append((parse_report(fields), obj))
        except InvalidRecord as exc:
            parsed.accepted.remove(obj)
            reject(parsed, obj.record, exc, obj.body)
    now = utcnow()
    con.execute("BEGIN TRANSACTION")
    try:
        stored = 0
        if reports:
            table = _table(reports, path=str(path), sha=sha, batch_id=batch_id)
            con.register("_share_reports", table)
            got = con.execute("""INSERT INTO reports BY NAME SELECT b.* FROM _share_reports b
                WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.report_key = b.report_key)""").fetchone()  # fmt: skip
            con.unregister("_share_reports")
            stored = int(got[0]) if got else 0
            marks = pa.table({"report_key": [r.report_key for r, _ in reports], "marking": [o.marking for _, o in reports],
                              "object_id": [o.object_id for _, o in reports]})  # fmt: skip
            con.register("_share_marks", marks)
            con.execute("""INSERT INTO report_markings SELECT report_key, any_value(marking), NULL, any_value(object_id), $b
                FROM _share_marks m WHERE NOT EXISTS (SELECT 1 FROM report_markings x WHERE x.report_key = m.report_key)
                GROUP BY report_key""", {"b": batch_id})  # fmt: skip
            con.unregister("_share_marks")
        if parsed.accepted:
            objs = parsed.accepted
            n = len(objs)
            table = pa.table({
                "object_id": [o.object_id for o in objs], "format": [kind] * n, "type": [o.type for o in objs],
                "marking": [o.marking for o in objs], "organisation": pa.nulls(n, pa.string()),
                "body": [json.dumps(o.body, sort_keys=True, ensure_ascii=False) for o in objs],
                "source_file": [str(path)] * n, "record": [o.record for o in objs], "file_sha256": [sha] * n,
                "batch_id": [batch_id] * n, "ingested_at": pa.array([now] * n, pa.timestamp("us")),
            })  # fmt: skip
            con.register("_share_objects", table)
            con.execute("INSERT INTO shared_objects SELECT * FROM _share_objects")
            con.unregister("_share_objects")
        insert_quarantine(store.engine, kind=kind, path=str(path), sha=sha, batch_id=batch_id, rows=parsed.rejected)
        counts = {"rows_read": len(parsed.accepted) + len(parsed.rejected), "stored": stored,
                  "duplicates": len(reports) - stored, "quarantined": len(parsed.rejected)}  # fmt: skip
        assert start.checkpoint is not None
        commit_progress(store.engine, start.checkpoint, consumed=counts["rows_read"], completed=True, counts=counts)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.objects, result.reports, result.duplicates = len(parsed.accepted), stored, len(reports) - stored
    result.quarantined, result.refused = len(parsed.rejected), parsed.refused
    return result


def _table(reports: list[tuple[Report, Accepted]], *, path: str, sha: str, batch_id: str) -> pa.Table:
    seen: dict[str, tuple[Report, Accepted]] = {}
    for report, obj in reports:
        seen.setdefault(report.report_key, (report, obj))
    items = list(seen.values())
    fields = ("report_key", "report_id", "source", "reported_at", "url_original", "url", "host", "ip",
              "commercial", "site_type", "payment_types", "notes", "actioned")  # fmt: skip
    cols: dict[str, object] = {f: [getattr(r, f) for r, _ in items] for f in fields}
    cols["payment_types"] = [list(r.payment_types) for r, _ in items]
    n = len(items)
    cols.update(source_line=[o.record for _, o in items], source_file=[path] * n, file_sha256=[sha] * n,
                batch_id=[batch_id] * n, ingested_at=[utcnow()] * n)  # fmt: skip
    return pa.Table.from_pydict(cols, schema=_SCHEMA)
