"""Hosting enrichment: IP → country/ASN/organisation providers, and the DNS plug-in.

Synthetic tables use documentation ranges, private-use ASNs and fictional
organisations only. Nothing here touches the network: an autouse fixture turns
every socket into an error.
"""

from __future__ import annotations

import gzip
import ipaddress
import os
import random
import socket
import sys
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.enrich.dns import DnspythonResolver, RecordedResolver
from vigil.enrich.ip import (
    GeoIP2FastProvider,
    IpInfo,
    IpProvider,
    IptoasnTsvProvider,
    MmdbProvider,
    open_ip_provider,
)
from vigil.enrich.ip.bundled import BUNDLED_FILE
from vigil.errors import ConfigError, InvalidRecord


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket or resolve a name fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to use the network")

    class NoSocket(socket.socket):  # a class still, for modules that subclass it
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            refuse()

    monkeypatch.setattr(socket, "socket", NoSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)


# --- iptoasn TSV ------------------------------------------------------------------

TSV_ROWS = [
    "192.0.2.0\t192.0.2.127\t64500\tNL\tFictional Hosting A",
    "192.0.2.128\t192.0.2.255\t64501\tus\tFictional Cloud B",
    "198.51.100.0\t198.51.100.255\t0\tNone\tNot routed",
    "203.0.113.0\t203.0.113.255\t4200000001\tKZ\tFictional Transit C",
    "2001:db8::\t2001:db8:0:ffff:ffff:ffff:ffff:ffff\t64502\tDE\tFictional Datacentre D",
    "2001:db8:1::\t2001:db8:1:ffff:ffff:ffff:ffff:ffff\t65534\tNone\tFictional Transit C",
]


def write_tsv(path: Path, rows: list[str], *, gz: bool = False) -> Path:
    text = "".join(row + "\n" for row in rows)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["plain", "gzip"])
def tsv(request: pytest.FixtureRequest, tmp_path: Path) -> IptoasnTsvProvider:
    gz = request.param == "gzip"
    path = write_tsv(tmp_path / ("ip2asn.tsv.gz" if gz else "ip2asn.tsv"), TSV_ROWS, gz=gz)
    return IptoasnTsvProvider(path)


@pytest.mark.parametrize(
    ("ip", "country", "asn", "organisation"),
    [
        ("192.0.2.0", "NL", 64500, "Fictional Hosting A"),  # first address of a range
        ("192.0.2.127", "NL", 64500, "Fictional Hosting A"),  # last address, inclusive
        ("192.0.2.128", "US", 64501, "Fictional Cloud B"),  # next range; country upper-cased
        ("192.0.2.255", "US", 64501, "Fictional Cloud B"),
        ("198.51.100.7", None, None, None),  # "Not routed"
        ("203.0.113.255", "KZ", 4200000001, "Fictional Transit C"),  # 32-bit private ASN
        ("203.0.114.0", None, None, None),  # just past the last IPv4 range
        ("192.0.1.255", None, None, None),  # just before the first
        ("::ffff:192.0.2.200", "US", 64501, "Fictional Cloud B"),  # IPv4-mapped IPv6
        ("2001:db8::", "DE", 64502, "Fictional Datacentre D"),
        ("2001:db8:0:ffff:ffff:ffff:ffff:ffff", "DE", 64502, "Fictional Datacentre D"),
        ("2001:DB8:1::42", None, 65534, "Fictional Transit C"),  # ASN without a country
        ("2001:db8:2::", None, None, None),
    ],
)
def test_iptoasn_ranges_are_inclusive(
    tsv: IptoasnTsvProvider, ip: str, country: str | None, asn: int | None, organisation: str | None
) -> None:
    assert tsv.lookup(ip) == IpInfo(ip, country, asn, organisation)


def test_iptoasn_keeps_routed_ranges_only(tsv: IptoasnTsvProvider) -> None:
    assert len(tsv) == 5
    assert tsv.name == f"iptoasn:{tsv.path}"


