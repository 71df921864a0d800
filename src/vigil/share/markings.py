"""TLP 2.0 markings: the five levels, their order, and the STIX marking definitions.

A record is shared under a marking only when its own marking is no stricter than it:
``CLEAR < GREEN < AMBER < AMBER+STRICT < RED``. Evidence inherits its marking from its
source (``vigil share mark-source``); a source nobody marked is ``TLP:AMBER``
(:data:`DEFAULT_MARKING`). A derived record (a brand, a distributor, an identifier on a
brand) carries the strictest marking among its evidence, so an export never holds a record,
a link or a count that rests on evidence stricter than the export.
"""

from __future__ import annotations

from typing import Any, Final

from vigil.errors import ConfigError

#: Levels in order, least strict first.
LEVELS: Final = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
RANK: Final = {name: i for i, name in enumerate(LEVELS)}
#: The marking of evidence whose source nobody marked.
DEFAULT_MARKING: Final = "AMBER"

#: The OASIS TLP 2.0 extension and its published marking definitions (cti-stix-common-objects).
TLP2_EXTENSION: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED: Final = "2022-10-01T00:00:00.000Z"
STIX_IDS: Final = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: STIX 2.1's predefined TLP 1.0 definitions, read on import (WHITE is CLEAR).
STIX_TLP1_IDS: Final = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
BY_STIX_ID: Final = {**{v: k for k, v in STIX_IDS.items()}, **STIX_TLP1_IDS}


def parse_marking(text: str) -> str:
    """``TLP:AMBER+STRICT``, ``amber+strict``, ``white`` … → the level's name; ConfigError otherwise."""
    name = text.strip().upper().removeprefix("TLP:").removeprefix("TLP").strip(": ")
    name = {"WHITE": "CLEAR", "AMBER-STRICT": "AMBER+STRICT", "AMBER_STRICT": "AMBER+STRICT"}.get(name, name)
    if name not in RANK:
        raise ConfigError(f"{text!r} is not a TLP marking (say CLEAR, GREEN, AMBER, AMBER+STRICT or RED)")
    return name


def read_marking(text: object) -> str | None:
    """Like :func:`parse_marking` for untrusted input: ``None`` instead of an error."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        return parse_marking(text)
    except ConfigError:
        return None


def allows(export: str, record: str) -> bool:
    """May a record marked ``record`` go into something shared under ``export``?"""
    return RANK[record] <= RANK[export]


def stricter(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b


def stix_marking(level: str) -> dict[str, Any]:
    """The published TLP 2.0 marking-definition object for ``level``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": STIX_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level}",
        "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.lower()}},
    }


def rank_sql(column: str) -> str:
    """SQL: the rank of a marking column (NULL → the default's rank)."""
    cases = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in RANK.items())
    return f"(CASE coalesce({column}, '{DEFAULT_MARKING}') {cases} END)"


def level_sql(rank_expr: str) -> str:
    """SQL: a rank back to the marking's name."""
    cases = " ".join(f"WHEN {rank} THEN '{name}'" for name, rank in RANK.items())
    return f"(CASE {rank_expr} {cases} END)"
