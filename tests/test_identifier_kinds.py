"""Identifier kinds are data: a kind declared in one place is scanned, stored, linked,
mapped to a payment type and documented, with no other code touched (issue #12).

The fictional kind here, a "pay code" (``PC-1234-5678``, found in visible text and in
``paycode:`` links, payment type ``mobile_payment``), exists only in this file. The
expected outcomes are written from the hand-built world below (which brand carries
which code), not from Vigil's output.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from test_fingerprint import Family

from vigil.analyse.payments import SQL_PAGE_PAYMENTS, mapping_tables, kind_payments
from vigil.attribute.identifiers import (
    KINDS,
    Identifier,
    IdentifierKind,
    LinkFinder,
    Payment,
    TextFinder,
    extract_identifiers,
    kinds_table,
)
from vigil.attribute.pages import code_digest
from vigil.attribute.processors import default_processors
from vigil.attribute.run import attribute_store
from vigil.ingest.captures import CaptureIngest
from vigil.store import Store

DOCS = Path(__file__).resolve().parent.parent / "docs" / "identifiers.md"
_PAY_CODE = re.compile(r"(?<![A-Za-z0-9])[Pp][Cc]-[0-9]{4}-[0-9]{4}(?![A-Za-z0-9])")


def find_pay_codes(text: str, *, limit: int) -> list[tuple[str, str]]:
    return [(m.group(0), m.group(0)) for m in _PAY_CODE.finditer(text)][:limit]


def pay_code_link(ref: str, region: str | None) -> list[tuple[str, str]]:
    return [(ref.split(":", 1)[1].strip("/"), ref)]


class PayCode(IdentifierKind):
    """A fictional pay-by-code reference: one operator's, so a shared code links brands."""

    name = "pay_code"
    specificity = 0.9
    payment = Payment("mobile_payment")
    finders = (TextFinder(find_pay_codes, ("text",)), LinkFinder((("paycode", "paycode"),), pay_code_link))
    value = "`PC-1234-5678` upper-cased"
    found_in = "visible text, `paycode:` links"

    def clean(self, raw: str) -> str | None:
        value = raw.strip().upper()
        return value if re.fullmatch(r"PC-[0-9]{4}-[0-9]{4}", value) else None


#: brand (family seed) -> its pay code: brands 51 and 52 are one operator's, 53 another's.
CODES = {51: "PC-1111-2222", 52: "PC-1111-2222", 53: "PC-3333-4444"}


def _world(root: Path) -> dict[str, int]:
    """Captures of three brands; every other page shows the brand's pay code."""
    rng = random.Random(7)
    rows, brand_of = [], {}
    root.mkdir(parents=True)
    for seed, code in CODES.items():
        family = Family.make(seed)
        for month in range(6):
            capture_id = f"b{seed}-{month}"
            html = family.capture(rng)
            if month % 2 == 0:
                pay = f"<p>Pay by phone with code {code.lower()}</p><a href='paycode:{code}'>pay</a>"
                html = html.replace("</body>", pay + "</body>")
            (root / f"{capture_id}.html").write_text(html)
            rows.append({"capture_id": capture_id, "url": f"http://site{seed}-{month}.test/", "file": f"{capture_id}.html",
                         "captured_at": f"2012-{month + 1:02d}-10T10:00:00Z"})  # fmt: skip
            brand_of[capture_id] = seed
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return brand_of


@pytest.fixture
def pay_code(monkeypatch: pytest.MonkeyPatch) -> PayCode:
    kind = PayCode()
    monkeypatch.setitem(KINDS, kind.name, kind)  # the one place a kind is declared
    return kind


def test_a_declared_kind_is_scanned(pay_code: PayCode) -> None:
    html = "<p>Pay with code pc-1111-2222 today</p><a href='paycode:PC-3333-4444'>or this</a><p>PC-12-34</p>"
    found = [i for i in extract_identifiers(html, base_url="https://shop.test/") if i.kind == "pay_code"]
    assert found == [
        Identifier("pay_code", "PC-1111-2222", "text", "pc-1111-2222"),
        Identifier("pay_code", "PC-3333-4444", "a[href=paycode]", "paycode:PC-3333-4444"),
    ]


def test_a_declared_kind_is_stored_and_links_brands_and_a_cached_store_picks_it_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    brand_of = _world(tmp_path / "caps")
    with Store(tmp_path / "v.duckdb") as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        attribute_store(store)  # before the kind exists: three brands, three distributors
        assert store.con.execute("SELECT count(*) FROM page_identifiers WHERE kind = 'pay_code'").fetchone() == (0,)
        alone = store.con.execute("SELECT count(DISTINCT distributor_id), count(DISTINCT brand_id) FROM capture_attribution")
        assert alone.fetchone() == (3, 3)
        before = code_digest()
        kind = PayCode()
        monkeypatch.setitem(KINDS, kind.name, kind)
        assert code_digest() != before  # so the per-page cache is recomputed
        attribute_store(store)
        stored = store.con.execute(
            "SELECT DISTINCT kind, value, where_found, is_pivot FROM page_identifiers WHERE kind = 'pay_code' ORDER BY 2, 3"
        ).fetchall()
        got = dict(store.con.execute("""SELECT c.capture_id, a.brand_id || ' ' || a.distributor_id
            FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall())  # fmt: skip
        mapping_tables(store.engine, default_processors())
        store.engine.materialise("_page_payments", SQL_PAGE_PAYMENTS)
        types = store.con.execute("SELECT DISTINCT payment_type FROM _page_payments").fetchall()
    assert stored == [
        ("pay_code", code, where, True) for code in ("PC-1111-2222", "PC-3333-4444") for where in ("a[href=paycode]", "text")
    ]
    brands = {seed: {got[c].split()[0] for c, s in brand_of.items() if s == seed} for seed in CODES}
    distributors = {seed: {got[c].split()[1] for c, s in brand_of.items() if s == seed} for seed in CODES}
    assert all(len(ids) == 1 for ids in brands.values()) and len(set().union(*brands.values())) == 3
    assert distributors[51] == distributors[52] != distributors[53]
    assert types == [("mobile_payment",)]


def test_a_declared_kind_is_documented_and_mapped(pay_code: PayCode) -> None:
    row = "| `pay_code` | yes | 0.9 | `PC-1234-5678` upper-cased | visible text, `paycode:` links | `mobile_payment` |"
    assert row in kinds_table().splitlines()
    pay = kind_payments([pay_code])
    assert pay == {"kind": ["pay_code"], "rule": ["fixed"], "label": [None], "payment_type": ["mobile_payment"]}


def test_the_docs_show_the_declared_kinds_table() -> None:
    """docs/identifiers.md holds exactly the table generated from KINDS (regenerate it with
    ``python -c 'from vigil.attribute.identifiers import kinds_table; print(kinds_table())'``)."""
    assert kinds_table() in DOCS.read_text(encoding="utf-8")


def test_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="payment type"):
        Payment("barter")
    with pytest.raises(ValueError, match="either"):
        Payment("sms", processor="name")
    with pytest.raises(ValueError, match="sources"):
        TextFinder(find_pay_codes, ("everywhere",))
    for name, kind in KINDS.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name) and kind.version >= 1 and kind.finders, name
        assert kind.value and kind.found_in, name
