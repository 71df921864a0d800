"""Exports: attribution, one row per capture."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from vigil.errors import VigilError
from vigil.store import Store

ATTRIBUTION_FIELDS = ("capture_id", "url", "template_id", "brand_id", "distributor_id", "source", "captured_at", "cover")

_SQL = """
SELECT c.capture_id, c.url, a.template_id, a.brand_id, a.distributor_id, c.source, c.captured_at, a.cover
FROM captures c JOIN capture_attribution a USING (capture_key)
ORDER BY c.captured_at, c.capture_id, c.source
"""


def attribution_rows(store: Store) -> Iterator[dict[str, Any]]:
    cur = store.con.execute(_SQL)
    while batch := cur.fetchmany(10_000):
        for row in batch:
            yield dict(zip(ATTRIBUTION_FIELDS, row))


def write_attribution(store: Store, out: TextIO, fmt: str) -> int:
    n = 0
    if fmt == "jsonl":
        for n, row in enumerate(attribution_rows(store), 1):
            out.write(json.dumps(row, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=ATTRIBUTION_FIELDS, lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(attribution_rows(store), 1):
            writer.writerow(row)
    else:
        raise VigilError(f"unknown export format {fmt!r}: use jsonl or csv")
    return n
