"""A MaxMind-format ``.mmdb`` file the user supplies: country, ASN or combined records."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.errors import InvalidDatabaseError

from vigil.enrich.ip.base import (
    BaseProvider,
    IpInfo,
    address_key,
    clean_asn,
    clean_country,
    clean_organisation,
)
from vigil.errors import ConfigError

__all__ = ["MmdbProvider"]


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


class MmdbProvider(BaseProvider):
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
        version, value = address_key(ip)
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
            _first(record, _MMDB_COUNTRY, clean_country),
            _first(record, _MMDB_ASN, clean_asn),
            _first(record, _MMDB_ORGANISATION, clean_organisation),
        )

    def close(self) -> None:
        """Release the file (the provider answers nothing afterwards)."""
        self._reader.close()
