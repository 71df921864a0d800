"""Plain-language explanations of brands and distributors, for a court or a payment provider.

Every sentence is built from stored evidence: the captures (ID, URL, time) on which a
template or an identifier was seen. Text only: nothing from a page is rendered.
"""

from __future__ import annotations

import json
from typing import Any

from vigil.errors import VigilError
from vigil.store.handle import StoreHandle


def _when(value: Any) -> str:
    return str(value)[:19].replace("T", " ")


def _seen(items: list[dict[str, Any]]) -> str:
    return "; ".join(f"capture {c['capture_id']} of {c['url']} on {_when(c['captured_at'])} UTC" for c in items)


#: A brand's row with its template's skeleton count: all that its explanation reads, in one query.
_BRAND_ROWS = """SELECT b.*, t.skeletons AS template_skeletons FROM brands b LEFT JOIN templates t ON t.template_id = b.template_id"""


def explain_brand(store: StoreHandle, brand_id: str) -> list[str]:
    rows = store.engine.rows("brand", _BRAND_ROWS + " WHERE b.brand_id = $id", {"id": brand_id})
    if not rows:
        raise VigilError(f"no brand {brand_id!r}: list brands with `vigil stats brands` or `vigil export attribution`")
    return _explain(store, rows[0])


def explain_brands_of(store: StoreHandle, distributor_id: str, *, limit: int | None = None) -> list[list[str]]:
    """Each brand's explanation for a distributor's brands (first seen first; the first ``limit``):
    one query for all of them, where asking brand by brand took two each (a page of 25 chains
    cost 50 queries)."""
    top = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = store.engine.rows("members", _BRAND_ROWS + " WHERE b.distributor_id = $id ORDER BY b.first_seen, b.brand_id" + top,
                             {"id": distributor_id})  # fmt: skip
    return [_explain(store, b) for b in rows]


def _explain(store: StoreHandle, b: dict[str, Any]) -> list[str]:
    brand_id = b["brand_id"]
    lines = [
        f"Brand {brand_id} is recognised by its page template {b['template_id'][:10]}: "
        f"{b['captures']} captures between {_when(b['first_seen'])} and {_when(b['last_seen'])} UTC share that page "
        f"structure ({b['template_skeletons']} near-identical page skeletons, each at least as similar as the 'same template' "
        "threshold to an earlier one). Page text, names and prices are ignored: only structure counts.",
    ]
    if b["lineage_brand"]:
        lines.append(f"It was derived from brand {b['lineage_brand']} (its template is an altered version of that brand's "
                     "template, or the same template used by another operator).")  # fmt: skip
    if not b["distributor_id"]:
        shared = [r["distributor_id"] for r in store.engine.rows("kit candidates", """
            SELECT distributor_id FROM brands WHERE template_id = $t AND distributor_id IS NOT NULL
            ORDER BY distributor_id""", {"t": b["template_id"]})]  # fmt: skip
        if len(shared) >= 2:
            lines.append(f"Its template is used by {len(shared)} distributors ({', '.join(shared)}) and its pages carry no key "
                         "identifier of their own, so it is not attributed to any of them: these are the candidates, and "
                         "Vigil does not guess between them (not by time either).")  # fmt: skip
        else:
            lines.append("No key identifier on its pages links it to an operator: it is not attributed to a distributor.")
        return lines
    path = json.loads(b["evidence"] or "[]")
    lines.append(f"It belongs to distributor {b['distributor_id']}.")
    if len(path) <= 1:
        lines.append("It is the distributor's first brand seen; the others are tied to it by shared key identifiers.")
        return lines
    lines.append(f"The chain of evidence from the distributor's first brand {path[0]['brand']}:")
    previous = path[0]["brand"]
    for step in path[1:]:
        if step["kind"] == "analyst judgement":
            lines.append(f"  - brand {previous} and brand {step['brand']} were judged the same operator by an analyst "
                         f"(judgement {step['value']}).")  # fmt: skip
        else:
            lines.append(
                f"  - the {step['kind'].replace('_', ' ')} {step['value']!r} appears on brand {previous} "
                f"({_seen(step['seen_on_previous'])}) and on brand {step['brand']} ({_seen(step['seen_on_brand'])})."
            )
        previous = step["brand"]
    return lines


def explain_distributor(store: StoreHandle, distributor_id: str) -> list[str]:
    rows = store.engine.rows("distributor", "SELECT * FROM distributors WHERE distributor_id = $id", {"id": distributor_id})
    if not rows:
        raise VigilError(f"no distributor {distributor_id!r}: see `vigil stats brands` or `vigil export attribution`")
    d = rows[0]
    lines = [
        f"Distributor {distributor_id} operates {d['brands']} brands seen on {d['captures']} captures between "
        f"{_when(d['first_seen'])} and {_when(d['last_seen'])} UTC. Brands are tied together only by specific key "
        "identifiers they share (merchant accounts, payment forms, e-mail addresses, wallets, phone numbers, IBANs, "
        "affiliate and analytics IDs) — never by payment type alone, and never by values flagged as generic.",
        "Identifiers shared by its brands:",
    ]
    values = store.engine.rows("distributor identifiers", """
        SELECT kind, value, spread FROM identifier_values
        WHERE distributor_id = $id AND status IN ('link', 'single') AND spread >= 2
        ORDER BY spread DESC, kind, value""", {"id": distributor_id})  # fmt: skip
    lines += [f"  - {v['kind'].replace('_', ' ')} {v['value']!r}, on pages of {v['spread']} templates" for v in values] or ["  - (none)"]
    lines.append("Its brands, each with its chain of evidence:")
    for brand in explain_brands_of(store, distributor_id):
        lines += ["", *brand]
    return lines
