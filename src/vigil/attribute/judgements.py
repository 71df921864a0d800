"""Analysts' judgements: two brands are (not) the same operator. Evidence, append-only."""

from __future__ import annotations

import hashlib

import pyarrow as pa

from vigil.errors import ConfigError
from vigil.store import utcnow
from vigil.store.handle import StoreHandle

VERDICTS = ("same", "not_same")


def record_judgement(store: StoreHandle, brand_a: str, brand_b: str, *, verdict: str, analyst: str, note: str | None = None) -> str:
    """Store a judgement; it survives reruns and overrides automatic links (docs/attribution.md)."""
    verdict = verdict.strip().lower().replace("-", "_").replace(" ", "_")
    if verdict not in VERDICTS:
        raise ConfigError(f"verdict {verdict!r} must be 'same' or 'not_same'")
    if brand_a == brand_b:
        raise ConfigError("a judgement needs two different brands")
    for brand in (brand_a, brand_b):
        if not store.engine.scalar("brand", "SELECT count(*) FROM brands WHERE brand_id = $b", {"b": brand}):
            raise ConfigError(f"no brand {brand!r} (run `vigil attribute` first, and check the ID)")
    made = utcnow()
    judgement_id = "J-" + hashlib.blake2b(f"{brand_a}|{brand_b}|{verdict}|{analyst}|{made.isoformat()}".encode(), digest_size=5).hexdigest()
    store.engine.append("judgements", pa.table({
        "judgement_id": [judgement_id], "brand_a": [brand_a], "brand_b": [brand_b], "verdict": [verdict],
        "analyst": [analyst], "note": pa.array([note], pa.string()), "made_at": pa.array([made], pa.timestamp("us"))}))  # fmt: skip
    return judgement_id
