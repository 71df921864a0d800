"""Key identifiers where real pages put them (issue 15 item 4), one table per kind.

Each spelling of one value must resolve to that value; each hostile or malformed
variant must yield nothing of the kind. Fictional values only: hosts under .test,
Ofcom's drama range (+44 20 7946 0xxx), made-up account IDs. The e-mail spellings are
also applied to the isemail vectors from ../shared/vectors, read in place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from vigil.attribute.identifiers import KINDS, extract_identifiers
from vigil.attribute.processors import Processors
from vigil.enrich.accounts import clean_email
from vigil.enrich.offers import extract_offers

PROCESSORS_TOML = """
[[processor]]
name = "Example Card Gateway"
hosts = ["pay.processor.test"]
payment_type = "credit_card"
shared_checkout = true
"""
SHOP = "https://www.photoclub.test/join.html"
ACCOUNT = "example-card-gateway/AB12345"
PHONE = "+442079460123"
EMAIL = "sales@photoclub.test"


@pytest.fixture(scope="module")
def processors(tmp_path_factory: pytest.TempPathFactory) -> Processors:
    path = tmp_path_factory.mktemp("procs") / "processors.toml"
    path.write_text(PROCESSORS_TOML, encoding="utf-8")
    return Processors.load([path])


def _values(html: str, kind: str, processors: Processors, base_url: str | None = SHOP) -> set[str]:
    return {i.value for i in extract_identifiers(html, base_url=base_url, processors=processors) if i.kind == kind}


# --------------------------------------------------------------------------- merchant accounts

def _form(action: str, body: str = '<input name="amount" value="9">') -> str:
    return f'<form method="post" action="{action}">{body}</form>'


def _link(href: str) -> str:
    return f'<p><a href="{href}">Join now</a></p>'


MERCHANT_SPELLINGS = [
    ("hidden input", _form("https://pay.processor.test/checkout", '<input type="hidden" name="mid" value="AB12345">')),
    ("form query mid", _form("https://pay.processor.test/checkout?mid=AB12345")),
    ("form query merchant_id, lower case", _form("https://pay.processor.test/checkout?lang=en&merchant_id=ab12345")),
    ("form query field name in capitals", _form("https://pay.processor.test/checkout?MID=AB12345")),
    ("form path /m/", _form("https://pay.processor.test/m/AB12345/checkout")),
    ("form path on a subdomain", _form("https://eu.pay.processor.test/merchants/AB12345/pay")),
    ("link query account", _link("https://pay.processor.test/checkout?account=AB12345")),
    ("link path /m/", _link("https://pay.processor.test/m/AB12345/checkout")),
    ("link path /merchant/, lower case", _link("https://pay.processor.test/merchant/ab12345")),
    ("link path /Shop/, percent-encoded", _link("https://pay.processor.test/Shop/%41B12345/buy?x=1")),
    ("link path /seller/, query too", _link("https://pay.processor.test/seller/AB12345/go?merchant=AB12345")),
]


@pytest.mark.parametrize(("name", "html"), MERCHANT_SPELLINGS, ids=[c[0] for c in MERCHANT_SPELLINGS])
def test_merchant_account_spellings(name: str, html: str, processors: Processors) -> None:
    assert _values(html, "merchant_account", processors) == {ACCOUNT}


def test_merchant_in_an_offsite_form_query_makes_a_payment_form(processors: Processors) -> None:
    """An unknown gateway's action with ?merchant_id= is a payment form like one with the hidden field."""
    html = _form("https://gw.other.test/pay?merchant_id=77123")
    found = {(i.kind, i.value) for i in extract_identifiers(html, base_url=SHOP, processors=processors)}
    assert ("merchant_account", "gw.other.test/77123") in found
    assert ("payment_form", "https://gw.other.test/pay") in found