def test_iptoasn_reads_unsorted_rows_u32_bounds_and_comments(tmp_path: Path) -> None:
    rows = [
        "# synthetic table, fictional organisations",
        TSV_ROWS[4],
        "",
        "3405803776\t3405804031\t64510\tFR\tFictional Hosting E",  # 203.0.113.0/24 as u32
        TSV_ROWS[0],
    ]
    provider = IptoasnTsvProvider(write_tsv(tmp_path / "mixed.txt", rows))
    assert provider.lookup("203.0.113.9") == IpInfo(
        "203.0.113.9", "FR", 64510, "Fictional Hosting E"
    )
    assert provider.lookup("192.0.2.9").asn == 64500
    assert provider.lookup("2001:db8::9").asn == 64502


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("192.0.2.0\t192.0.2.9\t64500", "expected 5 tab-separated fields"),
        ("192.0.2.0 192.0.2.9 64500 NL Fictional", "expected 5 tab-separated fields"),
        ("192.0.2.300\t192.0.2.9\t64500\tNL\tFictional Hosting A", "not an IP address"),
        ("192.0.2.9\t192.0.2.0\t64500\tNL\tFictional Hosting A", "after range_end"),
        ("192.0.2.0\t2001:db8::\t64500\tNL\tFictional Hosting A", "different IP versions"),
        ("192.0.2.0\t192.0.2.9\tAS64500\tNL\tFictional Hosting A", "AS_number"),
        ("192.0.2.0\t192.0.2.9\t4294967296\tNL\tFictional Hosting A", "AS_number"),
        ("192.0.2.0\t192.0.2.9\t64500\tNLD\tFictional", "country_code"),
        ("4294967296\t4294967297\t64500\tNL\tFictional Hosting A", "beyond the IPv4 space"),
    ],
)
def test_a_malformed_line_is_a_config_error_naming_file_and_line(
    tmp_path: Path, row: str, problem: str
) -> None:
    path = write_tsv(tmp_path / "bad.tsv", [TSV_ROWS[0], TSV_ROWS[3], row])
    with pytest.raises(ConfigError) as error:
        IptoasnTsvProvider(path)
    message = str(error.value)
    assert str(path) in message and "line 3:" in message and problem in message


def test_overlapping_ranges_name_both_lines(tmp_path: Path) -> None:
    overlap = "192.0.2.100\t192.0.2.130\t64503\tBE\tFictional Hosting F"
    path = write_tsv(tmp_path / "overlap.tsv", [TSV_ROWS[1], TSV_ROWS[3], overlap])
    with pytest.raises(ConfigError, match=r"line 1: range overlaps the range on line 3"):
        IptoasnTsvProvider(path)


def test_a_truncated_gzip_is_a_config_error(tmp_path: Path) -> None:
    whole = gzip.compress("".join(row + "\n" for row in TSV_ROWS * 50).encode())
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConfigError, match="cannot be read"):
        IptoasnTsvProvider(path)


ADDRESSES_240 = st.integers(min_value=int(ipaddress.IPv4Address("240.0.0.0")), max_value=2**32 - 1)


@settings(max_examples=60, deadline=None)
@given(
    bounds=st.sets(ADDRESSES_240, min_size=2, max_size=40),
    probes=st.lists(ADDRESSES_240, max_size=30),
)
def test_iptoasn_agrees_with_a_linear_scan(
    tmp_path_factory: pytest.TempPathFactory, bounds: set[int], probes: list[int]
) -> None:
    edges = sorted(bounds)
    pairs = zip(edges[::2], edges[1::2], strict=False)  # an odd last edge is dropped
    ranges = [(a, b - 1 if i % 3 else b) for i, (a, b) in enumerate(pairs)]
    ranges = [(a, b) for a, b in ranges if a <= b]
    rows = [
        "\t".join(
            (str(IPv4Address(a)), str(IPv4Address(b)), str(64512 + i), "NL", f"Fictional {i % 3}")
        )
        for i, (a, b) in enumerate(ranges)
    ]
    random.Random(len(rows)).shuffle(rows)
    provider = IptoasnTsvProvider(write_tsv(tmp_path_factory.mktemp("p") / "t.tsv", rows))
    edges_and_neighbours = [v for a, b in ranges for v in (a - 1, a, b, b + 1)]
    for value in probes + [v for v in edges_and_neighbours if v < 2**32]:
        expected = [64512 + i for i, (a, b) in enumerate(ranges) if a <= value <= b]
        ip = str(ipaddress.IPv4Address(value))
        assert provider.lookup(ip).asn == (expected[0] if expected else None)


