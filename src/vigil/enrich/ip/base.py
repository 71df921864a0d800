"""What every IP provider shares: the answer, the protocol, address parsing and field cleaning.

The cleaners never raise: a value that means "unknown" in the supported formats, or that
is not valid, gives ``None``. :func:`address_key` raises
:class:`~vigil.errors.InvalidRecord` on a string that is not an IP address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from vigil.errors import InvalidRecord

__all__ = [
    "MAX_ASN",
    "NO_COUNTRY",
    "V4_SPACE",
    "BaseProvider",
    "IpInfo",
    "IpProvider",
    "address_key",
    "clean_asn",
    "clean_country",
    "clean_organisation",
    "parse_ip",
]

V4_SPACE = 1 << 32
MAX_ASN = (1 << 32) - 1
_COUNTRY = re.compile(r"[A-Za-z]{2}")
#: Country values that mean "unknown" in the supported formats.
NO_COUNTRY = {"", "NONE", "UNKNOWN", "ZZ", "--"}
#: Organisation values that mean "unknown".
_NO_ORGANISATION = {"", "none", "not routed", "<unknown>", "iana.org"}


@dataclass(frozen=True, slots=True)
class IpInfo:
    """What a provider knows about one address; ``None`` where it knows nothing."""

    ip: str
    country: str | None  # ISO 3166 alpha-2, upper-case
    asn: int | None
    organisation: str | None


class IpProvider(Protocol):
    """Looks addresses up in one IP database; ``name`` is recorded as provenance."""

    name: str

    def lookup(self, ip: str) -> IpInfo: ...

    def lookup_many(self, ips: Iterable[str]) -> list[IpInfo]: ...



# --- addresses ---------------------------------------------------------------


def parse_ip(text: str) -> tuple[int, int]:
    """``(version, integer)`` of an address, as written (fast path: ``inet_pton``)."""
    for family, version in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            return version, int.from_bytes(socket.inet_pton(family, text), "big")
        except (OSError, ValueError):  # ValueError: an embedded NUL
            pass
    try:  # rarer spellings inet_pton refuses, such as a zone id ("fe80::1%eth0")
        parsed = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"not an IP address: {text[:80]!r}") from None
    return parsed.version, int(parsed)


def address_key(ip: str) -> tuple[int, int]:
    """The lookup key of an address string; IPv4-mapped IPv6 becomes IPv4."""
    try:
        version, value = parse_ip(ip.strip())
    except ValueError as exc:
        raise InvalidRecord(str(exc)) from None
    if version == 6 and value >> 32 == 0xFFFF:
        return 4, value & 0xFFFFFFFF
    return version, value


def clean_country(raw: object) -> str | None:
    if not isinstance(raw, str) or raw.strip().upper() in NO_COUNTRY:
        return None
    value = raw.strip()
    return value.upper() if _COUNTRY.fullmatch(value) else None


def clean_asn(raw: object) -> int | None:
    if isinstance(raw, str):
        digits = raw.strip().upper().removeprefix("AS")
        raw = int(digits) if digits.isdigit() else None
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_ASN:
        return raw
    return None


def clean_organisation(raw: object) -> str | None:
    if not isinstance(raw, str) or raw.strip().lower() in _NO_ORGANISATION:
        return None
    return raw.strip()


class BaseProvider:
    """Shared ``lookup_many``: answers in input order, each distinct address once."""

    name: str

    def lookup(self, ip: str) -> IpInfo:
        raise NotImplementedError

    def lookup_many(self, ips: Iterable[str]) -> list[IpInfo]:
        seen: dict[str, IpInfo] = {}
        out: list[IpInfo] = []
        for ip in ips:
            info = seen.get(ip)
            if info is None:
                info = seen[ip] = self.lookup(ip)
            out.append(info)
        return out

