"""The XARF v4 attachment of a notice: ``content`` category, ``csam`` type.

One report per URL (XARF's ``url`` is single). Evidence is metadata only: a small CSV of the
URL, its times and its identifiers, base64-encoded as XARF asks — never a page, an image or
a video. ``classification`` is the hotline's legal category for the URL (XARF's enum:
baseline, A1, A2, B1, B2) and ``detection_method`` how it was found (``manual_review`` for
an analyst's assessment).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigil.disrupt.cases import Case

XARF_VERSION = "4.2.0"
CLASSIFICATIONS = ("baseline", "A1", "A2", "B1", "B2")
DETECTION_METHODS = ("hash_match", "ai_detection", "manual_review", "user_report", "automated_scan")
_DOMAIN = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$")
_NAMESPACE = uuid.UUID("5b1c0f3e-8d6f-4a55-9a55-0d1e2f3a4b5c")


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends notices (XARF ``reporter`` and ``sender``)."""

    org: str
    contact: str
    domain: str
    classification: str = "baseline"
    detection_method: str = "manual_review"


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def evidence_csv(case: Case, *, detected: datetime | None, verified: datetime | None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["field", "value"])
    rows = [("url", case.url), ("host", case.host), ("ip", case.ip or ""), ("asn", case.asn if case.asn is not None else ""),
            ("country", case.country or ""), ("first_seen", iso(detected) if detected else ""),
            ("last_verified", iso(verified) if verified else ""), ("brand", case.brand or ""),
            ("merchant_account", case.merchant_account or ""), ("wallets", " ".join(case.wallets))]  # fmt: skip
    for name, value in rows:
        if value != "":
            writer.writerow([name, value])
    return buffer.getvalue()


def xarf_report(case: Case, *, sender: Sender, sent_at: datetime, notice_id: str,
                detected: datetime | None = None, verified: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """The XARF v4 report for one URL of a notice (validates against ``xarf-v4-master.json``)."""
    contact = {"org": sender.org, "contact": sender.contact, "domain": sender.domain}
    body = evidence_csv(case, detected=detected, verified=verified).encode()
    report: dict[str, Any] = {
        "xarf_version": XARF_VERSION,
        "report_id": str(uuid.uuid5(_NAMESPACE, f"{notice_id}|{case.url}")),
        "timestamp": iso(sent_at),
        "reporter": contact,
        "sender": dict(contact),
        "source_identifier": case.ip or case.host,
        "category": "content",
        "type": "csam",
        "url": case.url,
        "classification": sender.classification,
        "detection_method": sender.detection_method,
        "verification_method": "manual",
        "evidence_source": "researcher_analysis",
        "evidence": [{
            "content_type": "text/csv",
            "description": "Metadata only: URL, times and identifiers (no content).",
            "payload": base64.b64encode(body).decode(),
            "hash": "sha256:" + hashlib.sha256(body).hexdigest(),
            "size": len(body),
        }],
        "tags": ["csam:reported", f"notice:{notice_id.lower()}"],
    }  # fmt: skip
    if _DOMAIN.match(case.host):
        report["domain"] = case.host
    if case.registrar:
        report["registrar"] = case.registrar
    if verified is not None:
        report["verified_at"] = iso(verified)
    return report