# --- MaxMind MMDB -----------------------------------------------------------------


def build_mmdb(path: Path, records: dict[str, Any], *, ip_version: int = 6) -> Path:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet  # type: ignore[import-untyped]

    writer = MMDBWriter(ip_version=ip_version, ipv4_compatible=ip_version == 6,
                        database_type="Vigil-Test", description="synthetic")  # fmt: skip
    for network_, record in records.items():
        writer.insert_network(IPSet([network_]), record)
    writer.to_db_file(str(path))
    return path


MMDB_RECORDS: dict[str, Any] = {
    # GeoLite2-Country / City shape
    "192.0.2.0/25": {
        "country": {"iso_code": "NL", "names": {"en": "Netherlands"}},
        "city": {"names": {"en": "Nowhere"}},
    },
    # GeoLite2-ASN shape
    "192.0.2.128/25": {
        "autonomous_system_number": 64500,
        "autonomous_system_organization": "Fictional Hosting A",
    },
    # combined, lower-case country, 32-bit private ASN
    "198.51.100.0/24": {
        "country": {"iso_code": "us"},
        "autonomous_system_number": 4200000001,
        "autonomous_system_organization": "Fictional Cloud B",
    },
    # ipinfo-style: country name beside country_code, "AS" string ASN
    "203.0.113.0/25": {
        "country": "Kazakhstan",
        "country_code": "KZ",
        "asn": "AS64501",
        "as_name": "Fictional Transit C",
    },
    # GeoIP2-City with traits
    "2001:db8::/48": {
        "country": {"iso_code": "DE"},
        "traits": {
            "autonomous_system_number": 64502,
            "autonomous_system_organization": "Fictional Datacentre D",
        },
    },
    # a record that is not a map
    "203.0.113.128/25": "not a record",
}


@pytest.fixture(scope="module")
def mmdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MmdbProvider]:
    path = build_mmdb(tmp_path_factory.mktemp("mmdb") / "synthetic.mmdb", MMDB_RECORDS)
    provider = MmdbProvider(path)
    yield provider
    provider.close()


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("192.0.2.1", ("NL", None, None)),
        ("192.0.2.200", (None, 64500, "Fictional Hosting A")),
        ("::ffff:192.0.2.200", (None, 64500, "Fictional Hosting A")),
        ("198.51.100.9", ("US", 4200000001, "Fictional Cloud B")),
        ("203.0.113.1", ("KZ", 64501, "Fictional Transit C")),
        ("203.0.113.200", (None, None, None)),
        ("2001:db8::1", ("DE", 64502, "Fictional Datacentre D")),
        ("2001:db8:1::1", (None, None, None)),
        ("240.0.0.1", (None, None, None)),
    ],
)
def test_mmdb_reads_country_asn_and_combined_records(
    mmdb: MmdbProvider, ip: str, expected: tuple[str | None, int | None, str | None]
) -> None:
    assert mmdb.lookup(ip) == IpInfo(ip, *expected)


def test_an_ipv4_only_mmdb_answers_nothing_for_ipv6(tmp_path: Path) -> None:
    path = build_mmdb(
        tmp_path / "v4.mmdb", {"192.0.2.0/24": {"country": {"iso_code": "NL"}}}, ip_version=4
    )
    provider = MmdbProvider(path)
    assert provider.lookup("192.0.2.5").country == "NL"
    assert provider.lookup("2001:db8::5") == IpInfo("2001:db8::5", None, None, None)


def test_a_file_that_is_not_mmdb_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.mmdb"
    path.write_bytes(b"this is not a MaxMind database" * 10)
    with pytest.raises(ConfigError, match="not a readable MMDB file"):
        open_ip_provider(path)


# --- the bundled geoip2fast database -------------------------------------------------


@pytest.fixture(scope="session")
def bundled() -> GeoIP2FastProvider:
    return GeoIP2FastProvider()


@pytest.mark.parametrize(
    "ip",
    [
        "192.0.2.1",
        "198.51.100.1",
        "203.0.113.1",
        "240.0.0.1",
        "10.1.2.3",
        "127.0.0.1",
        "2001:db8::1",
        "::1",
    ],
)
def test_bundled_reserved_ranges_are_unknown(bundled: GeoIP2FastProvider, ip: str) -> None:
    assert bundled.lookup(ip) == IpInfo(ip, None, None, None)


