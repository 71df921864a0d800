"""Partner feeds (``vigil feed NAME``) and partner outcomes.

Every feed is built for one audience (:class:`~vigil.disrupt.markings.Audience`): the cases it
may not see under their markings are removed **before** anything is grouped or counted, so
neither an item nor a count reveals a record it may not receive. Each file is JSON::

    {"feed": NAME, "version": "1", "marking": <the strictest marking of the items, at most
     the recipient's clearance>, "recipient": ORG, "as_of": ISO time, "items": [...]}

(``url-list`` is also written as CSV with the same fields per row). Items are sorted and keys
ordered, so the same store gives byte-identical files. Formats: docs/disruption.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from vigil.attribute.processors import slug as _slug
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Clock
from vigil.disrupt.markings import Audience, may_see, strictest
from vigil.errors import ConfigError, InvalidRecord
from vigil.model import QuarantineReason

slug = lru_cache(maxsize=4096)(_slug)  # processor names: few, asked once per case

FEEDS: tuple[str, ...] = ("url-list", "domain-alerts", "tld-hopping", "payment-alerts", "crypto-alerts")
VERSION = "1"
OUTCOMES: tuple[str, ...] = ("account closed", "not ours", "investigating", "removed")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


@dataclass(frozen=True, slots=True)
class FeedFile:
    feed: str
    recipient: str
    marking: str
    items: int
    path: Path
    sha256: str


def visible(cases: Iterable[Case], audience: Audience) -> list[Case]:
    """The cases ``audience`` may see (decided once per owner and marking, not once per case)."""
    allowed: dict[tuple[str, str], bool] = {}
    out = []
    for case in cases:
        key = (case.owner_org, case.marking)
        ok = allowed.get(key)
        if ok is None:
            ok = allowed[key] = may_see(audience, owner_org=case.owner_org, record_marking=case.marking)
        if ok:
            out.append(case)
    return out


def _live(record: Clock | None, as_of: datetime) -> bool:
    if record is None or record.assessed is None or record.assessed > as_of:
        return False
    return _removed(record, as_of) is None


def _removed(record: Clock | None, as_of: datetime) -> datetime | None:
    """The earliest of removed at, first offline and resolved, by ``as_of``."""
    if record is None:
        return None
    best = None
    for t in (record.removed_at, record.first_offline, record.resolved):
        if t is not None and t <= as_of and (best is None or t < best):
            best = t
    return best


def _last_checked(record: Clock) -> datetime | None:
    return record.last_check if record.last_check is not None else record.assessed


Built = tuple[list[dict[str, Any]], list[Case]]  # the items, and the cases they came from


def url_list(cases: list[Case], records: Mapping[str, Clock], as_of: datetime) -> Built:
    """Live confirmed URLs; a dedicated domain whose every listed URL is dedicated goes in whole."""
    live = [c for c in cases if _live(records.get(c.url), as_of)]
    by_domain: dict[str, list[Case]] = defaultdict(list)
    for case in live:
        by_domain[case.domain or case.host].append(case)
    items = []
    for domain, group in by_domain.items():
        times = [records[c.url] for c in group]
        if all(c.dedicated for c in group):
            seen = [t for r in times if (t := r.detected or r.assessed) is not None]
            checked = [t for r in times if (t := _last_checked(r)) is not None]
            items.append({"type": "domain", "value": domain, "first_seen": _iso(min(seen, default=None)),
                          "last_checked": _iso(max(checked, default=None)), "urls": len(group)})  # fmt: skip
        else:
            for case in group:
                record = records[case.url]
                items.append({"type": "url", "value": case.url, "first_seen": _iso(record.detected or record.assessed),
                              "last_checked": _iso(_last_checked(record)), "urls": 1})  # fmt: skip
    return sorted(items, key=lambda i: (i["type"], i["value"])), live


class Encoded(str):
    """An item already written as its JSON text (keys sorted, as :func:`dumps` writes them).

    Domain alerts are the bulk of the feeds (one item per domain, in its registrar's and its
    registry's file): writing their text directly, once per item and once per history entry,
    saves building a dict for each and encoding it again for each file."""

    __slots__ = ()


_string = json.encoder.encode_basestring  # what the encoder uses for a str with ensure_ascii=False (C)


def _text(value: Any) -> str:
    """``value`` as :data:`_ENCODER` writes it."""
    if type(value) is str:
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _ENCODER.encode(value)


def _list(values: Iterable[Any]) -> str:
    """A sorted JSON list of ``values``."""
    return f"[{', '.join(map(_text, sorted(values)))}]"


def _time(moment: datetime | None) -> str:
    return f'"{moment.isoformat(timespec="seconds")}Z"' if moment else "null"


def _encode(item: Any) -> str:
    if type(item) is Encoded:
        return item
    return _ENCODER.encode(item)


def domain_alerts(cases: list[Case], records: Mapping[str, Clock], as_of: datetime,
                  partner: Callable[[Case], bool], memo: dict[Any, Any] | None = None) -> Built:  # fmt: skip
    """For one registrar or registry: its domains with confirmed reports, and their history.

    Items are :class:`Encoded` JSON: ``{"dedicated", "domain", "history": [{"first_notice",
    "first_seen", "removed", "url"}…], "live_urls", "registrar", "suffix", "urls"}``.
    ``memo`` may be shared by the files of one ``as_of``: a URL is in both its registrar's and
    its registry's file, with the same history entry in each, and a domain whose URLs are the
    same in both files has the same item (made once)."""
    memo = {} if memo is None else memo
    by_domain: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        record = records.get(case.url)
        if case.domain and partner(case) and record is not None and record.assessed is not None and record.assessed <= as_of:
            by_domain[case.domain].append(case)
    items: list[Any] = []
    for domain, group in sorted(by_domain.items()):
        if len(group) > 1:
            group.sort(key=lambda c: c.url)
        key = (domain, *[c.url for c in group])
        shared = memo.get(key)
        if shared is not None:
            items.append(shared)
            continue
        history = []
        live = 0
        for case in group:
            got = memo.get(case.url)
            if got is None:
                record = records[case.url]
                entry = (f'{{"first_notice": {_time(record.first_notice)}, "first_seen": {_time(record.detected)}, '
                         f'"removed": {_time(_removed(record, as_of))}, "url": {_string(case.url)}}}')  # fmt: skip
                got = memo[case.url] = (entry, _live(record, as_of))
            history.append(got[0])
            live += got[1]
        first = group[0]
        dedicated = first.dedicated if len(group) == 1 else all(c.dedicated for c in group)
        item = memo[key] = Encoded(f'{{"dedicated": {_text(dedicated)}, "domain": {_string(domain)}, "history": [{", ".join(history)}], '
                                   f'"live_urls": {live}, "registrar": {_text(first.registrar)}, "suffix": {_text(first.suffix)}, '
                                   f'"urls": {len(group)}}}')  # fmt: skip
        items.append(item)
    return items, [c for group in by_domain.values() for c in group]


def tld_hopping(cases: list[Case], records: Mapping[str, Clock], as_of: datetime) -> Built:
    """Brands (and bare labels) seen under more than one suffix, with the hop history (items are
    :class:`Encoded` JSON)."""
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in cases:
        record = records.get(case.url)
        if not case.domain or not case.suffix or record is None or record.detected is None or record.detected > as_of:
            continue
        label = case.domain[: -len(case.suffix) - 1] if case.domain.endswith("." + case.suffix) else case.domain
        groups[("brand", case.brand) if case.brand else ("label", label)].append(case)
    items: list[Any] = []
    used: list[Case] = []
    for (kind, name), group in sorted(groups.items()):
        first: dict[str, tuple[datetime, Case]] = {}
        for case in group:
            at = records[case.url].detected
            assert at is not None and case.domain is not None
            if case.domain not in first or at < first[case.domain][0]:
                first[case.domain] = (at, case)
        suffixes = {c.suffix for _, c in first.values()}
        if len(suffixes) < 2:
            continue
        hops = [f'{{"domain": {_string(d)}, "first_seen": {_time(at)}, "registrar": {_text(c.registrar)}, "removed": '
                f'{_time(min((t for x in group if x.domain == d and (t := _removed(records[x.url], as_of))), default=None))}, '
                f'"suffix": {_text(c.suffix)}}}'
                for d, (at, c) in sorted(first.items(), key=lambda kv: (kv[1][0], kv[0]))]  # fmt: skip
        labels = {d[: -len(c.suffix or "") - 1] for d, (_, c) in first.items()}
        used.extend(group)
        items.append(Encoded(f'{{"brand": {_text(name if kind == "brand" else None)}, '
                             f'"distributor": {_text(next((c.distributor for c in group if c.distributor), None))}, '
                             f'"hops": [{", ".join(hops)}], "kind": {_string(kind)}, "labels": {_list(labels)}, '
                             f'"suffixes": {len(suffixes)}}}'))  # fmt: skip
    return items, used


def payment_alerts(cases: list[Case], records: Mapping[str, Clock], as_of: datetime,
                   processor: str) -> Built:  # fmt: skip
    """For one payment provider: merchant accounts with forms, e-mails, prices, brands and evidence
    (items are :class:`Encoded` JSON, written as domain alerts are)."""
    accounts: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        record = records.get(case.url)
        if case.processor and slug(case.processor) == slug(processor) and record and record.assessed and record.assessed <= as_of:
            accounts[case.merchant_account or ""].append(case)
    items: list[Any] = []
    for account, group in sorted(accounts.items()):
        evidence = []
        for c in sorted(group, key=lambda c: c.url):
            record = records[c.url]
            evidence.append(f'{{"capture": {_text(c.evidence_ref)}, "first_seen": {_time(record.detected)}, '
                            f'"live": {_text(_live(record, as_of))}, "url": {_string(c.url)}}}')  # fmt: skip
        items.append(Encoded(
            f'{{"brands": {_list({c.brand for c in group if c.brand})}, '
            f'"distributors": {_list({c.distributor for c in group if c.distributor})}, '
            f'"emails": {_list({e for c in group for e in c.emails})}, "evidence": [{", ".join(evidence)}], '
            f'"merchant_account": {_text(account or None)}, "payment_forms": {_list({f for c in group for f in c.payment_forms})}, '
            f'"prices": {_list({p for c in group for p in c.prices})}}}'))  # fmt: skip
    return items, [c for group in accounts.values() for c in group]


def crypto_alerts(cases: list[Case], records: Mapping[str, Clock], as_of: datetime,
                  services: Callable[[str], str | None] | None = None) -> Built:  # fmt: skip
    """Wallets with their currency, the amounts asked, the page reference and the distributor."""
    wallets: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        record = records.get(case.url)
        if record and record.assessed and record.assessed <= as_of:
            for wallet in case.wallets:
                wallets[wallet].append(case)
    items = []
    for wallet, group in sorted(wallets.items()):
        currency, _, address = wallet.partition(":") if ":" in wallet else ("unknown", "", wallet)
        items.append({
            "wallet": address, "currency": currency.upper(),
            "amounts": sorted({p for c in group for p in c.prices}),
            "pages": sorted({c.evidence_ref or c.url for c in group}),
            "urls": sorted(c.url for c in group),
            "distributors": sorted({c.distributor for c in group if c.distributor}),
            "brands": sorted({c.brand for c in group if c.brand}),
            "service": services(address) if services else None,
        })  # fmt: skip
    return items, [c for group in wallets.values() for c in group]


def partners(cases: list[Case], feed: str) -> list[str]:
    """The partners a partner-specific feed has files for."""
    if feed == "domain-alerts":
        return sorted({c.registrar for c in cases if c.registrar} | {c.registry for c in cases if c.registry})
    if feed == "payment-alerts":
        return sorted({c.processor for c in cases if c.processor})
    return []


def build(feed: str, cases: list[Case], records: Mapping[str, Clock], *, audience: Audience, as_of: datetime,
          partner: str | None = None, services: Callable[[str], str | None] | None = None,
          memo: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """One feed document for ``audience`` (and, for partner feeds, ``partner``); ``memo``, a dict
    the caller keeps for every document of the same feed, records and ``as_of``, saves recomputing
    what several partners' files share."""
    if feed not in FEEDS:
        raise ConfigError(f"unknown feed {feed!r} (one of {', '.join(FEEDS)})")
    allowed = visible(cases, audience)
    if feed == "url-list":
        items, used = url_list(allowed, records, as_of)
    elif feed == "domain-alerts":
        name = partner or audience.org
        items, used = domain_alerts(allowed, records, as_of, lambda c: name in (c.registrar, c.registry), memo)
    elif feed == "tld-hopping":
        items, used = tld_hopping(allowed, records, as_of)
    elif feed == "payment-alerts":
        items, used = payment_alerts(allowed, records, as_of, partner or audience.org)
    else:
        items, used = crypto_alerts(allowed, records, as_of, services)
    return {"feed": feed, "version": VERSION, "recipient": audience.org, "as_of": _iso(as_of),
            "marking": strictest(sorted({c.marking for c in used})),
            "items": items}  # fmt: skip


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # what json.dumps(..., sort_keys=True, ensure_ascii=False) makes per call


def dumps(document: dict[str, Any]) -> str:
    """The feed as JSON with one item per line (keys sorted, ``items`` last): readable, diffable,
    and written by the C encoder (``indent`` would switch :mod:`json` to its slow pure-Python path)."""
    head = _ENCODER.encode({k: v for k, v in document.items() if k != "items"})
    items = ",\n".join(map(_encode, document["items"]))
    return f"{head[:-1]}, \"items\": [\n{items}\n]}}\n" if items else f"{head[:-1]}, \"items\": []}}\n"


def write(document: dict[str, Any], directory: Path, *, name: str) -> tuple[Path, str]:
    """Write ``name.json`` (and ``name.csv`` for a url-list); returns the JSON path and its sha256."""
    directory.mkdir(parents=True, exist_ok=True)
    data = dumps(document).encode()
    path = directory / f"{name}.json"
    path.write_bytes(data)
    if document["feed"] == "url-list":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["version", "marking", "type", "value", "first_seen", "last_checked", "urls"])
        for item in document["items"]:
            writer.writerow([document["version"], document["marking"], item["type"], item["value"], item["first_seen"],
                             item["last_checked"], item["urls"]])  # fmt: skip
        (directory / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return path, hashlib.sha256(data).hexdigest()


def read_outcomes(path: Path, *, partner: str) -> tuple[list[tuple[str, str, str, datetime, str, int]], list[InvalidRecord]]:
    """A partner's outcomes: CSV ``item,outcome,at`` (item: URL, domain, merchant account or wallet)."""
    from vigil.disrupt.clocks import parse_time

    rows: list[tuple[str, str, str, datetime, str, int]] = []
    errors: list[InvalidRecord] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"item", "outcome", "at"} - set(reader.fieldnames or [])
        if missing:
            return [], [InvalidRecord(f"{path}: line 1: missing column(s) {', '.join(sorted(missing))}", code=QuarantineReason.BAD_HEADER)]
        for line, row in enumerate(reader, start=2):
            outcome = (row.get("outcome") or "").strip().lower().replace("_", " ")
            if outcome not in OUTCOMES:
                errors.append(InvalidRecord(f"{path}: line {line}: outcome {row.get('outcome')!r} is not one of "
                                            f"{', '.join(OUTCOMES)}", code=QuarantineReason.BAD_OUTCOME))  # fmt: skip
                continue
            try:
                at = parse_time(row.get("at") or "")
            except ValueError:
                errors.append(InvalidRecord(f"{path}: line {line}: at {row.get('at')!r} is not a time", code=QuarantineReason.BAD_TIME))
                continue
            item = (row.get("item") or "").strip()
            if not item:
                errors.append(InvalidRecord(f"{path}: line {line}: item is empty", code=QuarantineReason.BAD_ITEM))
                continue
            rows.append((partner, item, outcome, at, str(path), line))
    return rows, errors
