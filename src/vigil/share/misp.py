"""MISP export with PyMISP's data model: events, objects, TLP tags, and a feed directory.

No MISP server is needed. One event per period (``per="period"``) or per distributor
(``per="distributor"``), galaxy-free:

* each reported URL: a ``url`` object (``url``, ``host``, ``first-seen``, ``last-seen``,
  ``text`` with Vigil's report facts);
* each key identifier on a shared brand: an attribute (``email-src``, ``phone-number``) or an
  object (``bank-account`` for IBANs and merchant accounts, ``coin-address`` for wallets),
  commented with the brands it was seen on and first/last seen;
* a TLP tag on the event (the export's level) and on every attribute (the record's own).

UUIDs are UUIDv5 from Vigil's IDs and every timestamp comes from the evidence, so a second
export is byte-identical and a MISP instance that pulls the feed again updates its events.
A feed directory holds ``manifest.json``, ``hashes.csv`` and one ``<uuid>.json`` per event,
the layout MISP's "Feeds" subscribe to.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pymisp import MISPAttribute, MISPEvent, MISPObject, MISPOrganisation

from vigil.share.facts import Facts, Scope
from vigil.share.stixids import VIGIL_NAMESPACE, uuid5
from vigil.store import Store

_NS: Final = VIGIL_NAMESPACE.bytes
_ATTRIBUTE_TYPES: Final = {"email": "email-src", "phone": "phone-number", "payment_form": "url",
                           "affiliate_id": "text", "analytics_id": "text"}  # fmt: skip


def _uuid(key: str) -> str:
    return uuid5(_NS, f"misp:{key}")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _tag(thing: MISPEvent | MISPAttribute, marking: str) -> None:
    thing.add_tag(f"tlp:{marking.lower()}")


def _attr(target: MISPEvent | MISPObject, relation_or_type: str, value: Any, *, key: str, when: datetime,
          marking: str | None = None, **extra: Any) -> MISPAttribute:  # fmt: skip
    attr = target.add_attribute(relation_or_type, value=value, uuid=_uuid(key), **extra)
    if not isinstance(attr, MISPAttribute):
        raise TypeError(f"PyMISP made no single attribute for {relation_or_type}")
    attr.timestamp = _utc(when)
    if marking:
        _tag(attr, marking)
    return attr


class _Event:
    def __init__(self, key: str, info: str, when: datetime, marking: str, org: str) -> None:
        self.event = MISPEvent()
        self.event.uuid = _uuid(f"event:{key}")
        self.event.info = info
        self.event.date = when.date()
        self.event.distribution = 0
        self.event.analysis = 2
        self.event.threat_level_id = 4
        self.event.published = True
        orgc = MISPOrganisation()
        orgc.name, orgc.uuid = org, _uuid(f"org:{org}")
        self.event.Orgc = orgc
        _tag(self.event, marking)
        self.latest = _utc(when)

    def touch(self, when: datetime) -> None:
        self.latest = max(self.latest, _utc(when))

    def finish(self) -> MISPEvent:
        self.event.timestamp = self.latest
        self.event.publish_timestamp = self.latest
        return self.event


def misp_events(store: Store, scope: Scope, *, per: str = "period", org: str = "Vigil",
                label: str | None = None) -> list[MISPEvent]:  # fmt: skip
    """The events of one export, in a fixed order."""
    facts = Facts(store, scope)
    period = label or f"{scope.start}..{scope.end}"
    start = datetime.combine(scope.start, datetime.min.time())
    brands = {b["brand_id"]: b for b in facts.brands()}
    urls_of: dict[str, set[str]] = defaultdict(set)
    for u in facts.brand_urls():
        urls_of[u["url"]].add(u["brand_id"])
    events: dict[str, _Event] = {}

    def event_for(distributor: str | None) -> _Event:
        key = f"{org}:{scope.marking}:{period}:" + (distributor or "-" if per == "distributor" else "all")
        if key not in events:
            if per == "distributor":
                info = f"Vigil {period}: distributor {distributor}" if distributor else f"Vigil {period}: no distributor"
            else:
                info = f"Vigil {period}: commercial distribution sites"
            events[key] = _Event(key, f"{info} (TLP:{scope.marking})", start, scope.marking, org)
        return events[key]

    for u in facts.urls():
        owners = sorted(urls_of.get(u["url"], ()))
        dists = sorted({brands[b]["distributor_id"] or "" for b in owners}) or [""]
        for dist in dists if per == "distributor" else [""]:
            ev = event_for(dist or None)
            obj = MISPObject("url", standalone=False)
            obj.uuid = _uuid(f"url-object:{ev.event.uuid}:{u['url']}")
            obj.timestamp = _utc(u["last_reported"])
            facts_text = f"reported {u['reports']} times; commercial: {u['commercial']}; site type: {u['site_type']}; " \
                         f"payment types: {', '.join(u['payment_types'] or []) or '-'}"  # fmt: skip
            if owners:
                facts_text += f"; brands: {', '.join(owners)}"
            key = f"{obj.uuid}:"
            _attr(obj, "url", u["url"], key=key + "url", when=u["last_reported"], marking=u["marking"], to_ids=True)
            _attr(obj, "host", u["host"], key=key + "host", when=u["last_reported"], marking=u["marking"])
            _attr(obj, "first-seen", _utc(u["first_reported"]), key=key + "first", when=u["last_reported"],
                  marking=u["marking"])  # fmt: skip
            _attr(obj, "last-seen", _utc(u["last_reported"]), key=key + "last", when=u["last_reported"],
                  marking=u["marking"])  # fmt: skip
            _attr(obj, "text", facts_text, key=key + "text", when=u["last_reported"], marking=u["marking"])
            ev.event.add_object(obj)
            ev.touch(u["last_reported"])
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for bi in facts.brand_identifiers():
        dist = brands[bi["brand_id"]]["distributor_id"] if per == "distributor" else None
        k = (dist or "", bi["kind"], bi["value"])
        acc = seen.setdefault(k, {"brands": [], "first": bi["first_seen"], "last": bi["last_seen"], "marking": bi["marking"]})
        acc["brands"].append(bi["brand_id"])
        acc["first"], acc["last"] = min(acc["first"], bi["first_seen"]), max(acc["last"], bi["last_seen"])
    for (dist, kind, value), acc in sorted(seen.items()):
        ev = event_for(dist or None)
        comment = f"{kind} on brands {', '.join(sorted(acc['brands']))}; first seen {acc['first']}, last seen {acc['last']}"
        key = f"ident:{ev.event.uuid}:{kind}:{value}"
        if kind in _ATTRIBUTE_TYPES:
            _attr(ev.event, _ATTRIBUTE_TYPES[kind], value, key=key, when=acc["last"], marking=acc["marking"],
                  comment=comment, to_ids=kind != "analytics_id", first_seen=_utc(acc["first"]),
                  last_seen=_utc(acc["last"]))  # fmt: skip
        else:
            name = "coin-address" if kind in ("btc_address", "eth_address") else "bank-account"
            obj = MISPObject(name, standalone=False)
            obj.uuid = _uuid(key)
            obj.timestamp = _utc(acc["last"])
            obj.comment = comment
            if kind == "btc_address":
                _attr(obj, "address", value, key=key + ":a", when=acc["last"], marking=acc["marking"])
            elif kind == "eth_address":
                _attr(obj, "address-crypto", value, key=key + ":a", when=acc["last"], marking=acc["marking"])
                _attr(obj, "symbol", "ETH", key=key + ":s", when=acc["last"], marking=acc["marking"])
            elif kind == "iban":
                _attr(obj, "iban", value, key=key + ":a", when=acc["last"], marking=acc["marking"])
            else:  # merchant_account: processor scope / account
                scope_name, _, account = value.partition("/")
                _attr(obj, "account", account, key=key + ":a", when=acc["last"], marking=acc["marking"])
                _attr(obj, "institution-name", scope_name, key=key + ":i", when=acc["last"], marking=acc["marking"])
                _attr(obj, "comments", "merchant account (payment processor / account)", key=key + ":c",
                      when=acc["last"], marking=acc["marking"])  # fmt: skip
            ev.event.add_object(obj)
        ev.touch(acc["last"])
    return [events[k].finish() for k in sorted(events)]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def event_json(event: MISPEvent) -> dict[str, Any]:
    """The event as a feed serves it (``{"Event": …}``), without the feed's bookkeeping keys."""
    feed: dict[str, Any] = event.to_feed(with_meta=True)
    feed["Event"].pop("_manifest", None)
    feed["Event"].pop("_hashes", None)
    return feed


def write_feed(events: list[MISPEvent], directory: Path) -> int:
    """A MISP feed: ``manifest.json``, ``hashes.csv``, one ``<uuid>.json`` per event."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    hashes: list[str] = []
    for event in events:
        feed = event.to_feed(with_meta=True)
        manifest.update(feed["Event"].pop("_manifest"))
        hashes += [f"{h},{event.uuid}" for h in feed["Event"].pop("_hashes")]
        (directory / f"{event.uuid}.json").write_text(_dumps(feed), encoding="utf-8")
    (directory / "manifest.json").write_text(_dumps(manifest), encoding="utf-8")
    (directory / "hashes.csv").write_text("".join(f"{h}\n" for h in sorted(hashes)), encoding="utf-8")
    return len(events)