def test_bundled_facts_of_the_pinned_data(bundled: GeoIP2FastProvider) -> None:
    # geoip2fast is pinned (==1.2.2) and so is its data (GeoLite2, 2024-06-18); these
    # are facts of that file, read from it. A new pin may change them: re-check then.
    assert bundled.name == "geoip2fast 1.2.2"
    assert bundled.source.endswith("20240618")
    assert bundled.lookup("8.8.8.8") == IpInfo("8.8.8.8", "US", None, "GOOGLE")
    assert bundled.lookup("2001:4860:4860::8888") == IpInfo(
        "2001:4860:4860::8888", "US", None, "GOOGLE"
    )
    assert bundled.lookup("::ffff:8.8.8.8").country == "US"


def test_bundled_agrees_with_geoip2fast_itself(
    bundled: GeoIP2FastProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing geoip2fast rewrites os.environ: let monkeypatch put it back.
    for name in ("PYTHONWARNINGS", "PYTHONIOENCODING"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    from geoip2fast import GeoIP2Fast  # type: ignore[import-untyped]

    upstream = GeoIP2Fast(geoip2fast_data_file=BUNDLED_FILE)
    rng = random.Random(2013)
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(3000)]
    ips += [str(ipaddress.IPv6Address((0x2 << 124) | rng.getrandbits(124))) for _ in range(1000)]
    unknown = {"", "--", "<unknown>", "IANA.ORG"}
    for ip, ours in zip(ips, bundled.lookup_many(ips), strict=True):
        theirs = upstream.lookup(ip)
        assert ours.country == (None if theirs.country_code in unknown else theirs.country_code), ip
        # geoip2fast sizes an IPv4 ASN block as IPv6 in this file, so compare inside its CIDR only.
        if (
            ours.country
            and theirs.asn_cidr
            and ipaddress.ip_address(ip) in ipaddress.ip_network(theirs.asn_cidr)
        ):
            assert ours.organisation == (None if theirs.asn_name in unknown else theirs.asn_name), (
                ip
            )


# --- every provider ------------------------------------------------------------------


@pytest.fixture(scope="module", params=["bundled", "mmdb", "iptoasn"])
def provider(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> IpProvider:
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "bundled":
        return open_ip_provider(None)
    if request.param == "mmdb":
        return open_ip_provider(build_mmdb(folder / "t.mmdb", MMDB_RECORDS))
    return open_ip_provider(write_tsv(folder / "t.tsv.gz", TSV_ROWS, gz=True))


@pytest.mark.parametrize(
    "junk",
    ["", "example.test", "192.0.2", "192.0.2.256", "01.2.3.4", "2001:db8:::1", "::ffff:1.2.3"],
)
def test_a_non_address_is_an_invalid_record(provider: IpProvider, junk: str) -> None:
    with pytest.raises(InvalidRecord, match="not an IP address"):
        provider.lookup(junk)


def test_lookup_many_keeps_order_and_repeats(provider: IpProvider) -> None:
    ips = ["192.0.2.200", "2001:db8::1", "192.0.2.200", "10.0.0.1"]
    assert provider.lookup_many(ips) == [provider.lookup(ip) for ip in ips]


@settings(max_examples=100, deadline=None)
@given(address=st.ip_addresses())
def test_a_valid_address_never_raises(provider: IpProvider, address: Any) -> None:
    info = provider.lookup(str(address))
    assert info.country is None or (len(info.country) == 2 and info.country.isupper())
    assert info.asn is None or 0 < info.asn < 2**32


@settings(max_examples=100, deadline=None)
@given(junk=st.text(max_size=60))
def test_junk_is_an_invalid_record_or_an_answer(provider: IpProvider, junk: str) -> None:
    try:
        assert provider.lookup(junk).ip == junk
    except InvalidRecord as error:
        assert error.reason.startswith("not an IP address")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("db.mmdb", MmdbProvider),
        ("ip2asn-combined.tsv.gz", IptoasnTsvProvider),
        ("ip2asn-v4.tsv", IptoasnTsvProvider),
        ("table.TXT", IptoasnTsvProvider),
    ],
)
def test_open_ip_provider_chooses_by_extension(tmp_path: Path, name: str, kind: type) -> None:
    path = tmp_path / name
    if kind is MmdbProvider:
        build_mmdb(path, MMDB_RECORDS)
    else:
        write_tsv(path, TSV_ROWS, gz=name.endswith(".gz"))
    assert isinstance(open_ip_provider(path), kind)
    assert isinstance(open_ip_provider(None), GeoIP2FastProvider)


