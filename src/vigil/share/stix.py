"""STIX 2.1 export: URLs, hosts, IPs, ASNs, brands, distributors and the evidence between them.

One bundle per call, written as it is built (one object per line, so a 1M-report export
never holds the bundle in memory) and byte-identical for the same store and options.

What goes in (docs/sharing.md has the full mapping):

* each reported URL: a ``url`` SCO and an ``indicator`` (pattern ``[url:value = '…']``)
  carrying Vigil's report facts in a property extension (first/last report, number of
  reports, commercial, site type, payment types);
* hosting: ``domain-name`` ─resolves-to→ ``ipv4-addr``/``ipv6-addr`` ─belongs-to→
  ``autonomous-system``, with ``start_time``/``stop_time`` from the reports;
* each brand: an ``infrastructure``; each distributor: a ``threat-actor`` that *uses* its
  brands; a brand *consists-of* its captured URLs and is *related-to* each key identifier
  on its pages (the evidence chain: two brands related to one merchant account);
* key identifiers: ``email-addr``, ``url`` (payment forms) and, defined by extension
  definitions in the bundle, ``merchant-account``, ``cryptocurrency-wallet``,
  ``phone-number``, ``bank-account`` and ``key-identifier`` (affiliate, analytics IDs).

Every object carries its TLP 2.0 marking; nothing marked stricter than the export goes in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, BinaryIO, Final

import orjson
import stix2

from vigil.share.facts import Facts, Scope
from vigil.share.markings import (
    LEVELS,
    STIX_IDS,
    TLP2_EXTENSION,
    stix_marking,
    stricter,
)
from vigil.share.stixids import (
    FIXED_TIME,
    SCO_NAMESPACE,
    VIGIL_NAMESPACE,
    pattern_string,
    sco_id,
    timestamp,
    value_id,
    vigil_id,
)
from vigil.store import Store

#: Vigil's own SCO types (STIX 2.1 "new-sco" extensions), by identifier kind.
IDENTIFIER_TYPES: Final = {
    "merchant_account": "merchant-account",
    "btc_address": "cryptocurrency-wallet",
    "eth_address": "cryptocurrency-wallet",
    "phone": "phone-number",
    "iban": "bank-account",
    "affiliate_id": "key-identifier",
    "analytics_id": "key-identifier",
}
NEW_SCO_TYPES: Final = {
    "merchant-account": "An account at a payment processor, as processor-scope/account (Vigil's merchant_account).",
    "cryptocurrency-wallet": "A crypto-currency address; 'currency' is btc or eth.",
    "phone-number": "A phone number in E.164 form.",
    "bank-account": "A bank account by its IBAN.",
    "key-identifier": "Another key identifier tying pages to an operator: 'kind' is affiliate_id or analytics_id.",
}
REPORT_EXTENSION: Final = "vigil-report"
SCHEMA_BASE: Final = "https://vigil.invalid/schemas/stix/"


def dump(obj: dict[str, Any]) -> bytes:
    """One object as compact JSON, keys sorted, UTF-8: the same object, the same bytes."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


@lru_cache(maxsize=64)
def producer(org: str) -> str:
    return vigil_id("identity", f"identity:{org}")


@lru_cache(maxsize=64)
def extension_id(name: str) -> str:
    return vigil_id("extension-definition", f"extension:{name}")


def _fixed_objects(org: str) -> list[dict[str, Any]]:
    """Vigil's identity and extension definitions, made (and so checked) by the stix2 library."""
    ident = producer(org)
    clear = [STIX_IDS["CLEAR"]]
    objects: list[Any] = [stix2.v21.Identity(id=ident, name=org, identity_class="organization", created=FIXED_TIME,
                                              modified=FIXED_TIME, object_marking_refs=clear)]  # fmt: skip
    for name, text in [*NEW_SCO_TYPES.items(), (REPORT_EXTENSION, "Vigil's report facts on an indicator.")]:
        kind = "property-extension" if name == REPORT_EXTENSION else "new-sco"
        objects.append(stix2.v21.ExtensionDefinition(
            id=extension_id(name), created_by_ref=ident, created=FIXED_TIME, modified=FIXED_TIME, name=name,
            description=text, schema=f"{SCHEMA_BASE}{name}.json", version="1.0", extension_types=[kind],
            object_marking_refs=clear))  # fmt: skip
    return [json.loads(o.serialize()) for o in objects]


