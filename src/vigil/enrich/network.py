"""IP address → hosting country, autonomous system (ASN) and organisation.

Three providers behind one small protocol, chosen by :func:`open_ip_provider`:

    GeoIP2FastProvider    default: the database bundled in the ``geoip2fast`` wheel
                          (works offline on a fresh machine; today's data, not history)
    MmdbProvider          a MaxMind-format ``.mmdb`` file the user supplies
    IptoasnTsvProvider    an iptoasn.com ``ip2asn-*.tsv[.gz]`` file the user supplies

Every provider answers :class:`IpInfo` for any valid address and never raises on
one: an address the data does not cover gives all fields ``None``. A string that
is not an IP address raises :class:`~vigil.errors.InvalidRecord`; a database file
that cannot be read raises :class:`~vigil.errors.ConfigError` naming the file
(and the line, for a TSV).

An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) is looked up as its IPv4 form
by every provider. Only the bundled provider maps reserved ranges to ``None``:
user files answer whatever they hold, so a synthetic table can give the
documentation ranges a country and an ASN.
"""

from __future__ import annotations

import bisect
import gzip
import importlib.metadata
import importlib.util
import ipaddress
import pickle
import re
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import maxminddb
from maxminddb.errors import InvalidDatabaseError

from vigil.errors import ConfigError, InvalidRecord

__all__ = [
    "GeoIP2FastProvider",
    "IpInfo",
    "IpProvider",
    "MmdbProvider",
    "open_ip_provider",
]

_V4_SPACE = 1 << 32
_MAX_ASN = (1 << 32) - 1
_COUNTRY = re.compile(r"[A-Za-z]{2}")
#: Country values that mean "unknown" in the supported formats.
_NO_COUNTRY = {"", "NONE", "UNKNOWN", "ZZ", "--"}
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


def open_ip_provider(path: Path | None) -> IpProvider:
    """The provider for ``--ip-db PATH``: by extension, or the bundled one for ``None``."""
    if path is None:
        return GeoIP2FastProvider()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"IP database {path}: no such file")
    name = path.name.lower()
    if name.endswith(".mmdb"):
        return MmdbProvider(path)
    if name.endswith((".tsv", ".tsv.gz", ".txt", ".txt.gz")):
        from vigil.enrich.iptoasn import IptoasnTsvProvider

        return IptoasnTsvProvider(path)
    raise ConfigError(
        f"IP database {path}: unknown format; expected .mmdb (MaxMind) "
        "or .tsv, .tsv.gz, .txt (iptoasn.com)"
    )


# --- addresses ---------------------------------------------------------------


def _parse_ip(text: str) -> tuple[int, int]:
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


def _address(ip: str) -> tuple[int, int]:
    """The lookup key of an address string; IPv4-mapped IPv6 becomes IPv4."""
    try:
        version, value = _parse_ip(ip.strip())
    except ValueError as exc:
        raise InvalidRecord(str(exc)) from None
    if version == 6 and value >> 32 == 0xFFFF:
        return 4, value & 0xFFFFFFFF
    return version, value


def _clean_country(raw: object) -> str | None:
    if not isinstance(raw, str) or raw.strip().upper() in _NO_COUNTRY:
        return None
    value = raw.strip()
    return value.upper() if _COUNTRY.fullmatch(value) else None


def _clean_asn(raw: object) -> int | None:
    if isinstance(raw, str):
        digits = raw.strip().upper().removeprefix("AS")
        raw = int(digits) if digits.isdigit() else None
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= _MAX_ASN:
        return raw
    return None


def _clean_organisation(raw: object) -> str | None:
    if not isinstance(raw, str) or raw.strip().lower() in _NO_ORGANISATION:
        return None
    return raw.strip()


class _Provider:
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


# --- bundled geoip2fast data -----------------------------------------------------

#: The richest file in the geoip2fast wheel: country + ASN name, IPv4 + IPv6.
BUNDLED_FILE = "geoip2fast-asn-ipv6.dat.gz"
#: geoip2fast numbers its 16 reserved/private/not-found "countries" first.
_GEOIP2FAST_RESERVED = 16


class _Geoip2fastData:
    """geoip2fast 1.2.x data (format 120): CIDR starts in two-level sorted chunks."""

    def __init__(self, path: Path) -> None:
        # A pickle shipped inside an installed wheel, trusted like the wheel's code.
        # Vigil never unpickles a file that a user names on the command line.
        try:
            with gzip.open(path, "rb") as handle:
                version, info, _total, tables = pickle.load(handle)  # noqa: S301
            if version != 120 or not (info["country"] and info["asn"]) or len(tables) != 10:
                raise ValueError(f"unexpected layout (format {version}, {info})")
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"bundled IP database {path}: cannot be read: {exc}") from None
        self.source = str(info["info"])
        (self.index, self.asn_index, country_names, asn_names, self.starts, self.asn_starts,
         self.countries, self.asn_ids, self.prefixes, self.asn_prefixes) = tables  # fmt: skip
        self.codes = [
            None if i < _GEOIP2FAST_RESERVED else _clean_country(entry.split(":", 1)[0])
            for i, entry in enumerate(country_names)
        ]
        self.organisations = [_clean_organisation(name) for name in asn_names]