def test_open_ip_provider_refuses_missing_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        open_ip_provider(tmp_path / "absent.mmdb")
    with pytest.raises(ConfigError, match="no such file"):
        open_ip_provider(tmp_path)
    csv = write_tsv(tmp_path / "ranges.csv", ["192.0.2.0,192.0.2.255,64500"])
    with pytest.raises(ConfigError, match=r"unknown format; expected \.mmdb"):
        open_ip_provider(csv)


# --- DNS ------------------------------------------------------------------------------


def test_recorded_resolver_answers_from_its_table() -> None:
    resolver = RecordedResolver({"Shop.Example.TEST.": ["2001:db8::7", "192.0.2.7", "192.0.2.7"]})
    assert resolver.resolve("shop.example.test") == ["192.0.2.7", "2001:db8::7"]
    assert resolver.resolve("absent.example.test") == []
    assert resolver.resolve("[2001:db8::1]") == ["2001:db8::1"]
    assert resolver.queries == ["shop.example.test", "absent.example.test", "[2001:db8::1]"]


class FakeDns:
    """Stands in for dnspython's Resolver: answers from a table, never the network."""

    def __init__(
        self, answers: dict[tuple[str, str], list[str]], error: Exception | None = None
    ) -> None:
        self.answers = answers
        self.error = error
        self.asked: list[tuple[str, str]] = []

    def resolve(self, name: str, rdtype: str, **options: object) -> list[Any]:
        import dns.rdata

        self.asked.append((name, rdtype))
        if self.error is not None:
            raise self.error
        return [
            dns.rdata.from_text("IN", rdtype, text) for text in self.answers.get((name, rdtype), [])
        ]


@pytest.fixture
def dnspython() -> Callable[[FakeDns], DnspythonResolver]:
    def make(fake: FakeDns) -> DnspythonResolver:
        resolver = DnspythonResolver(timeout=0.5, nameservers=["192.0.2.53"])
        resolver._resolver = fake  # the only way out to the network, replaced
        return resolver

    return make


def test_dnspython_resolver_merges_a_and_aaaa(
    dnspython: Callable[[FakeDns], DnspythonResolver],
) -> None:
    fake = FakeDns({("host.example.net", "A"): ["198.51.100.2", "192.0.2.9"],
                    ("host.example.net", "AAAA"): ["2001:db8::2"]})  # fmt: skip
    assert dnspython(fake).resolve("Host.Example.NET.") == [
        "192.0.2.9",
        "198.51.100.2",
        "2001:db8::2",
    ]
    assert fake.asked == [("host.example.net", "A"), ("host.example.net", "AAAA")]


def test_dnspython_resolver_never_queries_special_names(
    dnspython: Callable[[FakeDns], DnspythonResolver],
) -> None:
    fake = FakeDns({})
    resolver = dnspython(fake)
    for host in [
        "abcdefghijklmnop.onion",
        "shop.example.test",
        "x.invalid",
        "example",
        "localhost",
        "",
    ]:
        assert resolver.resolve(host) == []
    assert resolver.resolve("192.0.2.1") == ["192.0.2.1"]
    assert fake.asked == []


def test_dnspython_resolver_failures(dnspython: Callable[[FakeDns], DnspythonResolver]) -> None:
    import dns.resolver

    gone = dns.resolver.NXDOMAIN()  # type: ignore[no-untyped-call]
    assert dnspython(FakeDns({}, gone)).resolve("gone.example.net") == []
    slow = dns.resolver.LifetimeTimeout(timeout=0.5, errors=[])  # type: ignore[no-untyped-call]
    with pytest.raises(InvalidRecord, match=r"DNS look-up of slow\.example\.net"):
        dnspython(FakeDns({}, slow)).resolve("slow.example.net")


def test_dnspython_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dns", None)
    monkeypatch.setitem(sys.modules, "dns.resolver", None)
    with pytest.raises(ConfigError, match=r"pip install vigil\[dns\]"):
        DnspythonResolver()
