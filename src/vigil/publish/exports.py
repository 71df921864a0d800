"""Exports: attribution, one row per capture."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from vigil.errors import VigilError

ATTRIBUTION_FIELDS = ("capture_id", "url", "template_id", "brand_id", "distributor_id", "source", "captured_at", "cover")

_SQL = """
SELECT c.capture_id, c.url, a.template_id, a.brand_id, a.distributor_id, c.source, c.captured_at, a.cover
FROM captures c JOIN capture_attribution a USING (capture_key)
ORDER BY c.captured_at, c.capture_id, c.source
"""


def attribution_rows(store: Any) -> Iterator[dict[str, Any]]:
    for batch in store.engine.arrow("attribution export", _SQL).to_batches(10_000):
        yield from batch.to_pylist()


def write_attribution(store: Any, out: TextIO, fmt: str) -> int:
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
