"""The IP database bundled in the ``geoip2fast`` wheel: the default provider.

Works offline on a fresh machine (today's data, not history). Reserved and private ranges
answer all ``None``.
"""

from __future__ import annotations

import bisect
import gzip
import importlib.metadata
import importlib.util
import pickle
import threading
from pathlib import Path

from vigil.enrich.ip.base import (
    V4_SPACE,
    BaseProvider,
    IpInfo,
    address_key,
    clean_country,
    clean_organisation,
)
from vigil.errors import ConfigError

__all__ = ["BUNDLED_FILE", "GeoIP2FastProvider"]


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
            None if i < _GEOIP2FAST_RESERVED else clean_country(entry.split(":", 1)[0])
            for i, entry in enumerate(country_names)
        ]
        self.organisations = [clean_organisation(name) for name in asn_names]


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
    bits = 32 if start < V4_SPACE else 128  # sized by the entry, never by the query
    if value > start + (1 << (bits - prefixes[chunk][pos])) - 1:
        return None
    return chunk, pos


class GeoIP2FastProvider(BaseProvider):
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
        version, value = address_key(ip)
        data = _load_bundled()
        if version == 6 and value < V4_SPACE:  # ::/96 would collide with IPv4 keys
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