def identifier_object(kind: str, value: str, marking: str) -> dict[str, Any]:
    """The SCO for one key identifier (``url`` for a payment form, ``email-addr`` for an e-mail)."""
    marks = [STIX_IDS[marking]]
    if kind == "email":
        return {"type": "email-addr", "spec_version": "2.1", "id": value_id("email-addr", value),
                "value": value, "object_marking_refs": marks}  # fmt: skip
    if kind == "payment_form":
        return url_object(value, marking)
    sco = IDENTIFIER_TYPES[kind]
    obj: dict[str, Any] = {"type": sco, "spec_version": "2.1", "value": value, "object_marking_refs": marks,
                           "extensions": {extension_id(sco): {"extension_type": "new-sco"}}}  # fmt: skip
    if sco == "cryptocurrency-wallet":
        obj["currency"] = kind.split("_")[0]
    if sco == "key-identifier":
        obj["kind"] = kind
    obj["id"] = sco_id(sco, {"value": value, **({"kind": kind} if sco == "key-identifier" else {})})
    return obj


def url_object(url: str, marking: str) -> dict[str, Any]:
    return {"type": "url", "spec_version": "2.1", "id": value_id("url", url), "value": url,
            "object_marking_refs": [STIX_IDS[marking]]}  # fmt: skip


def relationship(source: str, kind: str, target: str, *, start: Any, stop: Any, marking: str, org: str,
                 description: str | None = None) -> dict[str, Any]:  # fmt: skip
    first, last = timestamp(start), timestamp(stop)
    rel: dict[str, Any] = {
        "type": "relationship", "spec_version": "2.1", "id": vigil_id("relationship", f"rel:{source}|{kind}|{target}"),
        "created_by_ref": producer(org), "created": first, "modified": last, "relationship_type": kind,
        "source_ref": source, "target_ref": target, "start_time": first, "object_marking_refs": [STIX_IDS[marking]],
    }  # fmt: skip
    if last > first:
        rel["stop_time"] = last
    if description:
        rel["description"] = description
    return rel


def _ip_type(ip: str) -> str:
    return "ipv6-addr" if ":" in ip else "ipv4-addr"


@dataclass
class ExportSummary:
    """What one export wrote, by STIX type (only what went in: never what was withheld)."""

    bundle_id: str
    objects: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.objects.values())


def _url_objects(facts: Facts, org: str, once: Any) -> Iterator[dict[str, Any]]:
    """URL SCOs and indicators built in Python: the reference the SQL path is tested against."""
    ident = producer(org)
    for u in facts.urls():
        url_sco = url_object(u["url"], u["marking"])
        yield from once(url_sco)
        first, last = timestamp(u["first_reported"]), timestamp(u["last_reported"])
        facts_ext: dict[str, Any] = {"extension_type": "property-extension", "first_reported": first,
                                     "last_reported": last, "reports": u["reports"]}  # fmt: skip
        if u["payment_types"]:
            facts_ext["payment_types"] = list(u["payment_types"])
        if u["commercial"] is not None:
            facts_ext["commercial"] = bool(u["commercial"])
        if u["site_type"]:
            facts_ext["site_type"] = u["site_type"]
        yield {
            "type": "indicator", "spec_version": "2.1", "id": vigil_id("indicator", f"url:{u['url']}"),
            "created_by_ref": ident, "created": first, "modified": last, "name": u["url"],
            "description": f"Reported {u['reports']} times, {first[:10]} to {last[:10]}.",
            "indicator_types": ["malicious-activity"], "pattern": f"[url:value = {pattern_string(u['url'])}]",
            "pattern_type": "stix", "valid_from": first, "object_marking_refs": [STIX_IDS[u["marking"]]],
            "extensions": {extension_id(REPORT_EXTENSION): facts_ext},
        }  # fmt: skip


def _hosting_objects(facts: Facts, org: str, once: Any) -> Iterator[dict[str, Any]]:
    """Hosting objects built in Python: the reference the SQL path is tested against."""
    for h in facts.resolutions():
        host = {"type": "domain-name", "spec_version": "2.1", "id": value_id("domain-name", h["host"]),
                "value": h["host"], "object_marking_refs": [STIX_IDS[h["marking"]]]}  # fmt: skip
        kind = _ip_type(h["ip"])
        ip = {"type": kind, "spec_version": "2.1", "id": value_id(kind, h["ip"]), "value": h["ip"],
              "object_marking_refs": [STIX_IDS[h["marking"]]]}  # fmt: skip
        yield from once(host)
        yield from once(ip)
        yield from once(relationship(host["id"], "resolves-to", ip["id"], start=h["first_seen"], stop=h["last_seen"],
                                     marking=h["marking"], org=org))  # fmt: skip
        if h["asn"] is not None:
            asys: dict[str, Any] = {"type": "autonomous-system", "spec_version": "2.1",
                                    "id": sco_id("autonomous-system", {"number": int(h["asn"])}),
                                    "number": int(h["asn"]), "object_marking_refs": [STIX_IDS[h["marking"]]]}  # fmt: skip
            if h["organisation"]:
                asys["name"] = h["organisation"]
            yield from once(asys)
            yield from once(relationship(ip["id"], "belongs-to", asys["id"], start=h["first_seen"],
                                         stop=h["last_seen"], marking=h["marking"], org=org))  # fmt: skip


