"""RDAP (RFC 9083) responses → abuse contacts, behind a plug-in with an offline cache.

Only three look-ups are needed: an IP network (``ip``), an autonomous system (``autnum``)
and a domain (``domain``). :func:`abuse_contact` reads the ``abuse`` role wherever RFC 9083
puts it — on the object itself, or nested in another entity (a domain's ``registrar`` entity
carries the registrar's abuse contact, a network's ``registrant`` often carries the host's).
Placeholders ("REDACTED", "Data Protected", empty mailboxes) are no contact.

Sources (:class:`RdapSource`): :class:`CacheRdap` reads recorded responses from a directory
(``domain/NAME.json``, ``ip/ADDRESS.json``, ``autnum/NUMBER.json``) and is what tests use;
:class:`HttpRdap` asks an RDAP service over the network and is used only when the user turns
the network on; :class:`CachingRdap` puts the one in front of the other, writing each answer
into the cache so the next run is offline.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vigil.errors import InputError

KINDS = ("domain", "ip", "autnum")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PLACEHOLDER = re.compile(
    r"redacted|withheld|not ?disclosed|data ?protected|privacy|gdpr|please query|n/?a$|none$|unknown$",
    re.IGNORECASE,
)


def is_placeholder(value: str | None) -> bool:
    """True for values that stand for no contact: empty, "REDACTED", "Data Protected", …"""
    text = (value or "").strip()
    return not text or bool(_PLACEHOLDER.search(text))


def clean_mailbox(value: str | None) -> str | None:
    """An e-mail address (``mailto:`` stripped, lower-cased), or ``None`` for a placeholder."""
    text = (value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if is_placeholder(text) or not _EMAIL.match(text):
        return None
    local, _, domain = text.partition("@")
    if is_placeholder(local):
        return None
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True, slots=True)
class RdapContact:
    """An entity's name and abuse mailbox as RDAP gave them (the mailbox may be missing)."""

    name: str | None
    address: str | None
    handle: str | None = None


def _vcard(entity: dict[str, Any], field: str) -> list[str]:
    card = entity.get("vcardArray")
    if not (isinstance(card, list) and len(card) == 2 and isinstance(card[1], list)):
        return []
    values: list[str] = []
    for prop in card[1]:
        if isinstance(prop, list) and len(prop) >= 4 and prop[0] == field:
            value = prop[3]
            values.extend(str(v) for v in value if v) if isinstance(value, list) else values.append(str(value))
    return values


def _entities(obj: dict[str, Any]) -> list[dict[str, Any]]:
    got = obj.get("entities")
    return [e for e in got if isinstance(e, dict)] if isinstance(got, list) else []


def _roles(entity: dict[str, Any]) -> set[str]:
    roles = entity.get("roles")
    return {str(r).lower() for r in roles} if isinstance(roles, list) else set()


def _contact(entity: dict[str, Any]) -> RdapContact:
    names = [n for n in _vcard(entity, "fn") + _vcard(entity, "org") if not is_placeholder(n)]
    mailboxes = [m for m in (clean_mailbox(v) for v in _vcard(entity, "email")) if m]
    handle = entity.get("handle")
    return RdapContact(names[0] if names else None, mailboxes[0] if mailboxes else None,
                       str(handle) if handle else None)  # fmt: skip


def entity_with_role(obj: dict[str, Any], role: str, *, depth: int = 3) -> dict[str, Any] | None:
    """The first entity with ``role`` on ``obj`` or nested under its entities (bounded depth)."""
    frontier = _entities(obj)
    for _ in range(depth):
        for entity in frontier:
            if role in _roles(entity):
                return entity
        frontier = [child for entity in frontier for child in _entities(entity)]
    return None


def abuse_contact(obj: dict[str, Any], *, within: str | None = None) -> RdapContact | None:
    """The ``abuse`` entity's name and mailbox; ``within="registrar"`` looks inside the registrar."""
    scope = entity_with_role(obj, within, depth=1) if within else obj
    if scope is None:
        return None
    entity = entity_with_role(scope, "abuse")
    return _contact(entity) if entity is not None else None


def registrar(obj: dict[str, Any]) -> RdapContact | None:
    """A domain's registrar: its name, and the abuse mailbox nested in the registrar entity."""
    entity = entity_with_role(obj, "registrar", depth=1)
    if entity is None:
        return None
    own = _contact(entity)
    abuse = abuse_contact(obj, within="registrar")
    return RdapContact(own.name, abuse.address if abuse else None, own.handle)


def network_name(obj: dict[str, Any]) -> str | None:
    """A network's holder: the registrant's name, else the object's ``name``."""
    entity = entity_with_role(obj, "registrant", depth=1)
    if entity is not None:
        got = _contact(entity).name
        if got:
            return got
    name = obj.get("name")
    return str(name) if isinstance(name, str) and not is_placeholder(name) else None


class RdapSource(Protocol):
    """A plug-in that answers RDAP look-ups; ``None`` when it has no answer."""

    def lookup(self, kind: str, key: str) -> dict[str, Any] | None: ...


def cache_name(kind: str, key: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown RDAP look-up {kind!r}")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", key.lower())
    return f"{kind}/{safe}.json"


class CacheRdap:
    """Recorded RDAP responses in a directory: offline, and what the tests use."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def lookup(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self.directory / cache_name(kind, key)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not an RDAP JSON response: {exc}") from None
        return data if isinstance(data, dict) else None

    def store(self, kind: str, key: str, data: dict[str, Any]) -> None:
        path = self.directory / cache_name(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, sort_keys=True, indent=1), encoding="utf-8")


class HttpRdap:  # pragma: no cover - network; never used in tests
    """Asks an RDAP service (``base``, e.g. a bootstrap redirector) over HTTPS. Off by default."""

    def __init__(self, base: str = "https://rdap.org", *, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    def lookup(self, kind: str, key: str) -> dict[str, Any] | None:
        import httpx

        if kind == "ip":
            ipaddress.ip_address(key)
        try:
            response = httpx.get(f"{self.base}/{kind}/{key}", timeout=self.timeout, follow_redirects=True,
                                 headers={"Accept": "application/rdap+json"})  # fmt: skip
        except httpx.HTTPError:
            return None
        if response.status_code != 200 or len(response.content) > 1_000_000:
            return None
        try:
            data = response.json()
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


class CachingRdap:
    """The cache first; on a miss, ``upstream`` (when given), whose answer is cached."""

    def __init__(self, cache: CacheRdap, upstream: RdapSource | None = None) -> None:
        self.cache = cache
        self.upstream = upstream

    def lookup(self, kind: str, key: str) -> dict[str, Any] | None:
        got = self.cache.lookup(kind, key)
        if got is not None or self.upstream is None:
            return got
        got = self.upstream.lookup(kind, key)
        if got is not None:
            self.cache.store(kind, key, got)
        return got
