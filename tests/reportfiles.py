"""Small report files for ingest tests (reserved names and addresses only)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

HEADER = ["report_id", "source", "reported_at", "url", "ip", "commercial", "site_type", "payment_types", "notes"]


def rows(n: int, *, source: str = "HL-T", start: int = 0) -> list[dict[str, str]]:
    out = []
    for i in range(start, start + n):
        out.append(
            {
                "report_id": f"r{i}",
                "source": source,
                "reported_at": f"2012-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                "url": f"http://site{i % 997}.test/page/{i % 13}",
                "ip": f"192.0.2.{i % 250}",
                "commercial": ["yes", "no", ""][i % 3],
                "site_type": ["banner", "pay_per_view", ""][i % 3],
                "payment_types": "sms;credit_card" if i % 2 else "",
                "notes": f"note {i}",
            }
        )
    return out


def write_csv(path: Path, data: list[dict[str, str]], *, bom: bool = False, gz: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    raw = ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
    return path


def write_jsonl(path: Path, data: list[dict[str, object]], *, gz: bool = False) -> Path:
    raw = "".join(json.dumps(r) + "\n" for r in data).encode()
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
    return path
