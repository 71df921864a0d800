"""iptoasn.com-format TSV provider: ``range_start range_end AS_number country AS_description``.

Ranges load into sorted flat arrays per address family; a lookup is one binary search.
"""

from __future__ import annotations

import bisect
import gzip
import socket
import zlib
from array import array
from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import IO

from vigil.enrich.ip.base import (
    MAX_ASN,
    NO_COUNTRY,
    V4_SPACE,
    BaseProvider,
    IpInfo,
    address_key,
    clean_asn,
    clean_country,
    clean_organisation,
    parse_ip,
)
from vigil.errors import ConfigError

__all__ = ["IptoasnTsvProvider"]


class _RangeTable:
    """Inclusive ranges of one address family, in columns; sorted by :meth:`seal`."""

    def __init__(self, version: int) -> None:
        big = version == 6  # 128-bit values do not fit an array
        self.starts: list[int] | array[int] = [] if big else array("Q")
        self.ends: list[int] | array[int] = [] if big else array("Q")
        self.asns, self.countries = array("Q"), array("H")
        self.organisations, self.lines = array("I"), array("I")

    def columns(self) -> tuple[list[int] | array[int], ...]:
        return self.starts, self.ends, self.asns, self.countries, self.organisations, self.lines

    def add(self, start: int, end: int, asn: int, country: int, org: int, line: int) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.asns.append(asn)
        self.countries.append(country)
        self.organisations.append(org)
        self.lines.append(line)

    def _clash(self) -> int | None:
        """The first row whose start is not after the previous row's end."""
        pairs = zip(islice(self.starts, 1, None), self.ends, strict=False)  # one shorter
        for i, (start, previous_end) in enumerate(pairs, 1):
            if start <= previous_end:
                return i
        return None

    def seal(self, path: Path) -> None:
        """Sort by start if needed; raise ConfigError naming both lines of an overlap."""
        i = self._clash()
        if i is not None and self.starts[i] < self.starts[i - 1]:  # unsorted, not overlapping
            order = sorted(range(len(self.starts)), key=self.starts.__getitem__)
            columns = [
                array(c.typecode, (c[j] for j in order))
                if isinstance(c, array)
                else [c[j] for j in order]
                for c in self.columns()
            ]
            (self.starts, self.ends, self.asns, self.countries,
             self.organisations, self.lines) = columns  # type: ignore[assignment]  # fmt: skip
            i = self._clash()
        if i is not None:
            raise ConfigError(
                f"IP database {path}, line {self.lines[i]}: range overlaps the range "
                f"on line {self.lines[i - 1]}"
            )

    def find(self, value: int) -> int | None:
        i = bisect.bisect_right(self.starts, value) - 1
        return i if i >= 0 and value <= self.ends[i] else None


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open("r", encoding="utf-8", errors="replace", newline="")


def _range_bound(field: str) -> tuple[int, int]:
    if field.isascii() and field.isdigit():  # ip2asn-v4-u32.tsv
        if int(field) < V4_SPACE:
            return 4, int(field)
        raise ValueError(f"{field} is beyond the IPv4 space")
    return parse_ip(field)


def _parse_row(line: str) -> tuple[int, int, int, int | None, str | None, str | None]:
    """Validate one row: ``(version, start, end, asn, country, organisation)``."""
    fields = line.split("\t", 4)
    if len(fields) < 4:
        raise ValueError(
            "expected 5 tab-separated fields (range_start, range_end, AS_number, "
            f"country_code, AS_description), found {len(fields)}"
        )
    version, start = _range_bound(fields[0].strip())
    end_version, end = _range_bound(fields[1].strip())
    if version != end_version:
        raise ValueError("range_start and range_end are of different IP versions")
    if start > end:
        raise ValueError("range_start is after range_end")
    number = fields[2].strip()
    if not (number.isascii() and number.isdigit()) or int(number) > MAX_ASN:
        raise ValueError(f"AS_number {number!r} is not a number from 0 to {MAX_ASN}")
    country = clean_country(fields[3])
    if country is None and fields[3].strip().upper() not in NO_COUNTRY:
        raise ValueError(f"country_code {fields[3].strip()!r} is not two letters or 'None'")
    organisation = clean_organisation(fields[4]) if len(fields) == 5 else None
    return version, start, end, clean_asn(int(number)), country, organisation


