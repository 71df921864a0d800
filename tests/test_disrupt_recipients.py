"""Recipients from recorded RDAP responses and the user's contacts file (no network)."""

from __future__ import annotations

import pytest
from disrupt_helpers import DATA

from vigil.synth.procfile import world_processors
from vigil.disrupt.cases import Case
from vigil.disrupt.rdap import (
    CacheRdap,
    CachingRdap,
    abuse_contact,
    clean_mailbox,
    is_placeholder,
    registrar,
)
from vigil.disrupt.recipients import Contacts, Resolver
from vigil.errors import ConfigError

A = Case(url="http://shop-a.test/x", host="shop-a.test", owner_org="hotline", marking="TLP:AMBER", domain="shop-a.test",
         suffix="test", ip="192.0.2.10", asn=64500, hosting_org=None, processor="example-card-gateway")
B = Case(url="http://shop-b.test/y", host="shop-b.test", owner_org="hotline", marking="TLP:AMBER", domain="shop-b.test",
         suffix="test", ip="198.51.100.7", asn=64503)


@pytest.fixture()
def resolver() -> Resolver:
    return Resolver(contacts=Contacts.load([DATA / "contacts.toml"]), rdap=CacheRdap(DATA / "rdap"),
                    processors=world_processors())


@pytest.mark.parametrize(("raw", "expected"), [
    ("mailto:Abuse@Hosting.Example", "Abuse@hosting.example"), ("REDACTED FOR PRIVACY", None), ("", None),
    ("Data Protected", None), ("not an address", None), ("redacted@privacy.example", None),
    ("abuse@registrar.example", "abuse@registrar.example"),
])
def test_placeholders_are_no_contact(raw: str, expected: str | None) -> None:
    assert clean_mailbox(raw) == expected


def test_placeholder_names() -> None:
    assert is_placeholder("REDACTED") and is_placeholder("  ") and not is_placeholder("Example Hosting")


def test_registrar_abuse_is_read_from_the_nested_entity() -> None:
    data = CacheRdap(DATA / "rdap").lookup("domain", "shop-a.test")
    assert data is not None
    found = registrar(data)
    assert found is not None and (found.name, found.address) == ("Example Registrar Ltd", "abuse@registrar.example")
    quiet = CacheRdap(DATA / "rdap").lookup("domain", "shop-b.test")
    assert quiet is not None
    got = registrar(quiet)
    assert got is not None and got.name == "Quiet Registrar" and got.address is None  # REDACTED is no contact


def test_ip_abuse_nested_in_the_registrant() -> None:
    data = CacheRdap(DATA / "rdap").lookup("ip", "192.0.2.10")
    assert data is not None
    contact = abuse_contact(data)
    assert contact is not None and contact.address == "Abuse@hosting.example"


def test_the_whole_ladder_for_a_case(resolver: Resolver) -> None:
    ladder = resolver.ladder(A)
    got = {rung: (r.name, r.address, r.source) if r else None for rung, r in ladder.items()}
    assert got == {
        "host": ("Example Hosting", "Abuse@hosting.example", "rdap:ip"),
        "upstream": ("Example Transit", "abuse@transit.example", "rdap:autnum"),
        "registrar": ("Example Registrar Ltd", "abuse@registrar.example", "rdap:domain"),
        "registry": ("Test Registry", "abuse@registry.example", "contacts"),
        "processor": ("Example Card Gateway", "compliance@cardgate.example", "contacts"),
    }


def test_placeholders_and_empty_mailboxes_leave_a_rung_unreachable(resolver: Resolver) -> None:
    ladder = resolver.ladder(B)
    host, registrar_ = ladder["host"], ladder["registrar"]
    assert host is not None and host.address is None and not host.reachable
    assert registrar_ is not None and registrar_.name == "Quiet Registrar" and not registrar_.reachable
    assert ladder["upstream"] is None and ladder["processor"] is None


def test_the_users_file_wins_over_rdap(resolver: Resolver) -> None:
    case = Case(url="http://c.test/", host="c.test", owner_org="h", marking="TLP:AMBER", ip="192.0.2.10", asn=64502)
    host = resolver.host(case)
    assert host is not None and (host.name, host.address, host.source) == ("Override Hosting", "reports@override-hosting.example", "contacts")


def test_wallet_service_from_the_users_file(resolver: Resolver) -> None:
    got = resolver.wallet("bc1qexamplewallet0000000000000000000000")
    assert got is not None and (got.role, got.name, got.address) == ("wallet_service", "Example Exchange", "compliance@exchange.example")
    assert resolver.wallet("bc1qunknown") is None


def test_an_unreliable_address_is_flagged() -> None:
    resolver = Resolver(rdap=CacheRdap(DATA / "rdap"), unreliable=frozenset({"Abuse@hosting.example"}))
    host = resolver.host(A)
    assert host is not None and not host.reliable and not host.reachable


def test_the_cache_stores_what_upstream_answers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Fake:
        calls = 0

        def lookup(self, kind: str, key: str) -> dict[str, object] | None:
            Fake.calls += 1
            return {"objectClassName": "autnum", "name": "X"}

    cached = CachingRdap(CacheRdap(tmp_path), Fake())
    assert cached.lookup("autnum", "64510") == cached.lookup("autnum", "64510")
    assert Fake.calls == 1 and (tmp_path / "autnum" / "64510.json").is_file()


def test_a_bad_contacts_file_names_the_file_and_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "c.toml"
    bad.write_text('[asn."64500"]\nmailbox = "x@y.example"\n')
    with pytest.raises(ConfigError, match=r"c\.toml.*asn.*mailbox"):
        Contacts.load([bad])