def test_shared_checkout_url_links_nothing_but_its_account_does(processors: Processors) -> None:
    html = _form("https://pay.processor.test/m/AB12345/checkout")
    by_kind = {i.kind: i for i in extract_identifiers(html, base_url=SHOP, processors=processors)}
    assert by_kind["merchant_account"].where == "form[action]"
    assert by_kind["merchant_account"].raw == "m/AB12345"
    assert not KINDS["processor_checkout"].pivot and KINDS["merchant_account"].pivot


MERCHANT_HOSTILE = [
    ("path word, no account", _link("https://pay.processor.test/m/checkout/pay")),
    ("path ID too short", _link("https://pay.processor.test/m/A12/pay")),
    ("path ID with two digits", _link("https://pay.processor.test/m/AB12CD/pay")),
    ("path ID too long", _link("https://pay.processor.test/m/" + "A1" * 40 + "/pay")),
    ("path ID with a space", _link("https://pay.processor.test/m/AB%2012345/pay")),
    ("path ID with markup", _link("https://pay.processor.test/m/%3Cb%3E12345/pay")),
    ("path marker last", _link("https://pay.processor.test/checkout/m")),
    ("path marker not a segment", _link("https://pay.processor.test/shopping/AB12345/pay")),
    ("path on an unknown host", _link("https://shop.other.test/m/AB12345/checkout")),
    ("path on the page's own site", _link("/m/AB12345/checkout")),
    ("query on an unknown host link", _link("https://shop.other.test/buy?mid=AB12345")),
    ("query placeholder", _link("https://pay.processor.test/checkout?mid={{merchant}}")),
    ("query blank", _link("https://pay.processor.test/checkout?mid=")),
    ("query non-merchant field", _link("https://pay.processor.test/checkout?order=AB12345")),
    ("own-site form with an account query", _form("/search?account=AB12345")),
    ("form query on an unknown host, not payment", _form("https://other.test/search?q=AB12345")),
    ("hostile URL", _link("https://pay.processor.test:99999/m/AB12345/x")),
    ("not http", _link("javascript://pay.processor.test/m/AB12345/x")),
]


@pytest.mark.parametrize(("name", "html"), MERCHANT_HOSTILE, ids=[c[0] for c in MERCHANT_HOSTILE])
def test_merchant_account_hostile(name: str, html: str, processors: Processors) -> None:
    assert _values(html, "merchant_account", processors) == set()


# --------------------------------------------------------------------------- e-mail

EMAIL_SPELLINGS = [
    ("plain", "<p>sales@photoclub.test</p>"),
    ("upper-case domain", "<p>Sales@PHOTOCLUB.TEST</p>"),
    ("brackets", "<p>sales [at] photoclub [dot] test</p>"),
    ("parentheses", "<p>sales(at)photoclub(dot)test</p>"),
    ("braces, capitals inside", "<p>sales {AT} photoclub {Dot} test</p>"),
    ("bracketed symbols", "<p>sales[@]photoclub[.]test</p>"),
    ("capital words", "<p>SALES AT PHOTOCLUB DOT TEST</p>"),
    ("words after e-mail cue", "<p>E-mail: sales at photoclub dot test</p>"),
    ("words after contact cue, no-break spaces", "<p>Contact&nbsp;sales&nbsp;at&nbsp;photoclub&nbsp;dot&nbsp;test</p>"),
    ("words and brackets mixed", "<p>Mail sales at photoclub [dot] test.</p>"),
    ("spaced @ after cue", "<p>email: sales @ photoclub.test</p>"),
    ("decimal entity", "<p>sales&#64;photoclub.test</p>"),
    ("hex entity", "<p>sales&#x40;photoclub&#46;test</p>"),
    ("named entity", "<p>sales&commat;photoclub&period;test</p>"),
    ("entities left in a comment", "<p>Hi</p><!-- sales &commat; photoclub &period; test -->"),
    ("split across inline elements", "<p><span>sales</span><span>@</span><b>photoclub</b>.<i>test</i></p>"),
    ("split, upper case, comment inside", "<p>SALES<!-- x -->@<span>PhotoClub</span>.TEST</p>"),
    ("mailto with upper case", '<a href="mailto:SALES@PHOTOCLUB.TEST">write</a>'),
    ("mailto percent-encoded", '<a href="mailto:sales%40photoclub.test">write</a>'),
]


