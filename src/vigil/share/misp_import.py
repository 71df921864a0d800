"""Reading a partner's MISP event (the JSON a MISP instance exports or a feed serves).

The event's ``Tag`` list gives its TLP level (``tlp:green``, ``tlp:amber+strict``, …; the
import's default when untagged). An attribute's own TLP tag is its level (the producer
classified it; Vigil's own exports tag the event with the export's ceiling and each
attribute with its record's level); an untagged attribute takes its object's, else the
event's. Each attribute (top-level or inside an object) is one record: checked for
shape and bounds, refused above the clearance, kept whole in ``shared_objects``, and when
its type is ``url``, ``link``, ``domain`` or ``hostname`` it becomes a report (time: its
``first_seen``, else its ``timestamp``, else the event's ``date``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from vigil.errors import InvalidRecord
from vigil.model import QuarantineReason
from vigil.share.guard import check_bounds
from vigil.share.imports import Accepted, Parsed, reject
from vigil.share.markings import RANK, read_marking, stricter

_URL_TYPES: Final = {"url", "link"}
_HOST_TYPES: Final = {"domain", "hostname"}


def _tlp(tags: Any) -> str | None:
    """The strictest TLP tag in a MISP ``Tag`` list; InvalidRecord for an unknown ``tlp:`` tag."""
    if tags is None:
        return None
    if not isinstance(tags, list):
        raise InvalidRecord("'Tag' is not a list", code=QuarantineReason.MISP_SCHEMA)
    level = None
    for tag in tags:
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str):
            raise InvalidRecord("a tag without a string 'name'", code=QuarantineReason.MISP_SCHEMA)
        if name.lower().startswith("tlp:"):
            found = read_marking(name)
            if found is None:
                raise InvalidRecord(f"marking tag {name[:40]!r} is not a TLP level", code=QuarantineReason.UNKNOWN_MARKING)
            level = found if level is None else stricter(level, found)
    return level


def _when(value: Any) -> str | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**33:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None).isoformat()
    return value if isinstance(value, str) else None


def read_misp(data: Any, default_marking: str, clearance: str) -> Parsed:
    """Check one parsed MISP event, attribute by attribute."""
    event = data.get("Event", data) if isinstance(data, dict) else None
    if not isinstance(event, dict) or not isinstance(event.get("Attribute", []), list) \
            or not isinstance(event.get("Object", []), list) or "info" not in event:  # fmt: skip
        raise InvalidRecord("not a MISP event (no 'Event' with 'info', 'Attribute' and 'Object' lists)", code=QuarantineReason.NOT_MISP)
    parsed = Parsed()
    event_level = _tlp(event.get("Tag")) or default_marking
    uuid = str(event.get("uuid", ""))[:64]
    orgc: dict[str, Any] = event["Orgc"] if isinstance(event.get("Orgc"), dict) else {}
    source = f"misp:{str(orgc.get('name') or uuid or 'event')[:100]}"
    items: list[tuple[Any, str | None, str | None]] = [(a, None, None) for a in event.get("Attribute", [])]
    for obj in event.get("Object", []):
        if not isinstance(obj, dict) or not isinstance(obj.get("Attribute", []), list):
            items.append((obj, None, None))
            continue
        try:
            obj_level = _tlp(obj.get("Tag"))
        except InvalidRecord:
            obj_level = "RED"  # an unknown marking on the object: its attributes are refused below
        items += [(a, str(obj.get("name", ""))[:64], obj_level) for a in obj["Attribute"]]
    for i, (attr, object_name, object_level) in enumerate(items, start=1):
        try:
            if not isinstance(attr, dict):
                raise InvalidRecord(f"attribute {i} is not a JSON object", code=QuarantineReason.MISP_SCHEMA)
            check_bounds(attr)
            kind, value = attr.get("type"), attr.get("value")
            if not isinstance(kind, str) or not isinstance(value, str):
                raise InvalidRecord("attribute without a string 'type' and 'value'", code=QuarantineReason.MISP_SCHEMA)
            level = _tlp(attr.get("Tag")) or object_level or event_level
            if RANK[level] > RANK[clearance]:
                parsed.refused += 1
                reject(parsed, i, InvalidRecord(f"MISP attribute marked TLP:{level}, above this import's clearance "
                                                f"TLP:{clearance}", code=QuarantineReason.MARKING_REFUSED), attr, keep_excerpt=False)  # fmt: skip
                continue
            ident = str(attr.get("uuid") or f"{uuid}:{i}")[:64]
            report = None
            if kind in _URL_TYPES | _HOST_TYPES:
                report = {"report_id": ident, "source": source,
                          "url": value if kind in _URL_TYPES else f"http://{value}/",
                          "reported_at": _when(attr.get("first_seen")) or _when(attr.get("timestamp")) or event.get("date"),
                          "notes": f"MISP event {uuid}" + (f", object {object_name}" if object_name else "")}  # fmt: skip
            body = {"event": uuid, "object": object_name, **attr}
            parsed.accepted.append(Accepted(ident, f"misp-attribute:{kind[:40]}", level, body, i, report))
        except InvalidRecord as exc:
            reject(parsed, i, exc, attr)
    return parsed