def stix_objects(store: Store, scope: Scope, *, org: str = "Vigil", python_bulk: bool = False) -> Iterator[dict[str, Any]]:
    """The bundle's objects, in a fixed order, each at most once."""
    facts = Facts(store, scope)
    ident = producer(org)
    used_levels = [level for level in LEVELS if LEVELS.index(level) <= LEVELS.index(scope.marking)]
    for level in used_levels:
        yield stix_marking(level)
    yield from _fixed_objects(org)
    seen: set[str] = set()

    def once(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if obj["id"] not in seen:
            seen.add(obj["id"])
            yield obj

    if python_bulk:
        yield from _url_objects(facts, org, once)
    else:
        for url_id, url_json, indicator_json in facts.run(_urls_json_sql(facts, org)):
            if url_id not in seen:
                seen.add(url_id)
                yield RawObject("url", url_json)
            yield RawObject("indicator", indicator_json)
    if python_bulk:
        yield from _hosting_objects(facts, org, once)
    else:
        for ip_kind, *texts in facts.run(_hosting_json_sql(facts, org)):
            for kind, text in zip(("domain-name", ip_kind, "relationship", "autonomous-system", "relationship"), texts):
                if text is not None:
                    yield RawObject(kind, text)
    brand_marks: dict[str, str] = {}
    lineage: list[tuple[str, str, Any, Any, str]] = []
    users: list[dict[str, Any]] = []
    for b in facts.brands():
        brand_marks[b["brand_id"]] = b["marking"]
        first, last = timestamp(b["first_seen"]), timestamp(b["last_seen"])
        yield {
            "type": "infrastructure", "spec_version": "2.1", "id": vigil_id("infrastructure", f"brand:{b['brand_id']}"),
            "created_by_ref": ident, "created": first, "modified": last, "name": f"brand {b['brand_id']}",
            "description": f"Vigil brand {b['brand_id']} (page template {b['template_id']}): {b['captures']} captures.",
            "infrastructure_types": ["unknown"], "first_seen": first, "last_seen": last,
            "object_marking_refs": [STIX_IDS[b["marking"]]],
        }  # fmt: skip
        if b["lineage_brand"]:
            lineage.append((b["brand_id"], b["lineage_brand"], b["first_seen"], b["last_seen"], b["marking"]))
        if b["distributor_id"]:
            users.append(b)
    for brand, parent, start, stop, marking in lineage:
        if parent in brand_marks:
            yield relationship(vigil_id("infrastructure", f"brand:{brand}"), "derived-from",
                               vigil_id("infrastructure", f"brand:{parent}"), start=start, stop=stop,
                               marking=stricter(marking, brand_marks[parent]), org=org)  # fmt: skip
    for d in facts.distributors():
        first, last = timestamp(d["first_seen"]), timestamp(d["last_seen"])
        yield {
            "type": "threat-actor", "spec_version": "2.1",
            "id": vigil_id("threat-actor", f"distributor:{d['distributor_id']}"), "created_by_ref": ident,
            "created": first, "modified": last, "name": f"distributor {d['distributor_id']}",
            "description": f"Vigil distributor {d['distributor_id']}: {d['brands']} brands, {d['captures']} captures.",
            "threat_actor_types": ["criminal"], "first_seen": first, "last_seen": last,
            "object_marking_refs": [STIX_IDS[d["marking"]]],
        }  # fmt: skip
    for b in users:
        yield relationship(vigil_id("threat-actor", f"distributor:{b['distributor_id']}"), "uses",
                           vigil_id("infrastructure", f"brand:{b['brand_id']}"), start=b["first_seen"],
                           stop=b["last_seen"], marking=b["marking"], org=org)  # fmt: skip
    for bu in facts.brand_urls():
        url_sco = url_object(bu["url"], bu["marking"])
        yield from once(url_sco)
        yield relationship(vigil_id("infrastructure", f"brand:{bu['brand_id']}"), "consists-of", url_sco["id"],
                           start=bu["first_seen"], stop=bu["last_seen"], marking=bu["marking"], org=org,
                           description=f"captured {bu['captures']} times")  # fmt: skip
    for bi in facts.brand_identifiers():
        sco = identifier_object(bi["kind"], bi["value"], bi["marking"])
        yield from once(sco)
        yield relationship(vigil_id("infrastructure", f"brand:{bi['brand_id']}"), "related-to", sco["id"],
                           start=bi["first_seen"], stop=bi["last_seen"], marking=bi["marking"], org=org,
                           description=f"{bi['kind']} seen on {bi['captures']} captures of the brand")  # fmt: skip


class RawObject(dict[str, Any]):
    """An object already serialised by the store (the bulk of an export): its type and its JSON."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(type=kind)
        self.text = text


def _sql_uuid5(namespace: uuid.UUID, name: str) -> str:
    """SQL: the UUIDv5 of the text expression ``name`` in ``namespace`` (same as :func:`stixids.uuid5`)."""
    h = f"sha1(from_hex('{namespace.hex}') || encode({name}))"
    return (f"(substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-5' || substr({h}, 14, 3) || '-' || "
            f"['8','9','a','b'][(position(substr({h}, 17, 1) IN '0123456789abcdef') - 1) % 4 + 1] || "
            f"substr({h}, 18, 3) || '-' || substr({h}, 21, 12))")  # fmt: skip


def _sql_time(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%dT%H:%M:%S.%g') || 'Z'"


_PATTERN_SQL: Final = r"""to_json('[url:value = ''' || replace(replace(url, '\', '\\'), '''', '\''') || ''']')"""


def _urls_json_sql(facts: Facts, org: str) -> str:
    """URL SCOs and their indicators serialised by DuckDB, keys sorted: the same bytes :func:`dump`
    makes of the objects :func:`url_object` and the indicator builder make (a test checks)."""
    marks = " ".join(f"WHEN '{level}' THEN '{ident}'" for level, ident in STIX_IDS.items())
    ext = extension_id(REPORT_EXTENSION)
    sco = _sql_uuid5(SCO_NAMESPACE, "'{\"value\":' || to_json(url) || '}'")
    ind = _sql_uuid5(VIGIL_NAMESPACE, "'url:' || url")
    return f"""
        WITH u AS ({facts.urls_sql()}),
        j AS (SELECT *, 'url--' || {sco} AS url_id, 'indicator--' || {ind} AS ind_id,
                     '["' || (CASE marking {marks} END) || '"]' AS marks,
                     {_sql_time("first_reported")} AS first, {_sql_time("last_reported")} AS last
              FROM u)
        SELECT url_id,
          '{{"id":"' || url_id || '","object_marking_refs":' || marks || ',"spec_version":"2.1","type":"url","value":'
            || to_json(url) || '}}',
          '{{"created":"' || first || '","created_by_ref":"{producer(org)}","description":'
            || to_json('Reported ' || reports || ' times, ' || first[:10] || ' to ' || last[:10] || '.')
            || ',"extensions":{{"{ext}":{{'
            || CASE WHEN commercial IS NULL THEN '' ELSE '"commercial":' || CAST(commercial AS VARCHAR) || ',' END
            || '"extension_type":"property-extension","first_reported":"' || first || '","last_reported":"' || last || '"'
            || CASE WHEN len(payment_types) > 0 THEN ',"payment_types":' || CAST(to_json(payment_types) AS VARCHAR) ELSE '' END
            || ',"reports":' || reports
            || CASE WHEN coalesce(site_type, '') <> '' THEN ',"site_type":' || to_json(site_type) ELSE '' END
            || '}}}},"id":"' || ind_id || '","indicator_types":["malicious-activity"],"modified":"' || last
            || '","name":' || to_json(url) || ',"object_marking_refs":' || marks
            || ',"pattern":' || {_PATTERN_SQL}
            || ',"pattern_type":"stix","spec_version":"2.1","type":"indicator","valid_from":"' || first || '"}}'
        FROM j ORDER BY url"""


def _sql_rel(source: str, kind: str, target: str, first: str, last: str, marks: str, org: str) -> str:
    """SQL: a relationship's JSON, keys sorted (as :func:`relationship` builds it, without description)."""
    rel_id = "'relationship--' || " + _sql_uuid5(VIGIL_NAMESPACE, f"'rel:' || {source} || '|{kind}|' || {target}")
    return (f"""'{{"created":"' || {first} || '","created_by_ref":"{producer(org)}","id":"' || {rel_id}
        || '","modified":"' || {last} || '","object_marking_refs":' || {marks} || ',"relationship_type":"{kind}"'
        || ',"source_ref":"' || {source} || '","spec_version":"2.1","start_time":"' || {first} || '"'
        || CASE WHEN {last} > {first} THEN ',"stop_time":"' || {last} || '"' ELSE '' END
        || ',"target_ref":"' || {target} || '","type":"relationship"}}'""")  # fmt: skip


def _hosting_json_sql(facts: Facts, org: str) -> str:
    """Hosting objects serialised by DuckDB in the order and form :func:`_hosting_objects` makes them."""
    marks_case = " ".join(f"WHEN '{level}' THEN '{ident}'" for level, ident in STIX_IDS.items())
    host_id = _sql_uuid5(SCO_NAMESPACE, "'{\"value\":' || to_json(host) || '}'")
    ip_id = _sql_uuid5(SCO_NAMESPACE, "'{\"value\":' || to_json(ip) || '}'")
    as_id = _sql_uuid5(SCO_NAMESPACE, "'{\"number\":' || CAST(asn AS VARCHAR) || '}'")
    def sco(ident: str, kind: str, value: str) -> str:
        return (f"""'{{"id":"' || {ident} || '","object_marking_refs":' || marks || ',"spec_version":"2.1","type":"'"""
                f""" || {kind} || '","value":' || to_json({value}) || '}}'""")  # fmt: skip

    return f"""
        WITH r AS ({facts.resolutions_sql()}),
        k AS (SELECT *, CASE WHEN contains(ip, ':') THEN 'ipv6-addr' ELSE 'ipv4-addr' END AS ip_kind,
                     '["' || (CASE marking {marks_case} END) || '"]' AS marks,
                     {_sql_time("first_seen")} AS first, {_sql_time("last_seen")} AS last,
                     row_number() OVER (PARTITION BY host ORDER BY ip) AS host_n,
                     row_number() OVER (PARTITION BY ip ORDER BY host) AS ip_n,
                     row_number() OVER (PARTITION BY asn ORDER BY host, ip) AS asn_n
              FROM r),
        i AS (SELECT *, 'domain-name--' || {host_id} AS host_id, ip_kind || '--' || {ip_id} AS ip_id,
                     'autonomous-system--' || {as_id} AS as_id
              FROM k)
        SELECT ip_kind,
          CASE WHEN host_n = 1 THEN {sco("host_id", "'domain-name'", "host")} END,
          CASE WHEN ip_n = 1 THEN {sco("ip_id", "ip_kind", "ip")} END,
          {_sql_rel("host_id", "resolves-to", "ip_id", "first", "last", "marks", org)},
          CASE WHEN asn IS NOT NULL AND asn_n = 1 THEN '{{"id":"' || as_id || '"'
               || CASE WHEN coalesce(organisation, '') <> '' THEN ',"name":' || to_json(organisation) ELSE '' END
               || ',"number":' || CAST(asn AS VARCHAR) || ',"object_marking_refs":' || marks
               || ',"spec_version":"2.1","type":"autonomous-system"}}' END,
          CASE WHEN asn IS NOT NULL AND ip_n = 1 THEN {_sql_rel("ip_id", "belongs-to", "as_id", "first", "last", "marks", org)} END
        FROM i ORDER BY host, ip"""


def bundle_id(scope: Scope, org: str) -> str:
    return vigil_id("bundle", f"bundle:{org}:{scope.start}:{scope.end}:{scope.marking}:{scope.distributor or ''}")


def write_stix(store: Store, scope: Scope, out: BinaryIO, *, org: str = "Vigil") -> ExportSummary:
    """Write the bundle to ``out`` (UTF-8, one object per line); returns what went in."""
    summary = ExportSummary(bundle_id(scope, org))
    counts = summary.objects
    out.write(f'{{"type":"bundle","id":"{summary.bundle_id}","objects":['.encode())
    sep = b"\n"
    for obj in stix_objects(store, scope, org=org):
        out.write(sep)
        out.write(obj.text.encode("utf-8") if isinstance(obj, RawObject) else dump(obj))
        sep = b",\n"
        counts[obj["type"]] = counts.get(obj["type"], 0) + 1
    out.write(b"\n]}\n")
    return summary


__all__ = ["IDENTIFIER_TYPES", "TLP2_EXTENSION", "ExportSummary", "bundle_id", "stix_objects", "write_stix"]
