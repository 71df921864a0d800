"""TLP 2.0 markings and need-to-know: a recipient only ever receives what it may see.

A record carries its owning organisation and a marking. A recipient (a hosting provider,
a registrar, a payment provider's compliance team, a partner hotline) has an organisation
and a clearance, the strictest marking it has agreed to handle. It may receive a record when

* the record's marking is no stricter than its clearance, and
* ``TLP:RED`` never leaves the owner; ``TLP:AMBER+STRICT`` goes only to the owner's own
  organisation; another organisation's ``TLP:AMBER`` record is not ours to pass on — only
  records we own (or the recipient owns) go out at ``AMBER``, and anyone's ``CLEAR`` and
  ``GREEN`` records may.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.errors import ConfigError

MARKINGS: tuple[str, ...] = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
_RANK = {name: rank for rank, name in enumerate(MARKINGS)}
_ALIASES = {"TLP:WHITE": "TLP:CLEAR"}


def clean_marking(raw: str) -> str | None:
    """``"amber"``, ``"TLP:AMBER"`` → ``"TLP:AMBER"``; ``None`` when it is not a TLP marking."""
    value = raw.strip().upper().replace(" ", "")
    if value and not value.startswith("TLP:"):
        value = "TLP:" + value
    value = _ALIASES.get(value, value)
    return value if value in _RANK else None


def marking(raw: str) -> str:
    """Like :func:`clean_marking`, raising a :class:`ConfigError` for an unknown marking."""
    got = clean_marking(raw)
    if got is None:
        raise ConfigError(f"{raw!r} is not a TLP marking (one of {', '.join(MARKINGS)})")
    return got


def rank(value: str) -> int:
    return _RANK[value]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who receives: its organisation and clearance, and who is sending (our organisation)."""

    org: str
    clearance: str = "TLP:AMBER"
    sender_org: str = "hotline"


def may_see(audience: Audience, *, owner_org: str, record_marking: str) -> bool:
    """True when ``audience`` may receive a record owned by ``owner_org`` marked ``record_marking``."""
    level = _RANK.get(record_marking)
    if level is None or level > _RANK[audience.clearance]:
        return False  # unknown markings are treated as the strictest
    if record_marking == "TLP:RED":
        return False
    if record_marking == "TLP:AMBER+STRICT":
        return owner_org == audience.org
    if record_marking == "TLP:AMBER":
        return owner_org in (audience.sender_org, audience.org)
    return True


def strictest(values: list[str]) -> str:
    """The strictest of several markings (what a bundle of records is shared under)."""
    return max(values, key=lambda v: _RANK[v]) if values else "TLP:CLEAR"

