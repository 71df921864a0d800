"""FollowTheMoney export, with the ``followthemoney`` library: entities an Aleph user loads.

* a distributor: ``Organization`` (name ``distributor D-…``);
* a brand: ``Organization`` with ``parent`` = its distributor, its e-mail addresses and phone
  numbers as ``email``/``phone``, its captured URLs as ``website``;
* a wallet: ``CryptoWallet`` (``publicKey``, ``currency``, ``holder`` = the brand);
* a merchant account or IBAN: ``BankAccount`` (``accountNumber`` + ``bankName`` = the
  processor scope, or ``iban``), tied to the brand by an ``Ownership``;
* a test purchase: ``Payment`` from the test purchaser (a ``LegalEntity`` per processor) to
  the brand, to its merchant account when known, with amount, currency and date.

IDs are ``make_id`` hashes of Vigil's IDs (the same entity, the same ID on every export).
FtM has no marking of its own: each entity carries its TLP level in ``keywords``
(``TLP:GREEN``; ``summary`` for the interval schemas ``Ownership`` and ``Payment``, which have
no keywords) and, as everywhere, nothing stricter than the export goes in. Every entity
is checked against its FtM schema before it is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson
from followthemoney import model
from followthemoney.proxy import EntityProxy

from vigil.errors import VigilError
from vigil.share.facts import Facts, Scope
from vigil.store import Store


def _entity(schema: str, *key: str, marking: str, **props: Any) -> EntityProxy:
    entity = model.make_entity(schema)
    entity.make_id("vigil", schema, *key)
    for name, value in props.items():
        if value is None or value == []:
            continue
        for item in value if isinstance(value, list) else [value]:
            entity.add(name, item)
    entity.add("keywords" if "keywords" in entity.schema.properties else "summary", f"TLP:{marking}")
    return entity


def ftm_entities(store: Store, scope: Scope) -> Iterator[EntityProxy]:
    facts = Facts(store, scope)
    brands = {b["brand_id"]: b for b in facts.brands()}
    orgs: dict[str, EntityProxy] = {}
    for d in facts.distributors():
        org = _entity("Organization", "distributor", d["distributor_id"], marking=d["marking"],
                      name=f"distributor {d['distributor_id']}",
                      description=f"Vigil distributor: {d['brands']} brands, {d['captures']} captures",
                      createdAt=d["first_seen"].date().isoformat(), modifiedAt=d["last_seen"].date().isoformat())  # fmt: skip
        orgs[d["distributor_id"]] = org
        yield org
    websites: dict[str, list[str]] = {}
    for u in facts.brand_urls():
        websites.setdefault(u["brand_id"], []).append(u["url"])
    idents: dict[str, list[dict[str, Any]]] = {}
    for bi in facts.brand_identifiers():
        idents.setdefault(bi["brand_id"], []).append(bi)
    brand_orgs: dict[str, EntityProxy] = {}
    for brand_id, b in brands.items():
        mine = idents.get(brand_id, [])
        parent = orgs.get(b["distributor_id"]) if b["distributor_id"] else None
        org = _entity("Organization", "brand", brand_id, marking=b["marking"], name=f"brand {brand_id}",
                      parent=parent.id if parent else None, website=websites.get(brand_id, []),
                      email=[i["value"] for i in mine if i["kind"] == "email"],
                      phone=[i["value"] for i in mine if i["kind"] == "phone"],
                      description=f"Vigil brand (page template {b['template_id']}): {b['captures']} captures",
                      createdAt=b["first_seen"].date().isoformat(), modifiedAt=b["last_seen"].date().isoformat())  # fmt: skip
        brand_orgs[brand_id] = org
        yield org
    accounts: dict[str, EntityProxy] = {}
    for brand_id, mine in sorted(idents.items()):
        for i in mine:
            kind, value, marking = i["kind"], i["value"], i["marking"]
            if kind in ("btc_address", "eth_address"):
                yield _entity("CryptoWallet", kind, value, brand_id, marking=marking, publicKey=value,
                              currency=kind.split("_")[0].upper(), holder=brand_orgs[brand_id].id)  # fmt: skip
            elif kind in ("merchant_account", "iban"):
                if value not in accounts:
                    scope_name, _, number = value.partition("/")
                    props = {"iban": value} if kind == "iban" else {"accountNumber": number, "bankName": scope_name}
                    accounts[value] = _entity("BankAccount", kind, value, marking=marking, name=value, **props)
                    yield accounts[value]
                yield _entity("Ownership", "owns", brand_id, value, marking=marking, owner=brand_orgs[brand_id].id,
                              asset=accounts[value].id, role="merchant account" if kind == "merchant_account" else "IBAN",
                              startDate=i["first_seen"].date().isoformat(), endDate=i["last_seen"].date().isoformat())  # fmt: skip
    payers: dict[str, EntityProxy] = {}
    for p in facts.purchases():
        if p["brand_id"] not in brand_orgs:
            continue
        processor = p["processor"] or p["payment_type"]
        if processor not in payers:
            payers[processor] = _entity("LegalEntity", "test-purchaser", processor, marking=p["marking"],
                                        name=f"test purchaser via {processor}")  # fmt: skip
            yield payers[processor]
        account = None
        if p["merchant_account"]:
            account = accounts.get(p["merchant_account"])
        yield _entity("Payment", "test-purchase", p["purchase_id"], marking=p["marking"], payer=payers[processor].id,
                      beneficiary=brand_orgs[p["brand_id"]].id, beneficiaryAccount=account.id if account else None,
                      amount=p["amount"], currency=p["currency"], date=p["purchased_at"].date().isoformat(),
                      purpose=f"test purchase ({p['payment_type']}); outcome: {p['outcome'] or 'unknown'}")  # fmt: skip


def write_ftm(store: Store, scope: Scope, out: BinaryIO) -> int:
    """Entities as FtM JSON lines (keys sorted), each validated against its schema first."""
    n = 0
    for entity in ftm_entities(store, scope):
        data = entity.to_dict()
        problem = entity.schema.validate(data)  # type: ignore[arg-type]  # FtM types it as a TypedDict
        if problem:
            raise VigilError(f"FtM {entity.schema.name} {entity.id} does not validate: {problem}")
        out.write(orjson.dumps(data, option=orjson.OPT_SORT_KEYS) + b"\n")
        n += 1
    return n
