"""Who should act on a URL, a merchant account or a wallet, and how to reach them.

For a case the escalation ladder has five rungs — the hosting provider (abuse contact of the
IP's network, else of its ASN), the upstream network (the ASN's transit, from the user file),
the registrar (the abuse entity nested in the domain's ``registrar`` entity), the registry of
the suffix, and the payment provider (from the processors file). A wallet's exchange or
service comes from the user file only.

The user's contacts file (TOML) wins over RDAP; every section is optional::

    [asn."64500"]               # hosting network, by ASN
    name = "Example Hosting"
    address = "abuse@hosting.example"
    upstream = 64501            # its transit network
    [ip."192.0.2.0/24"]         # a network, by CIDR (wins over asn)
    [registrar."Example Registrar"]
    [domain."shop.test"]        # a registrar contact for one domain
    [registry."test"]           # the registry of a suffix
    [processor."example-card-gateway"]   # by the processor's name or slug
    [wallet."bc1q…"]            # a wallet's service
    service = "Example Exchange"

A mailbox that is a placeholder ("REDACTED", empty) is no contact; an address a bounce has
marked unreliable is kept but flagged, so escalation moves past it.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vigil.attribute.processors import Processors, slug
from vigil.disrupt.cases import Case
from vigil.disrupt.rdap import (
    RdapSource,
    abuse_contact,
    clean_mailbox,
    is_placeholder,
    network_name,
    registrar,
)
from vigil.errors import ConfigError

LADDER: tuple[str, ...] = ("host", "upstream", "registrar", "registry", "processor")
_SECTIONS = ("asn", "ip", "registrar", "domain", "registry", "processor", "wallet")
_KEYS = {"name", "address", "upstream", "service"}


@dataclass(frozen=True, slots=True)
class Recipient:
    """A party that can act: its role on the ladder, name, mailbox (``None``: no contact), source."""

    role: str
    name: str
    address: str | None
    source: str
    reliable: bool = True

    @property
    def key(self) -> str:
        return f"{self.role}:{self.name}"

    @property
    def reachable(self) -> bool:
        return self.address is not None and self.reliable


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str | None
    address: str | None
    upstream: int | None
    service: str | None


class Contacts:
    """The user's override file(s), read once."""

    def __init__(self, sections: dict[str, dict[str, _Entry]] | None = None) -> None:
        self.sections = sections or {name: {} for name in _SECTIONS}
        nets = []
        for cidr, entry in self.sections["ip"].items():
            nets.append((ipaddress.ip_network(cidr, strict=False), entry))
        self._nets = sorted(nets, key=lambda n: -n[0].prefixlen)

    @classmethod
    def load(cls, paths: list[Path]) -> Contacts:
        sections: dict[str, dict[str, _Entry]] = {name: {} for name in _SECTIONS}
        for path in paths:
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{path}: cannot read the contacts file: {exc}") from None
            for section, table in data.items():
                if section not in _SECTIONS or not isinstance(table, dict):
                    raise ConfigError(f"{path}: unknown section [{section}] (one of {', '.join(_SECTIONS)})")
                for key, entry in table.items():
                    sections[section].setdefault(_norm(section, key, path), _entry(entry, f"{path}: [{section}.{key!r}]"))
        return cls(sections)

    def get(self, section: str, key: str | None) -> _Entry | None:
        if key is None:
            return None
        return self.sections[section].get(_norm(section, key, None))

    def network(self, ip: str | None) -> _Entry | None:
        if not ip:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        return next((entry for net, entry in self._nets if address in net), None)


def _norm(section: str, key: str, path: Path | None) -> str:
    key = str(key).strip()
    if section == "asn":
        digits = key.upper().removeprefix("AS")
        if not digits.isdigit():
            raise ConfigError(f"{path}: [asn.{key!r}] is not an AS number")
        return digits
    if section == "ip":
        try:
            return str(ipaddress.ip_network(key, strict=False))
        except ValueError:
            raise ConfigError(f"{path}: [ip.{key!r}] is not an IP network") from None
    if section == "processor":
        return slug(key)
    if section == "wallet":
        return key
    return key.lower().strip(".")


def _entry(raw: Any, where: str) -> _Entry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(_KEYS))})")
    upstream = raw.get("upstream")
    if upstream is not None and not isinstance(upstream, int):
        raise ConfigError(f"{where}: upstream must be an AS number")
    address = raw.get("address")
    return _Entry(
        name=str(raw["name"]) if raw.get("name") else None,
        address=clean_mailbox(str(address)) if address is not None else None,
        upstream=upstream,
        service=str(raw["service"]) if raw.get("service") else None,
    )