_bundled: _Geoip2fastData | None = None
_bundled_lock = threading.Lock()


def _load_bundled() -> _Geoip2fastData:
    """Load the bundled file once per process (under a second)."""
    global _bundled
    if _bundled is not None:
        return _bundled
    with _bundled_lock:
        if _bundled is None:
            # Found without importing geoip2fast, whose import rewrites os.environ.
            spec = importlib.util.find_spec("geoip2fast")
            if spec is None or not spec.submodule_search_locations:
                raise ConfigError(
                    "the bundled IP database needs geoip2fast: pip install geoip2fast"
                )
            folder = Path(next(iter(spec.submodule_search_locations)))
            _bundled = _Geoip2fastData(folder / BUNDLED_FILE)
        return _bundled


def _find(index: list[int], starts: list[list[int]], prefixes: list[list[int]],
          value: int) -> tuple[int, int] | None:  # fmt: skip
    """``(chunk, position)`` of the CIDR holding ``value``, or ``None`` in a gap."""
    chunk = bisect.bisect_right(index, value) - 1
    if chunk < 0:
        return None
    pos = bisect.bisect_right(starts[chunk], value) - 1
    if pos < 0:
        return None
    start = starts[chunk][pos]
    bits = 32 if start < _V4_SPACE else 128  # sized by the entry, never by the query
    if value > start + (1 << (bits - prefixes[chunk][pos])) - 1:
        return None
    return chunk, pos


class GeoIP2FastProvider(_Provider):
    """The database bundled in geoip2fast's wheel (MaxMind GeoLite2 country + ASN).

    It holds no ASN numbers (geoip2fast keeps only the AS organisation name), so
    ``asn`` is always ``None``. Reserved and private ranges give all ``None``.
    The data is loaded on the first lookup, once per process.
    """

    def __init__(self) -> None:
        try:
            version = importlib.metadata.version("geoip2fast")
        except importlib.metadata.PackageNotFoundError:
            version = "(not installed)"
        self.name = f"geoip2fast {version}"

    @property
    def source(self) -> str:
        """The data's own label, e.g. ``MAXMIND:GeoLite2-CountryASN-IPv4IPv6-en-20240618``."""
        return _load_bundled().source

    def lookup(self, ip: str) -> IpInfo:
        version, value = _address(ip)
        data = _load_bundled()
        if version == 6 and value < _V4_SPACE:  # ::/96 would collide with IPv4 keys
            return IpInfo(ip, None, None, None)
        hit = _find(data.index, data.starts, data.prefixes, value)
        if hit is None:
            return IpInfo(ip, None, None, None)
        country = data.codes[data.countries[hit[0]][hit[1]]]
        if country is None:
            return IpInfo(ip, None, None, None)
        org_hit = _find(data.asn_index, data.asn_starts, data.asn_prefixes, value)
        organisation = None
        if org_hit is not None:
            organisation = data.organisations[data.asn_ids[org_hit[0]][org_hit[1]]]
        return IpInfo(ip, country, None, organisation)


# --- MaxMind MMDB -------------------------------------------------------------


def _first(record: dict[str, Any], paths: Sequence[tuple[str, ...]], clean: Any) -> Any:
    """The first cleaned, non-``None`` value found along ``paths`` in a nested record."""
    for path in paths:
        value: object = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if (cleaned := clean(value)) is not None:
            return cleaned
    return None


#: Where the known MMDB layouts keep each field: GeoLite2/GeoIP2 Country, City, ASN,
#: ISP; DB-IP; ipinfo (``country_code``, ``asn`` "AS64500", ``as_name``).
_MMDB_COUNTRY = (("country", "iso_code"), ("country_code",), ("country",))
_MMDB_ASN = (("autonomous_system_number",), ("traits", "autonomous_system_number"), ("asn",))
_MMDB_ORGANISATION = (
    ("autonomous_system_organization",),
    ("traits", "autonomous_system_organization"),
    ("as_name",),
    ("organization",),
    ("isp",),
)


class MmdbProvider(_Provider):
    """A MaxMind-format database: country, ASN or combined records, read gracefully."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"mmdb:{self.path}"
        try:
            self._reader = maxminddb.open_database(str(self.path))
        except (OSError, ValueError, InvalidDatabaseError) as exc:
            raise ConfigError(f"IP database {self.path}: not a readable MMDB file: {exc}") from None
        self._ip_version = self._reader.metadata().ip_version

    def lookup(self, ip: str) -> IpInfo:
        version, value = _address(ip)
        if version == 6 and self._ip_version == 4:
            return IpInfo(ip, None, None, None)
        try:
            address = ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)
            record = self._reader.get(address)
        except InvalidDatabaseError as exc:
            raise ConfigError(f"IP database {self.path}: corrupt data: {exc}") from None
        if not isinstance(record, dict):
            return IpInfo(ip, None, None, None)
        return IpInfo(
            ip,
            _first(record, _MMDB_COUNTRY, _clean_country),
            _first(record, _MMDB_ASN, _clean_asn),
            _first(record, _MMDB_ORGANISATION, _clean_organisation),
        )

    def close(self) -> None:
        """Release the file (the provider answers nothing afterwards)."""
        self._reader.close()
