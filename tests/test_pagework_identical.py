"""The per-page work gives the same outputs as before it was made faster.

Stored skeleton IDs, MinHash bytes and identifiers must stay stable across versions.
The expected digests below were computed with the implementation *before* the
per-page speed-ups (token and element caches in the skeleton walk, the Mersenne
reduction in MinHash, the form-owner map in markup), on the pages generated here:
a change to any output on these pages changes a digest.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from typing import Any

from test_fingerprint import Family, altered

from vigil.attribute.fingerprint import fingerprint
from vigil.attribute.identifiers import extract_identifiers

# One real host stays below (a tag manager's iframe): the expected digests were computed
# over exactly these pages with the earlier implementation, which is gone, so no fragment
# can change without losing what the test proves; the host is only parsed, never contacted.
# Fragments of pages, neutral (.test / .example), with rotating ids and classes whose
# digit runs differ (the element cache must not confuse them), Unicode digits,
# separators and whitespace, payment forms, links, scripts and text identifiers.
_FRAGMENTS = (
    "<div>", "</div>", "<p>", "</p>", "<ul id='m-{n}'>", "<li class='item-{n} active'>", "</li>", "</ul>",
    "<div class='card c-{h} c-\u0663{n}' id='item-{n}'>", "<span class='a{n}b x\u00b2 y:{n}.z'>",
    "<div id=' {n} x-y '>", "<td class='{n}'>", "<table><tr><td>", "<select name=s{n}><option>1<option>2</select>",
    "<form action='https://pay.example/x' method=post>", "<form id=f1 action='/checkout'>", "</form>",
    "<input type=hidden name=merchant_id value=M-{n}>", "<input name=cardnumber autocomplete=cc-number>",
    "<input form=f1 type=hidden name=account value=A{n}>", "<button type=submit name=go{n}>",
    "<a href='mailto:sales{n}@shop.test'>", "</a>", "<a href='https://aff.test/?aff_id={n}'>", "<a href='tel:+442079460958'>",
    "<a href='https://pay.example/c?merchant={n}'>", "<iframe src='https://www.googletagmanager.com/ns.html?id=GTM-AB{n}C'>",
    "<script src='/js/app.{h}.js?v={n}'></script>", "<script>var a = '{n}'; gtag('UA-12345-{n}');</script>",
    "<style>.a{{b:{n}px}}</style>", "<link rel='stylesheet' href='//cdn.test/s-{n}.css'>", "<meta name='k{n}' content='x'>",
    "<meta charset=utf-8>", "<img src='/i/{n}.png' alt='mail info{n}@shop.test'>", "<!-- note {n} -->",
    "call +44 20 7946 0958 now ", "IBAN GB82 WEST 1234 5698 7654 32 ", "pay 1BoatSLRHtKNngkdXEeobR76b53LETtpyT ",
    "x [at] y [dot] test ", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359 ", "<br/>", "<textarea>a<b></textarea>",
    "<base href='https://other.test/'>", "<P CLASS='Up{n}'>", "<div data-mail='z{n}@q.test' title='Phone: +1 202 555 0143'>",
)  # fmt: skip


def _pages() -> Iterator[tuple[str | None, str | bytes]]:
    rng = random.Random(20240611)
    for i in range(60):
        family = Family.make(i) if i % 3 else altered(Family.make(i), i, 2)
        yield f"https://shop{i}.test/a/", family.capture(rng)
    for i in range(240):
        parts = []
        for _ in range(rng.randint(0, 80)):
            fragment = rng.choice(_FRAGMENTS)
            parts.append(fragment.format(n=rng.randint(0, 10**rng.randint(1, 6)), h=f"{rng.getrandbits(28):x}"))
        page = "".join(parts)
        if i % 17 == 0:
            page = "<div>" * rng.randint(100, 300) + page
        yield rng.choice([None, "https://shop.test/a/", "http://[::1"]), page.encode() if i % 5 == 0 else page
    yield None, b""
    yield None, "<" * 3000
    yield None, bytes(range(256)) * 8


def _digests(
    fingerprint: Callable[..., Any], extract_identifiers: Callable[..., Any]
) -> tuple[str, str]:  # fmt: skip
    """SHA-256 of every template (ID, MinHash bytes, counts, explanation) and every identifier."""
    templates, identifiers = hashlib.sha256(), hashlib.sha256()
    for url, html in _pages():
        t = fingerprint(html)
        row = (t.template_id, t.signature_bytes().hex(), t.features, t.top_features, t.kinds)
        templates.update(repr((row, t.elements, t.truncated, t.depth_limited)).encode())
        found = [(f.kind, f.value, f.where, f.raw) for f in extract_identifiers(html, base_url=url)]
        identifiers.update(repr(found).encode())
    return templates.hexdigest(), identifiers.hexdigest()


# Computed with the implementation before the speed-ups (see the module docstring).
EXPECTED_TEMPLATES = "aa412b1fea1212276f66bc2e00a21e2b8ec22d2de07f826c89a13b78baafc6de"
EXPECTED_IDENTIFIERS = "fd11f068a34c95cd849def5dd8491f403f1c0dcae622668a45a8688231307eed"


def test_templates_and_identifiers_are_unchanged() -> None:
    templates, identifiers = _digests(fingerprint, extract_identifiers)
    assert templates == EXPECTED_TEMPLATES
    assert identifiers == EXPECTED_IDENTIFIERS