@pytest.mark.parametrize(("name", "html"), EMAIL_SPELLINGS, ids=[c[0] for c in EMAIL_SPELLINGS])
def test_email_spellings(name: str, html: str, processors: Processors) -> None:
    assert _values(html, "email", processors) == {EMAIL}


EMAIL_HOSTILE = [
    ("prose at and dot", "<p>We meet at noon dot today and at home.</p>"),
    ("prose after a cue", "<p>Contact us at photoclub dot test</p>"),
    ("prose with a name after a cue", "<p>Contact our team at photoclub.test for help</p>"),
    ("words without a cue", "<p>sales at photoclub dot test</p>"),
    ("word at, plain dots", "<p>E-mail: sales at photoclub.test</p>"),
    ("cue too far away", "<p>E-mail " + "x " * 40 + "sales at photoclub dot test</p>"),
    ("handle after a line break", "<p>Contact</p><p>@photoclub.test</p>"),
    ("social handle", "<p>Follow @photoclub.test</p>"),
    ("file name", "<p>logo@2x.png and sales [at] photoclub [dot] png</p>"),
    ("one-letter top label", "<p>E-mail: sales at photoclub dot t</p>"),
    ("no domain", "<p>E-mail: sales [at] [dot] test</p>"),
    ("no local part", "<p>E-mail: [at] photoclub [dot] test</p>"),
    ("entity in a script is code", "<script>var m = 'sales&commat;photoclub.test';</script>"),
    ("repeated words", "<p>e-mail: " + "a at " * 3000 + "</p>"),
]


@pytest.mark.parametrize(("name", "html"), EMAIL_HOSTILE, ids=[c[0] for c in EMAIL_HOSTILE])
def test_email_hostile(name: str, html: str, processors: Processors) -> None:
    assert _values(html, "email", processors) == set()


_SIMPLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
_OBFUSCATIONS: list[tuple[str, Callable[[str, str], str]]] = [
    ("brackets", lambda local, domain: f"{local} [at] {domain.replace('.', ' [dot] ')}"),
    ("parentheses", lambda local, domain: f"{local}(at){domain.replace('.', '(dot)')}"),
    ("words after a cue", lambda local, domain: f"E-mail: {local} at {domain.replace('.', ' dot ')}"),
    ("entity", lambda local, domain: f"{local}&#64;{domain}"),
    ("upper-case domain", lambda local, domain: f"{local}@{domain.upper()}"),
    ("split", lambda local, domain: f"<span>{local}</span>@<b>{domain}</b>"),
]


def _isemail(vectors_dir: Path) -> list[dict[str, str]]:
    cases: list[dict[str, str]] = []
    for name in ("isemail_tests.json", "isemail_tests-original.json"):
        cases.extend(json.loads((vectors_dir / "email" / name).read_text(encoding="utf-8")))
    return cases


def test_isemail_valid_addresses_in_every_spelling(vectors_dir: Path, vector_score: Callable[..., None],
                                                   processors: Processors) -> None:  # fmt: skip
    """Each plainly valid isemail address that a page's plain text yields (a simple local part,
    at most nine labels), in each spelling, resolves to the same address."""
    valid = {c["address"] for c in _isemail(vectors_dir) if c["category"] in ("ISEMAIL_VALID", "ISEMAIL_DNSWARN")}
    simple = sorted(a for a in valid if _SIMPLE.fullmatch(a) and clean_email(a))
    usable = [a for a in simple if _values(f"<p>{a}</p>", "email", processors) == {clean_email(a)}]
    vector_score("isemail valid, simple, found in plain text", len(usable), len(simple))
    assert len(usable) >= 5, "too few usable isemail vectors to say anything"
    passed = total = 0
    failures = []
    for address in usable:
        local, domain = address.split("@")
        for name, spell in _OBFUSCATIONS:
            total += 1
            got = _values(f"<p>{spell(local, domain)}</p>", "email", processors)
            if got == {clean_email(address)}:
                passed += 1
            else:
                failures.append((name, address, got))
    vector_score(f"isemail valid, {len(_OBFUSCATIONS)} spellings", passed, total)
    assert not failures


