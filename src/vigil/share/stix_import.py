"""Reading a partner's STIX 2.1 bundle: objects checked one by one, markings enforced.

Each object must be a JSON object with a ``type`` and an ``id`` of that type, hold no
over-long string, parse with the ``stix2`` library (wrong property types are refused),
carry only marking definitions that resolve (the TLP 1.0 and 2.0 definitions, or ones
defined in the bundle), and reference only objects the bundle holds and that were
themselves accepted. Its TLP level is the strictest among its markings (the import's
default when it has none); above the importer's clearance it is refused and counted.

Indicators whose pattern is one comparison on ``url:value`` or ``domain-name:value``
become reports (time: Vigil's report extension, else ``valid_from``); everything else
accepted is kept as it came.
"""

from __future__ import annotations

import re
from typing import Any, Final

import stix2
from stix2.exceptions import STIXError

from vigil.errors import InvalidRecord
from vigil.model import QuarantineReason
from vigil.share.guard import check_bounds
from vigil.share.imports import Accepted, Parsed, reject
from vigil.share.markings import BY_STIX_ID, RANK, read_marking, stricter

_ID: Final = re.compile(r"([a-z0-9][a-z0-9-]{0,250})--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PATTERN: Final = re.compile(r"\[\s*(url|domain-name):value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]")
_SKIP_REFS: Final = {"object_marking_refs"}


def _refs(obj: dict[str, Any]) -> list[str]:
    """Every ``*_ref``/``*_refs`` value (top level and inside granular markings)."""
    out: list[str] = []
    for key, value in obj.items():
        if key in _SKIP_REFS:
            continue
        if key.endswith("_ref") and isinstance(value, str):
            out.append(value)
        elif key.endswith("_refs") and isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
_TIMES: Final = ("created", "modified", "valid_from", "valid_until", "first_seen", "last_seen", "start_time", "stop_time")
_TEXTS: Final = ("name", "description", "relationship_type", "pattern_type", "value")
_SIMPLE_SCOS: Final = {"url", "domain-name", "ipv4-addr", "ipv6-addr", "email-addr", "merchant-account",
                       "cryptocurrency-wallet", "phone-number", "bank-account", "key-identifier"}  # fmt: skip


def _fail(obj: dict[str, Any], what: str) -> InvalidRecord:
    return InvalidRecord(f"{obj['type']} {obj['id']}: {what}", code=QuarantineReason.STIX_SCHEMA)


def _check_types(obj: dict[str, Any]) -> None:
    """Property types checked: by hand for the objects Vigil reads most (fast), by stix2 for the rest.

    The ``stix2`` library takes 1-5 ms an object (an indicator's pattern goes through a full
    parser); the objects of a bulk exchange (URLs, hosts, IPs, relationships, indicators of
    one URL) are checked here against the same rules in microseconds.
    """
    kind = obj["type"]
    simple = kind in _SIMPLE_SCOS or kind == "relationship" or kind == "autonomous-system" or (
        kind == "indicator" and isinstance(obj.get("pattern"), str) and _PATTERN.fullmatch(obj["pattern"].strip()))
    if not simple:
        try:
            stix2.parse(obj, allow_custom=True, version="2.1")
        except (STIXError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidRecord(f"{kind} {obj['id']}: {str(exc)[:300]}", code=QuarantineReason.STIX_SCHEMA) from None
        return
    if obj.get("spec_version", "2.1") != "2.1":
        raise _fail(obj, f"spec_version {str(obj.get('spec_version'))[:20]!r} is not 2.1")
    for key in _TIMES:
        if key in obj and not (isinstance(obj[key], str) and _TIME.fullmatch(obj[key])):
            raise _fail(obj, f"{key} is not a STIX timestamp")
    for key in _TEXTS:
        if key in obj and not isinstance(obj[key], str):
            raise _fail(obj, f"{key} is not a string")
    for key, value in obj.items():
        if key.endswith("_refs") and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _fail(obj, f"{key} is not a list of identifiers")
        if key.endswith("_ref") and not isinstance(value, str):
            raise _fail(obj, f"{key} is not an identifier")
        if key.endswith("_types") and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _fail(obj, f"{key} is not a list of strings")
    if kind in _SIMPLE_SCOS and "value" not in obj:
        raise _fail(obj, "no value")
    if kind == "autonomous-system" and not (isinstance(obj.get("number"), int) and not isinstance(obj["number"], bool)):
        raise _fail(obj, "number is not an integer")
    if kind == "relationship":
        for key in ("relationship_type", "source_ref", "target_ref"):
            if key not in obj:
                raise _fail(obj, f"no {key}")
    if kind == "indicator":
        for key in ("created", "modified", "valid_from"):
            if key not in obj:
                raise _fail(obj, f"no {key}")
    for key in ("extensions",):
        if key in obj and not isinstance(obj[key], dict):
            raise _fail(obj, f"{key} is not an object")


def _marking_of(definition: dict[str, Any]) -> str | None:
    """The TLP level a marking-definition object states, if it states one."""
    if definition.get("id") in BY_STIX_ID:
        return BY_STIX_ID[definition["id"]]
    if definition.get("definition_type") == "tlp" and isinstance(definition.get("definition"), dict):
        return read_marking(definition["definition"].get("tlp"))
    for ext in (definition.get("extensions") or {}).values():
        if isinstance(ext, dict) and "tlp_2_0" in ext:
            return read_marking(ext["tlp_2_0"])
    return None


def read_stix(data: Any, default_marking: str, clearance: str) -> Parsed:
    """Check a parsed bundle (or one bare object) object by object."""
    parsed = Parsed()
    if isinstance(data, dict) and data.get("type") == "bundle":
        objects = data.get("objects", [])
        if not isinstance(objects, list):
            raise InvalidRecord("the bundle's 'objects' is not a list", code=QuarantineReason.NOT_STIX)
    elif isinstance(data, dict) and isinstance(data.get("type"), str):
        objects = [data]
    else:
        raise InvalidRecord("not a STIX bundle or object (no 'type')", code=QuarantineReason.NOT_STIX)
    candidates: dict[str, tuple[int, dict[str, Any]]] = {}
    markings: dict[str, str | None] = dict(BY_STIX_ID)  # marking id -> TLP level (None: not a TLP marking)
    for i, obj in enumerate(objects, start=1):
        try:
            if not isinstance(obj, dict):
                raise InvalidRecord(f"object {i} is a {type(obj).__name__}, not a JSON object", code=QuarantineReason.BAD_OBJECT)
            kind, ident = obj.get("type"), obj.get("id")
            if not isinstance(kind, str) or not isinstance(ident, str):
                raise InvalidRecord("object without a string 'type' and 'id'", code=QuarantineReason.BAD_OBJECT)
            check_bounds(obj)
            found = _ID.fullmatch(ident)
            if not found or found.group(1) != kind:
                raise InvalidRecord(f"id {ident[:80]!r} is not a {kind[:40]} identifier", code=QuarantineReason.BAD_OBJECT)
            if ident in candidates:
                raise InvalidRecord(f"{ident} appears twice in the bundle", code=QuarantineReason.DUPLICATE_OBJECT)
            _check_types(obj)
            if kind == "marking-definition":
                markings[ident] = _marking_of(obj)
            candidates[ident] = (i, obj)
        except InvalidRecord as exc:
            reject(parsed, i, exc, obj)
    accepted: dict[str, tuple[int, dict[str, Any], str]] = {}
    for ident, (i, obj) in candidates.items():
        try:
            level = None
            refs = list(obj.get("object_marking_refs") or [])
            refs += [g.get("marking_ref") for g in obj.get("granular_markings") or [] if isinstance(g, dict)]
            for ref in refs:
                if ref not in markings:
                    raise InvalidRecord(f"{ident}: marking {str(ref)[:80]} is not defined", code=QuarantineReason.UNKNOWN_MARKING)
                tlp = markings[ref]
                if tlp is not None:
                    level = tlp if level is None else stricter(level, tlp)
            if obj["type"] == "marking-definition":
                level = level or "CLEAR"
            level = level or default_marking
            if RANK[level] > RANK[clearance]:
                parsed.refused += 1
                reject(parsed, i, InvalidRecord(f"{obj['type']} marked TLP:{level}, above this import's clearance "
                                                f"TLP:{clearance}", code=QuarantineReason.MARKING_REFUSED), obj, keep_excerpt=False)  # fmt: skip
                continue
            accepted[ident] = (i, obj, level)
        except InvalidRecord as exc:
            reject(parsed, i, exc, obj)
    # references must resolve to accepted objects (or known marking definitions); repeat until stable
    changed = True
    while changed:
        changed = False
        for ident, (i, obj, level) in list(accepted.items()):
            missing = [r for r in _refs(obj) if r not in accepted and r not in BY_STIX_ID]
            if missing:
                del accepted[ident]
                reject(parsed, i, InvalidRecord(f"{ident}: reference to {missing[0][:80]}, which is not in the bundle "
                                                "or was not accepted", code=QuarantineReason.DANGLING_REFERENCE), obj)  # fmt: skip
                changed = True
    names = {ident: obj.get("name") for ident, (_, obj, _) in accepted.items() if obj["type"] == "identity"}
    for ident, (i, obj, level) in sorted(accepted.items(), key=lambda item: item[1][0]):
        parsed.accepted.append(Accepted(ident, obj["type"], level, obj, i, _report(obj, names)))
    return parsed


def _report(obj: dict[str, Any], names: dict[str, Any]) -> dict[str, Any] | None:
    """The report fields an indicator of one URL or domain makes (None for anything else)."""
    if obj.get("type") != "indicator" or obj.get("pattern_type", "stix") != "stix":
        return None
    found = _PATTERN.fullmatch(str(obj.get("pattern", "")).strip())
    if not found:
        return None
    value = re.sub(r"\\(.)", r"\1", found.group(2))
    url = value if found.group(1) == "url" else f"http://{value}/"
    facts: dict[str, Any] = {}
    for ext in (obj.get("extensions") or {}).values():
        if isinstance(ext, dict) and "first_reported" in ext:
            facts = ext
    creator = obj.get("created_by_ref")
    who = names.get(creator) if isinstance(creator, str) else None
    source = f"stix:{who}" if isinstance(who, str) and who else f"stix:{creator}" if creator else "stix"
    fields: dict[str, Any] = {
        "report_id": obj["id"], "source": source[:200], "url": url,
        "reported_at": facts.get("first_reported") or obj.get("valid_from") or obj.get("created"),
        "notes": f"STIX {obj['id']}" + (f"; {facts['reports']} reports to {facts.get('last_reported')}"
                                        if "reports" in facts else ""),
    }  # fmt: skip
    if isinstance(facts.get("commercial"), bool):
        fields["commercial"] = facts["commercial"]
    if isinstance(facts.get("site_type"), str):
        fields["site_type"] = facts["site_type"]
    if isinstance(facts.get("payment_types"), list):
        fields["payment_types"] = ";".join(str(p) for p in facts["payment_types"])
    return fields
