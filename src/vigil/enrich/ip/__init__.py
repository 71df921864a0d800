"""IP address → hosting country, autonomous system (ASN) and organisation.

Three providers behind one small protocol, chosen by :func:`open_ip_provider`,
one module each (``bundled.py``, ``mmdb.py``, ``iptoasn.py``) over ``base.py``:

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

from pathlib import Path

from vigil.enrich.ip.base import IpInfo, IpProvider
from vigil.enrich.ip.bundled import GeoIP2FastProvider
from vigil.enrich.ip.iptoasn import IptoasnTsvProvider
from vigil.enrich.ip.mmdb import MmdbProvider
from vigil.errors import ConfigError

__all__ = [
    "GeoIP2FastProvider",
    "IpInfo",
    "IpProvider",
    "IptoasnTsvProvider",
    "MmdbProvider",
    "open_ip_provider",
]


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
        return IptoasnTsvProvider(path)
    raise ConfigError(
        f"IP database {path}: unknown format; expected .mmdb (MaxMind) "
        "or .tsv, .tsv.gz, .txt (iptoasn.com)"
    )

