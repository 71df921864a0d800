"""The synthetic world's network: fictional hosting organisations on reserved address space.

Every organisation is invented (its name always contains "Example"), every ASN is a
private-use one (64512–65534, or 4200000000 and up) and every address comes from the
documentation or reserved ranges: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
240.0.0.0/4 and 2001:db8::/32. Countries are real ISO 3166 codes, chosen to look like the
2012 hosting landscape of the assessment. The table is the same for every seed.

Some reserved space is deliberately left out of the table (``250.0.0.0/8`` and
``2001:db8:ffff::/48``): an address there is one the IP database does not know, so its
country is ``unknown`` and its ASN null.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from pathlib import Path

#: Allowed address space of the synthetic world (a test scans every output against it).
RESERVED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("240.0.0.0/4"),
    ipaddress.ip_network("2001:db8::/32"),
)

#: Reserved space on purpose absent from iptoasn.tsv (addresses the database does not know).
UNKNOWN_V4 = ipaddress.ip_network("250.0.0.0/8")
UNKNOWN_V6 = ipaddress.ip_network("2001:db8:ffff::/48")

_LEGAL = {
    "US": "LLC", "RU": "OOO", "KZ": "TOO", "NL": "B.V.", "DE": "GmbH", "UA": "TOV",
    "CZ": "s.r.o.", "FR": "SAS", "GB": "Ltd", "CA": "Inc.", "SE": "AB", "RO": "SRL", "LV": "SIA",
}
#: How many organisations each country has.
_PLAN: tuple[tuple[str, int], ...] = (
    ("US", 8), ("RU", 5), ("KZ", 3), ("NL", 4), ("DE", 3), ("UA", 2), ("CZ", 2),
    ("FR", 2), ("GB", 2), ("CA", 1), ("SE", 1), ("RO", 1), ("LV", 1),
)
_WORDS = (
    "Alder", "Basalt", "Cinder", "Dovetail", "Eskar", "Flint", "Gannet", "Hazel",
    "Ironbark", "Jasper", "Kestrel", "Lichen", "Marram", "Nettle", "Osprey", "Plover",
    "Quillwort", "Rowan", "Sorrel", "Tansy", "Umber", "Vetch", "Wren", "Yarrow",
    "Zircon", "Bracken", "Coppice", "Dunlin", "Egret", "Fescue", "Garnet", "Hornbeam",
    "Isthmus", "Juncus", "Knapweed", "Larch",
)
_TRADES = ("Hosting", "Networks", "Datacenter", "Cloud", "Telecom", "Servers", "Internet", "Web Services")


@dataclass(frozen=True, slots=True)
class Org:
    """One fictional hosting organisation: its ASN, country and address blocks."""

    index: int
    asn: int
    name: str
    country: str
    v4: tuple[ipaddress.IPv4Network, ...]
    v6: ipaddress.IPv6Network | None


def build_orgs() -> tuple[Org, ...]:
    """The world's organisations (fixed; the same for every seed)."""
    doc_blocks = [
        sub
        for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
        for sub in ipaddress.IPv4Network(net).subnets(new_prefix=26)
    ]
    orgs: list[Org] = []
    index = 0
    for country, count in _PLAN:
        for n in range(count):
            word = _WORDS[index % len(_WORDS)]
            trade = _TRADES[(index * 3 + n) % len(_TRADES)]
            asn = 4200000000 + 7 * index if index % 9 == 8 else 64512 + 23 * index
            v4 = [ipaddress.IPv4Network(f"240.{index + 1}.0.0/16")]
            if index < len(doc_blocks):
                v4.insert(0, doc_blocks[index])
            v6 = ipaddress.IPv6Network(f"2001:db8:{index + 1:x}::/48") if index % 3 == 0 else None
            orgs.append(Org(index, asn, f"{word} Example {trade} {_LEGAL[country]}", country, tuple(v4), v6))
            index += 1
    return tuple(orgs)


def orgs_by_country(orgs: tuple[Org, ...]) -> dict[str, tuple[Org, ...]]:
    table: dict[str, list[Org]] = {}
    for org in orgs:
        table.setdefault(org.country, []).append(org)
    return {country: tuple(found) for country, found in table.items()}


def _host_in(net: ipaddress.IPv4Network | ipaddress.IPv6Network, rng: random.Random) -> str:
    if net.version == 6:
        return str(net.network_address + rng.randrange(1, 1 << 16))
    offset = rng.randrange(1, net.num_addresses - 1)
    if offset & 0xFF in (0, 255):
        offset ^= 1
    return str(net.network_address + offset)


def pick_ip(org: Org, rng: random.Random) -> str:
    """A fresh address of ``org`` (IPv4 mostly, IPv6 sometimes)."""
    if org.v6 is not None and rng.random() < 0.12:
        return _host_in(org.v6, rng)
    if len(org.v4) > 1 and rng.random() < 0.15:
        return _host_in(org.v4[0], rng)
    return _host_in(org.v4[-1], rng)


def pick_unknown_ip(rng: random.Random) -> str:
    """A reserved address the world's IP database does not cover."""
    return _host_in(UNKNOWN_V6 if rng.random() < 0.2 else UNKNOWN_V4, rng)


def write_iptoasn(path: Path, orgs: tuple[Org, ...]) -> None:
    """iptoasn format: range_start, range_end, AS_number, country_code, AS_description."""
    rows: list[tuple[int, int, str]] = []
    for org in orgs:
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(org.v4)
        if org.v6 is not None:
            nets.append(org.v6)
        for net in nets:
            line = f"{net.network_address}\t{net.broadcast_address}\t{org.asn}\t{org.country}\t{org.name}\n"
            rows.append((net.version, int(net.network_address), line))
    rows.sort()
    path.write_text("".join(line for _, _, line in rows), encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Service:
    """A fictional shared service: a free subdomain registrar or a free host."""

    name: str
    kind: str  # free_subdomain | free_host
    note: str
    weight: int


SERVICES: tuple[Service, ...] = (
    Service("freenames.test", "free_subdomain", "fictional free subdomain registrar with up to 100 free names per account", 40),
    Service("subzone.test", "free_subdomain", "fictional free subdomain registrar", 20),
    Service("namespot.example", "free_subdomain", "fictional successor of subzone.test; unlimited free names", 15),
    Service("freepages.example", "free_host", "fictional free hosting service", 15),
    Service("webcorner.test", "free_host", "fictional free hosting service with banner adverts", 10),
)


def write_shared_services(path: Path) -> None:
    lines = ["service,kind,note\n"] + [f"{s.name},{s.kind},{s.note}\n" for s in SERVICES]
    path.write_text("".join(lines), encoding="utf-8")