def test_isemail_invalid_addresses_stay_invalid_when_obfuscated(vectors_dir: Path, vector_score: Callable[..., None],
                                                               processors: Processors) -> None:  # fmt: skip
    """An invalid address, obfuscated, never comes back as itself repaired; whatever is found
    in its text is a valid address on its own (``clean`` is its fixed point)."""
    invalid = sorted({c["address"] for c in _isemail(vectors_dir) if c["category"] == "ISEMAIL_ERR" and "@" in c["address"]})
    checked = 0
    for address in invalid:
        local, _, domain = address.rpartition("@")
        for _name, spell in _OBFUSCATIONS[:4]:
            for value in _values(f"<p>{spell(local, domain)}</p>", "email", processors):
                assert value != address.lower(), address
                assert clean_email(value) == value
            checked += 1
    vector_score("isemail ERR, obfuscated", checked, len(invalid) * 4)


# --------------------------------------------------------------------------- phone numbers

PHONE_SPELLINGS = [
    ("plus, spaces", "<p>Call +44 20 7946 0123</p>", SHOP),
    ("plus, trunk zero in brackets", "<p>Call +44 (0)20 7946 0123</p>", SHOP),
    ("plus, spaced trunk zero", "<p>Phone: +44 (0) 20 7946 0123</p>", SHOP),
    ("00, unknown country", "<p>Call 0044 20 7946 0123</p>", SHOP),
    ("00 spaced, unknown country", "<p>SMS 00 44 20 7946 0123</p>", SHOP),
    ("00 with trunk zero", "<p>Tel 0044 (0)20 7946 0123</p>", SHOP),
    ("00 with hyphens", "<p>Call 0044-20-7946-0123</p>", SHOP),
    ("00 on a US page", "<p>Call 0044 20 7946 0123</p>", "https://shop.photoclub.us/"),
    ("00 on an AU page", "<p>Call 0044 20 7946 0123</p>", "https://shop.photoclub.au/"),
    ("00 on a DE page", "<p>Call 0044 20 7946 0123</p>", "https://shop.photoclub.de/"),
    ("national on a UK page", "<p>Call 020 7946 0123</p>", "https://shop.photoclub.uk/"),
    ("tel: plus", '<a href="tel:+44-20-7946-0123">call</a>', SHOP),
    ("tel: trunk zero", '<a href="tel:+44(0)2079460123">call</a>', SHOP),
    ("tel: 00", '<a href="tel:00442079460123">call</a>', SHOP),
    ("tel: 00 spaced, US page", '<a href="tel:00 44 20 7946 0123">call</a>', "https://shop.photoclub.us/"),
    ("tel: US international prefix", '<a href="tel:011 44 20 7946 0123">call</a>', "https://shop.photoclub.us/"),
    ("tel: percent-encoded", '<a href="tel:%2B44%2020%207946%200123">call</a>', SHOP),
    ("sms: 00", '<a href="sms:0044 20 7946 0123?body=hi">text</a>', SHOP),
]


@pytest.mark.parametrize(("name", "html", "base"), PHONE_SPELLINGS, ids=[c[0] for c in PHONE_SPELLINGS])
def test_phone_spellings(name: str, html: str, base: str, processors: Processors) -> None:
    assert _values(html, "phone", processors, base) == {PHONE}


def test_phone_raw_is_as_written(processors: Processors) -> None:
    """A number read with "00" as "+" keeps the text as the page wrote it."""
    found = extract_identifiers("<p>Call 00 44 20 7946 0123</p>", base_url=SHOP, processors=processors)
    assert [(i.value, i.raw) for i in found] == [(PHONE, "00 44 20 7946 0123")]


