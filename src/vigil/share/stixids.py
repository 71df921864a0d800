"""Deterministic STIX 2.1 identifiers and timestamps: the same Vigil record, the same STIX ID.

SCOs (url, domain-name, ipv4-addr, …) get the ID the STIX 2.1 specification prescribes
(UUIDv5 in its namespace over the canonical JSON of the ID-contributing properties), so a
partner's tools merge them with their own. SDOs and relationships get UUIDv5 in Vigil's
namespace over Vigil's own ID (``brand:B-…``, ``distributor:D-…``): a re-export updates
the object a partner already holds instead of adding a copy.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any, Final

#: The STIX 2.1 namespace for SCO identifiers (spec §2.9).
SCO_NAMESPACE: Final = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
#: Vigil's namespace for its SDOs, relationships and bundles.
VIGIL_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://vigil.invalid/stix")
#: ``created`` of Vigil's fixed objects (its identity, its extension definitions).
FIXED_TIME: Final = "2026-01-01T00:00:00.000Z"


def canonical_json(value: Any) -> str:
    """RFC 8785-style canonical JSON for the simple values IDs are made from."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def uuid5(namespace: bytes, name: str) -> str:
    """``str(uuid.uuid5(ns, name))`` without the UUID object (the export makes millions of these)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_SCO_NS: Final = SCO_NAMESPACE.bytes
_VIGIL_NS: Final = VIGIL_NAMESPACE.bytes


def sco_id(kind: str, contributing: dict[str, Any]) -> str:
    return f"{kind}--{uuid5(_SCO_NS, canonical_json(contributing))}"


def value_id(kind: str, value: str) -> str:
    """``sco_id(kind, {"value": value})``, the common case, without building the dict."""
    return f"{kind}--{uuid5(_SCO_NS, canonical_json({'value': value}))}"


def vigil_id(kind: str, natural_key: str) -> str:
    return f"{kind}--{uuid5(_VIGIL_NS, natural_key)}"


def timestamp(value: datetime | str) -> str:
    """A STIX timestamp with milliseconds, ``Z``; naive datetimes are UTC (the store's convention)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def pattern_string(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
