"""Reports submitted by an account: the ordinary report ingest, under the submitter's own source.

A submission is ingested by :class:`vigil.ingest.reports.ReportIngest` exactly as
``vigil ingest reports`` would ingest the file, with one difference: every row's ``source`` is
the submitting organisation's (a row cannot claim another source's marking). The file is
kept beside the store as evidence; the result comes back row by row — stored, duplicate, or
quarantined with the reason — and the submission is remembered, so a hotline can see its
submissions and what became of them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vigil.access.markings import mark_source
from vigil.access.policy import Actor
from vigil.ingest.pipeline import Unit
from vigil.ingest.readers import RawRecord
from vigil.ingest.reports import REPORTS, ReportIngest, ReportKind
from vigil.store.handle import DuckStoreHandle, StoreHandle
from vigil.store.store import utcnow

MAX_UPLOAD_BYTES = 20_000_000
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _OwnSourceReports(ReportKind):
    """Reports with every row's source forced to the submitter's; remembers each row's key."""

    def __init__(self, *, source: str) -> None:
        super().__init__(default_source=source)
        self.keys: dict[int, str] = {}

    def take(self, record: RawRecord, unit: Unit) -> None:
        if record.fields is not None:
            fields = {k: v for k, v in record.fields.items() if str(k).strip().lower() != "source"}
            record = replace(record, fields=fields)
        held, twins = unit.rows.get(REPORTS.name, {}), unit.duplicates
        stored = len(held)
        super().take(record, unit)
        held = unit.rows.get(REPORTS.name, {})
        if len(held) > stored:
            self.keys[record.line] = str(next(reversed(held)))
        elif unit.duplicates > twins:
            self.keys[record.line] = ""  # a duplicate within the file


@dataclass
class SubmissionResult:
    file_name: str
    status: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"file_name": self.file_name, "status": self.status, "counts": self.counts, "rows": self.rows}


def upload_dir(store: StoreHandle) -> Path:
    return Path(str(store.path) + ".uploads")


def submit_reports(store: DuckStoreHandle, actor: Actor, *, file_name: str, data: bytes) -> SubmissionResult:
    """Ingest an uploaded CSV / JSON Lines file of reports for ``actor``'s organisation."""
    sha = hashlib.sha256(data).hexdigest()
    safe = _SAFE.sub("_", Path(file_name).name)[-80:] or "upload.csv"
    if not safe.lower().endswith((".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".gz")):
        safe += ".csv"
    folder = upload_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha[:16]}-{safe}"
    path.write_bytes(data)
    if not store.con.execute("SELECT 1 FROM source_markings WHERE source = ?", [actor.org_id]).fetchone():
        mark_source(store.con, actor.org_id, tlp="AMBER", org_id=actor.org_id, by=actor.label)
    kind = _OwnSourceReports(source=actor.org_id)
    summary = ReportIngest(store, kind=kind).run([path])
    f = summary.files[0]
    con = store.con
    con.execute("INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?)", [actor.org_id, sha, actor.user_id, actor.org_id, file_name[:200], utcnow()])
    stored = {int(line): str(key) for line, key in con.execute(
        "SELECT source_line, report_id FROM reports WHERE file_sha256 = ? AND batch_id = ?", [sha, summary.batch_id]).fetchall()}  # fmt: skip
    rows: list[dict[str, Any]] = []
    for line, code, reason in con.execute(
        "SELECT line, reason_code, reason FROM quarantine WHERE file_sha256 = ? AND batch_id = ? ORDER BY line", [sha, summary.batch_id]
    ).fetchall():  # fmt: skip
        rows.append({"line": int(line), "outcome": "quarantined", "code": code, "reason": reason})
    for line in sorted(kind.keys):
        if line in stored:
            rows.append({"line": line, "outcome": "stored", "report_id": stored[line]})
        else:
            rows.append({"line": line, "outcome": "duplicate", "reason": "a report with this source and ID is stored already"})
    rows.sort(key=lambda r: int(r["line"]))
    counts = {k: summary.total(k) for k in ("rows_read", "stored", "duplicates", "quarantined")}
    return SubmissionResult(file_name, f.status if not f.error else f"error: {f.error}", rows, counts)


def submit_url(store: DuckStoreHandle, actor: Actor, *, url: str, reported_at: str, commercial: str = "", notes: str = "") -> SubmissionResult:
    """One report typed into the form: ingested as a one-row JSON Lines file."""
    row = {"url": url, "reported_at": reported_at, "commercial": commercial or None, "notes": notes or None}
    data = (json.dumps({k: v for k, v in row.items() if v is not None}) + "\n").encode("utf-8")
    return submit_reports(store, actor, file_name="form.jsonl", data=data)


def my_submissions(store: DuckStoreHandle, actor: Actor) -> list[dict[str, Any]]:
    """The submissions of ``actor``'s organisation, with what became of them."""
    cur = store.con.execute(
        """SELECT s.file_name, s.submitted_at, s.file_sha256,
                  (SELECT count(*) FROM reports r WHERE r.file_sha256 = s.file_sha256) AS stored,
                  (SELECT count(*) FROM quarantine q WHERE q.file_sha256 = s.file_sha256) AS quarantined
           FROM submissions s WHERE s.org_id = ? ORDER BY s.submitted_at DESC LIMIT 200""", [actor.org_id])  # fmt: skip
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