class Resolver:
    """Finds each rung's recipient for a case: the user's file first, then RDAP (if any)."""

    def __init__(self, *, contacts: Contacts | None = None, rdap: RdapSource | None = None,
                 processors: Processors | None = None, unreliable: frozenset[str] = frozenset()) -> None:  # fmt: skip
        self.contacts = contacts or Contacts()
        self.rdap = rdap
        self.processors = processors
        self.unreliable = unreliable
        self._seen: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._ladders: dict[tuple[object, ...], dict[str, Recipient | None]] = {}

    def _rdap(self, kind: str, key: str | None) -> dict[str, Any] | None:
        if self.rdap is None or not key:
            return None
        if (kind, key) not in self._seen:
            self._seen[(kind, key)] = self.rdap.lookup(kind, key)
        return self._seen[(kind, key)]

    def _make(self, role: str, name: str, address: str | None, source: str) -> Recipient:
        return Recipient(role, name, address, source, reliable=address not in self.unreliable)

    def ladder(self, case: Case) -> dict[str, Recipient | None]:
        """Every rung's recipient for ``case`` (``None``: nobody known on that rung); memoised by what it depends on."""
        key = (case.ip, case.asn, case.hosting_org, case.upstream_asn, case.domain, case.registrar, case.suffix,
               case.registry, case.processor)  # fmt: skip
        got = self._ladders.get(key)
        if got is None:
            got = self._ladders[key] = self._ladder(case)
        return got

    def _ladder(self, case: Case) -> dict[str, Recipient | None]:
        return {
            "host": self.host(case), "upstream": self.upstream(case), "registrar": self.registrar(case),
            "registry": self.registry(case), "processor": self.processor(case),
        }  # fmt: skip

    def host(self, case: Case) -> Recipient | None:
        entry = self.contacts.network(case.ip) or self.contacts.get("asn", str(case.asn) if case.asn is not None else None)
        fallback = case.hosting_org or (f"AS{case.asn}" if case.asn is not None else None)
        if entry is not None and (entry.address or entry.name):
            return self._make("host", entry.name or fallback or "unknown host", entry.address, "contacts")
        for kind, key in (("ip", case.ip), ("autnum", str(case.asn) if case.asn is not None else None)):
            data = self._rdap(kind, key)
            if data is None:
                continue
            contact = abuse_contact(data)
            name = case.hosting_org or network_name(data) or fallback or "unknown host"
            if contact is not None and contact.address:
                return self._make("host", name, contact.address, f"rdap:{kind}")
        return self._make("host", fallback, None, "none") if fallback else None

    def upstream(self, case: Case) -> Recipient | None:
        own = self.contacts.get("asn", str(case.asn)) if case.asn is not None else None
        up = case.upstream_asn if case.upstream_asn is not None else (own.upstream if own else None)
        if up is None:
            return None
        entry = self.contacts.get("asn", str(up))
        if entry is not None and (entry.address or entry.name):
            return self._make("upstream", entry.name or f"AS{up}", entry.address, "contacts")
        data = self._rdap("autnum", str(up))
        contact = abuse_contact(data) if data else None
        name = (network_name(data) if data else None) or f"AS{up}"
        return self._make("upstream", name, contact.address if contact else None, "rdap:autnum" if contact else "none")

    def registrar(self, case: Case) -> Recipient | None:
        entry = self.contacts.get("domain", case.domain) or self.contacts.get("registrar", case.registrar)
        if entry is not None and (entry.address or entry.name):
            return self._make("registrar", entry.name or case.registrar or "unknown registrar", entry.address, "contacts")
        data = self._rdap("domain", case.domain)
        found = registrar(data) if data else None
        name = case.registrar or (found.name if found else None)
        if name is None:
            return None
        return self._make("registrar", name, found.address if found else None, "rdap:domain" if found and found.address else "none")

    def registry(self, case: Case) -> Recipient | None:
        suffix = case.suffix or (case.domain.partition(".")[2] if case.domain else None)
        if not suffix:
            return None
        entry = self.contacts.get("registry", suffix)
        name = case.registry or (entry.name if entry else None) or f"registry of .{suffix}"
        if entry is not None and (entry.address or entry.name):
            return self._make("registry", entry.name or name, entry.address, "contacts")
        data = self._rdap("domain", case.domain)
        # a registry's own abuse entity sits at the top of its domain answer, outside the registrar
        top = [e for e in data.get("entities", []) if isinstance(e, dict) and "abuse" in e.get("roles", [])] if data else []
        contact = abuse_contact({"entities": top}) if top else None
        return self._make("registry", name, contact.address if contact else None, "rdap:domain" if contact and contact.address else "none")

    def processor(self, case: Case) -> Recipient | None:
        name = case.processor
        if not name:
            return None
        if self.processors is not None:
            known = next((p for p in self.processors.processors if p.slug == slug(name) or p.name == name), None)
            name = known.name if known else name
        entry = self.contacts.get("processor", name)
        return self._make("processor", entry.name if entry and entry.name else name,
                          entry.address if entry else None, "contacts" if entry and entry.address else "none")  # fmt: skip

    def wallet(self, wallet: str) -> Recipient | None:
        entry = self.contacts.get("wallet", wallet)
        if entry is None or not (entry.service or entry.name):
            return None
        return self._make("wallet_service", entry.service or entry.name or "", entry.address, "contacts")


def mark_unreliable(recipient: Recipient) -> Recipient:
    return replace(recipient, reliable=False)


__all__ = ["LADDER", "Contacts", "Recipient", "Resolver", "is_placeholder"]
