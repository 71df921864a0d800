"""Every synthetic world is reserved or fictional, in every file (issue 17): the §3 and §4
worlds, in namespaces of their own and with more decoys and mutations. Host names, e-mail
domains (plain, obfuscated or written as entities), phone numbers, IP addresses and ASNs
(both bounds of the private ranges) are all checked, not sampled."""

from __future__ import annotations

import gzip
import html
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from worlds import World

from vigil.synth.captures.identifiers import UK_DRAMA
from vigil.synth.hosting import RESERVED_NETWORKS

RESERVED_TLDS = (".test", ".example", ".invalid")
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606
#: Private-use (RFC 6996) and documentation (RFC 5398) ASNs: nothing else may appear.
PRIVATE_ASNS = ((64496, 64511), (64512, 65534), (65536, 65551), (4200000000, 4294967294))

WORLDS = {
    "s3 in namespace 499": {"seed": 7, "reports": 2000, "namespace": 499},
    "s4": {"profile": "s4", "seed": 2012},
    "s4 in namespace 0 with twice the decoys and mutations": {"profile": "s4", "seed": 3, "namespace": 0, "decoys": 2.0, "mutations": 2.0},
    "noisy, every spelling": {"profile": "noisy", "seed": 2012},
}

_URL_HOST = re.compile(r"(?:https?|ftp|wss?)://(?:[^/?#\s\"'<>@]*@)?(\[[^\]]*\]|[^/?#\s\"'<>:,)]+)", re.IGNORECASE)
# The domain is what must be reserved: matching from the "@" (or "[at]") keeps the scan linear.
_EMAIL = re.compile(r"(?<=[A-Za-z0-9._%+-])@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_OBFUSCATED = re.compile(r"[\[(]at[\])]\s*([A-Za-z0-9-]+(?:\s*[\[(]dot[\])]\s*[A-Za-z0-9-]+)+)", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])(\+\d[\d ()-]{7,18}\d)(?![\w])")
_IPV4 = re.compile(r"(?<![\w.:])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])")


def _reserved(domain: str) -> bool:
    name = domain.lower().rstrip(".").strip("[]")
    return name.endswith(RESERVED_TLDS) or any(name == d or name.endswith("." + d) for d in RESERVED_DOMAINS)


def _fictional_phone(number: str) -> bool:
    digits = "+" + re.sub(r"\D", "", number.replace("(0)", ""))  # +44 (0)20 ...: the trunk 0 is not dialled
    return digits[:-3] in UK_DRAMA or bool(re.fullmatch(r"\+1[2-9]\d{2}55501\d{2}", digits))


def _texts(world: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(world.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            yield str(path.relative_to(world)), html.unescape(raw.decode("utf-8", "surrogateescape"))


def _asns(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "asn" and isinstance(item, int):
                yield item
            else:
                yield from _asns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _asns(item)


@pytest.fixture(scope="module", params=sorted(WORLDS))
def world(request: pytest.FixtureRequest, synth_world: Callable[..., World]) -> Path:
    return synth_world(**WORLDS[request.param]).path  # the s4 world is the one other tests share


@pytest.mark.slow
def test_every_name_number_and_address_in_the_world_is_reserved_or_fictional(world: Path) -> None:
    seen = {"hosts": 0, "emails": 0, "obfuscated": 0, "phones": 0, "ips": 0, "asns": 0}
    bad: list[str] = []
    for name, text in _texts(world):
        assert ".onion" not in text, name
        for host in _URL_HOST.findall(text):
            seen["hosts"] += 1
            if _reserved(host):
                continue
            try:
                ip = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                bad.append(f"{name}: host {host}")
                continue
            if not any(ip in net for net in RESERVED_NETWORKS):
                bad.append(f"{name}: URL with address {host}")
        for domain in _EMAIL.findall(text):
            seen["emails"] += 1
            if not _reserved(domain) and not re.fullmatch(r"\d+(?:\.\d+)+", domain):
                bad.append(f"{name}: e-mail domain {domain}")
        for domain in _OBFUSCATED.findall(text):
            seen["obfuscated"] += 1
            plain = re.sub(r"\s*[\[(]dot[\])]\s*", ".", domain, flags=re.IGNORECASE)
            if not _reserved(plain):
                bad.append(f"{name}: obfuscated e-mail domain {plain}")
        for number in _PHONE.findall(text):
            if len(re.sub(r"\D", "", number)) < 10:
                continue
            seen["phones"] += 1
            if not _fictional_phone(number):
                bad.append(f"{name}: phone {number}")
        for text_ip in [*_IPV4.findall(text), *(m for m in _IPV6.findall(text) if "::" in m)]:
            try:
                ip = ipaddress.ip_address(text_ip)
            except ValueError:
                continue  # a deliberately bad address (999.1.2.3) or not an address at all
            seen["ips"] += 1
            if not any(ip in net for net in RESERVED_NETWORKS):
                bad.append(f"{name}: IP {text_ip}")
        if name.endswith(".json"):
            for asn in _asns(json.loads(text)):
                seen["asns"] += 1
                if not any(low <= asn <= high for low, high in PRIVATE_ASNS):
                    bad.append(f"{name}: ASN {asn}")
    for line in (world / "iptoasn.tsv").read_text().splitlines():
        start, end, asn, _country, organisation = line.split("\t")
        seen["asns"] += 1
        if not any(low <= int(asn) <= high for low, high in PRIVATE_ASNS):
            bad.append(f"iptoasn.tsv: ASN {asn}")
        if not any(ipaddress.ip_address(start) in n and ipaddress.ip_address(end) in n for n in RESERVED_NETWORKS):
            bad.append(f"iptoasn.tsv: range {start}-{end}")
        if " Example " not in organisation:
            bad.append(f"iptoasn.tsv: organisation {organisation}")
    assert not bad, bad[:20]
    # the scan saw each kind of value: a pattern that matches nothing would prove nothing
    assert all(seen[k] > 0 for k in ("hosts", "emails", "ips", "asns")), seen
    if (world / "truth" / "attribution.json").exists():
        assert seen["obfuscated"] > 0 and seen["phones"] > 0, seen


def test_the_checks_catch_what_they_look_for() -> None:
    assert not _reserved("photoclub.uk") and not _reserved("example.com.evil.test.co") and _reserved("a.example.com")
    assert _reserved("shop.test") and _reserved("[2001:db8::1]") is False
    assert _fictional_phone("+44 20 7946 0123") and _fictional_phone("+1 202 555 0143")
    assert not _fictional_phone("+44 20 7123 4567") and not _fictional_phone("+1 202 555 0200")
    assert _OBFUSCATED.findall("sales [at] shop [dot] test") == ["shop [dot] test"]
    assert not any(low <= 15169 <= high for low, high in PRIVATE_ASNS)
    assert not any(low <= 4294967295 <= high for low, high in PRIVATE_ASNS)
    assert any(low <= 65534 <= high for low, high in PRIVATE_ASNS) and not any(low <= 65535 <= high for low, high in PRIVATE_ASNS)