def test_every_number_after_one_cue_is_read(processors: Processors) -> None:
    """ "Call A or B": both numbers follow the one cue word, within its 60 characters."""
    html = "<p>Call +44 20 7946 0123 or 0044 20 7946 0124, or +44 20 7946 0125</p>"
    found = {i.value for i in extract_identifiers(html, base_url=SHOP, processors=processors) if i.kind == "phone"}
    assert found == {PHONE, "+442079460124", "+442079460125"}


def test_a_number_far_after_the_cue_is_not_read(processors: Processors) -> None:
    html = "<p>Call +44 20 7946 0123. " + "Unrelated words follow here. " * 4 + "Order 0044 20 7946 0124</p>"
    found = {i.value for i in extract_identifiers(html, base_url=SHOP, processors=processors) if i.kind == "phone"}
    assert found == {PHONE}


PHONE_HOSTILE = [
    ("no cue", "<p>Order 0044 20 7946 0123</p>", SHOP),
    ("inside a longer number", "<p>Call 10044 20 7946 0123</p>", SHOP),
    ("local only, plus", "<p>Call +44 7946 0123</p>", SHOP),
    ("tel: local only, plus", '<a href="tel:+44 7946 0123">call</a>', SHOP),
    ("tel: local only, national", '<a href="tel:7946 0123">call</a>', "https://shop.photoclub.uk/"),
    ("tel: national, no country", '<a href="tel:020 7946 0123">call</a>', SHOP),
    ("tel: 00 alone", '<a href="tel:00">call</a>', SHOP),
    ("tel: 00 then zeros", '<a href="tel:0000000000">call</a>', SHOP),
    ("tel: country code that does not exist", '<a href="tel:+999 1234 5678">call</a>', SHOP),
    ("tel: too short", '<a href="tel:+44 20">call</a>', SHOP),
    ("tel: letters", '<a href="tel:+44 CALL NOW">call</a>', SHOP),
    ("00 00 run", "<p>Call 00 00 00 00 00 00</p>", SHOP),
    ("date after cue", "<p>Call 2012-10-01</p>", SHOP),
    ("price after cue", "<p>Call now: 1,299.00 per month</p>", SHOP),
    ("possible, not valid, in text", "<p>Call +44 99 1234 5678</p>", SHOP),
    ("00, not valid, in text", "<p>Call 0044 11 1111 1111</p>", SHOP),
]


@pytest.mark.parametrize(("name", "html", "base"), PHONE_HOSTILE, ids=[c[0] for c in PHONE_HOSTILE])
def test_phone_hostile(name: str, html: str, base: str, processors: Processors) -> None:
    assert _values(html, "phone", processors, base) == set()


@pytest.mark.parametrize("raw", ["0044 20 7946 0123", "+44 (0)20 7946 0123", "+442079460123", "0044-20-7946-0123"])
def test_phone_clean_international_spellings(raw: str) -> None:
    assert KINDS["phone"].clean(raw) == PHONE


@pytest.mark.parametrize("raw", ["020 7946 0123", "+44 7946 0123", "+999 1234 5678", "00", "+", "tel", "0" * 70])
def test_phone_clean_rejects(raw: str) -> None:
    assert KINDS["phone"].clean(raw) is None


# --------------------------------------------------------------------------- prices: never a pivot

PRICES = ("<ul><li>Gold 49,00 EUR</li><li>USD 19.99/month</li><li>£5 each</li><li>&euro;12.50 /mo</li>"
          "<li>1.299,00 руб. per month</li><li>0.05 BTC per month</li></ul>")  # fmt: skip


def test_prices_are_market_figures_never_identifiers(processors: Processors) -> None:
    """Prices and currencies are read for the market figures (enrich/offers.py) and are no
    identifier kind: a page of prices yields offers, and no identifier at all."""
    assert len(extract_offers(PRICES)) == 6
    assert extract_identifiers(PRICES, base_url=SHOP, processors=processors) == []
    assert not {"price", "currency", "offer", "amount"} & set(KINDS)
