"""Exports: attribution, one row per capture."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from vigil.errors import VigilError
from vigil.store.handle import StoreHandle

ATTRIBUTION_FIELDS = ("capture_id", "url", "template_id", "brand_id", "distributor_id", "source", "captured_at", "cover",
                      "candidates")

_SQL = """
SELECT c.capture_id, c.url, a.template_id, a.brand_id, a.distributor_id, c.source, c.captured_at, a.cover
FROM captures c JOIN capture_attribution a USING (capture_key)
ORDER BY c.captured_at, c.capture_id, c.source
"""


def kit_candidates(store: StoreHandle) -> dict[str, list[str]]:
    """Templates used by several distributors → those distributors: the candidates of their
    unattributed captures (docs/attribution.md: never guessed)."""
    found: dict[str, list[str]] = {}
    for row in store.engine.rows("kit candidates", """
            SELECT template_id, distributor_id FROM brands WHERE distributor_id IS NOT NULL
            AND template_id IN (SELECT template_id FROM brands WHERE distributor_id IS NOT NULL
                                GROUP BY template_id HAVING count(*) >= 2)
            ORDER BY template_id, distributor_id"""):  # fmt: skip
        found.setdefault(row["template_id"], []).append(row["distributor_id"])
    return found


def attribution_rows(store: StoreHandle) -> Iterator[dict[str, Any]]:
    """One row per capture; ``candidates`` names the distributors an unattributed capture of a
    shared kit could belong to (empty otherwise)."""
    kits = kit_candidates(store)
    for batch in store.engine.arrow("attribution export", _SQL).to_batches(10_000):
        for row in batch.to_pylist():
            open_ = row["distributor_id"] is None and not row["cover"]
            row["candidates"] = kits.get(row["template_id"], []) if open_ else []
            yield row


def write_attribution(store: StoreHandle, out: TextIO, fmt: str) -> int:
    n = 0
    if fmt == "jsonl":
        for n, row in enumerate(attribution_rows(store), 1):
            out.write(json.dumps(row, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=ATTRIBUTION_FIELDS, lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(attribution_rows(store), 1):
            writer.writerow({**row, "candidates": " ".join(row["candidates"])})
    else:
        raise VigilError(f"unknown export format {fmt!r}: use jsonl or csv")
    return n