class IptoasnTsvProvider(BaseProvider):
    """An iptoasn.com file: ``range_start  range_end  AS_number  country  AS_description``.

    Tab-separated, no header, plain or gzip, IPv4 and IPv6 rows in any order (``#``
    comment lines and blank lines are allowed; ``ip2asn-v4-u32`` integer bounds
    too). Ranges are inclusive. AS number 0, country ``None`` and ``Not routed``
    mean unknown. A malformed line is a configuration error naming the file and
    the line. Loading keeps a few flat arrays; a lookup is one bisection.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"iptoasn:{self.path}"
        self._tables = {4: _RangeTable(4), 6: _RangeTable(6)}
        self._countries: list[str | None] = [None]
        self._organisations: list[str | None] = [None]
        try:
            with _open_text(self.path) as handle:
                self._load(handle)
        except (OSError, EOFError, zlib.error) as exc:
            raise ConfigError(f"IP database {self.path}: cannot be read: {exc}") from None
        for table in self._tables.values():
            table.seal(self.path)

    def __len__(self) -> int:
        return sum(len(table.starts) for table in self._tables.values())

    def _load(self, lines: Iterable[str]) -> None:
        # Fast path for well-formed rows whose country and description were seen
        # before; anything else goes through _parse_row, which validates and explains.
        pton, from_bytes, v4, v6 = socket.inet_pton, int.from_bytes, socket.AF_INET, socket.AF_INET6
        add = {v4: self._tables[4].add, v6: self._tables[6].add}
        country_ids: dict[str | None, int] = {None: 0}  # clean value → index
        org_ids: dict[str | None, int] = {None: 0}
        raw_countries: dict[str, int] = {}  # field as written → index
        raw_orgs: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            try:
                first, last, asn_text, raw_country, raw_org = line.rstrip("\r\n").split("\t")
                family = v6 if ":" in first else v4
                start = from_bytes(pton(family, first), "big")
                end = from_bytes(pton(family, last), "big")
                asn = int(asn_text) if asn_text.isascii() and asn_text.isdigit() else -1
                if not 0 <= asn <= MAX_ASN or start > end:
                    raise ValueError
                country_id, org_id = raw_countries[raw_country], raw_orgs[raw_org]
            except (ValueError, OSError, KeyError):
                if not line.strip() or line.startswith("#"):
                    continue
                try:
                    version, start, end, clean_asn, country, org = _parse_row(line.rstrip("\r\n"))
                except ValueError as exc:
                    raise ConfigError(f"IP database {self.path}, line {number}: {exc}") from None
                family, asn = (v6 if version == 6 else v4), clean_asn or 0
                country_id = _intern(country_ids, self._countries, country)
                org_id = _intern(org_ids, self._organisations, org)
                fields = line.rstrip("\r\n").split("\t")
                if len(fields) == 5:
                    raw_countries[fields[3]], raw_orgs[fields[4]] = country_id, org_id
            if asn == 0 and country_id == 0 and org_id == 0:
                continue  # not routed: a gap answers the same
            add[family](start, end, asn, country_id, org_id, number)

    def lookup(self, ip: str) -> IpInfo:
        version, value = address_key(ip)
        table = self._tables[version]
        i = table.find(value)
        if i is None:
            return IpInfo(ip, None, None, None)
        return IpInfo(
            ip,
            self._countries[table.countries[i]],
            table.asns[i] or None,
            self._organisations[table.organisations[i]],
        )


def _intern(ids: dict[str | None, int], values: list[str | None], value: str | None) -> int:
    index = ids.get(value)
    if index is None:
        index = ids[value] = len(values)
        values.append(value)
    return index
