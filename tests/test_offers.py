"""Offers from sales pages (§2.2): a corpus of price spellings and decoys, spans, bounds.

Neutral placeholder text only: plan names, fictional sites under .test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.enrich.channels import channel_signals
from vigil.enrich.currencies import currency_of
from vigil.enrich.offers import MAX_OFFERS, extract_offers, parse_amount

# (html, [(offer_type, period_days, amount, currency), ...])
CORPUS = [
    ("<p>Gold plan €9.95</p>", [("unknown", None, 9.95, "EUR")]),
    ("<p>Gold 9,95 EUR monthly</p>", [("subscription", 30, 9.95, "EUR")]),
    ("<p>USD 19.99/month</p>", [("subscription", 30, 19.99, "USD")]),
    ("<p>$ 30 for 30 days</p>", [("subscription", 30, 30.0, "USD")]),
    ("<p>19.99 USD per week</p>", [("subscription", 7, 19.99, "USD")]),
    ("<p>£49 a year</p>", [("subscription", 365, 49.0, "GBP")]),
    ("<p>Quarterly access: 45 CHF</p>", [("subscription", 90, 45.0, "CHF")]),
    ("<p>Membership only &euro;19</p>", [("subscription", None, 19.0, "EUR")]),
    ("<p>&#8364;12.50 /mo</p>", [("subscription", 30, 12.5, "EUR")]),
    ("<p>1.299,00 руб. per month</p>", [("subscription", 30, 1299.0, "RUB")]),
    ("<p>1,299.00 UAH per month</p>", [("subscription", 30, 1299.0, "UAH")]),
    ("<p>Lifetime access only 99 USD</p>", [("lifetime", None, 99.0, "USD")]),
    ("<p>Pay per view: 2,50 €</p>", [("pay_per_view", None, 2.5, "EUR")]),
    ("<p>PPV 3 euros</p>", [("pay_per_view", None, 3.0, "EUR")]),
    ("<p>Single set US$4.99</p>", [("per_item", None, 4.99, "USD")]),
    ("<p>3-day trial $1.95</p>", [("trial", 3, 1.95, "USD")]),
    ("<p>C$15 per month</p>", [("subscription", 30, 15.0, "CAD")]),
    ("<p>0.05 BTC per month</p>", [("subscription", 30, 0.05, "XBT")]),
    ("<p>£5 each, £20 for 4 weeks, trial £1</p>",
     [("per_item", None, 5.0, "GBP"), ("subscription", 28, 20.0, "GBP"), ("trial", None, 1.0, "GBP")]),
    # prices in tables: the type is in another cell of the same row
    (("<table><tr><th>Gold</th><td>monthly access</td><td>&euro;9.95</td></tr>"
     "<tr><th>Set</th><td>per set</td><td>$4.99</td></tr></table>"),
     [("subscription", 30, 9.95, "EUR"), ("per_item", None, 4.99, "USD")]),
    # prices in select options
    (('<select name="plan"><option value="1">Gold 30 days - $29.95</option>'
     '<option value="2">Lifetime - $99</option></select>'),
     [("subscription", 30, 29.95, "USD"), ("lifetime", None, 99.0, "USD")]),
    # split by inline markup
    ('<p><span class="cur">€</span><b>7.50</b> weekly</p>', [("subscription", 7, 7.5, "EUR")]),
    # a price right after another block's price: the blocks' text once ran together
    # ("49,00 EURUSD 19.99"), so the look-behinds dropped the second price
    ("<p>49,00 EUR<br>USD 19.99/month</p>", [("unknown", None, 49.0, "EUR"), ("subscription", 30, 19.99, "USD")]),
    ("<ul><li>49,00 EUR</li><li>USD 19.99/month</li></ul>",
     [("unknown", None, 49.0, "EUR"), ("subscription", 30, 19.99, "USD")]),
    ("<ul><li>Set 9.95</li><li>19.99 EUR monthly</li></ul>", [("subscription", 30, 19.99, "EUR")]),
    ("<p>49,00 EUR USD 19.99/month</p>", [("unknown", None, 49.0, "EUR"), ("subscription", 30, 19.99, "USD")]),
]

DECOYS = [
    "<p>Updated 2012-10-01 and 01.10.2012</p>",
    "<p>Call +1 555 0100 or 0800 123 456</p>",
    "<p>12,345 members online, 1.234 sets, since 2009</p>",
    "<p>Visitors: 000123456</p>",
    "<p>10 ft tall, 5 TL, page 3 of 30 days</p>",
    '<script>var price = "$9.95";</script><style>.p:after{content:"€5"}</style>',
    "<!-- €19.99 per month --><p>nothing here</p>",
    '<p><a href="/buy?price=9.95&cur=EUR">Join</a></p>',
    '<img alt="$9.95" src="/x.jpg"><p title="€5">plain</p>',
    "<p>Dollars and euros are welcome</p>",
    "<p>USD12345678</p>",
]


@pytest.mark.parametrize(("html", "want"), CORPUS)
def test_price_spellings(html: str, want: list[tuple[str, int | None, float, str]]) -> None:
    got = [(o.offer_type, o.period_days, o.amount, o.currency) for o in extract_offers(html)]
    assert got == want


@pytest.mark.parametrize("html", DECOYS)
def test_decoys_are_not_prices(html: str) -> None:
    assert extract_offers(html) == []


def test_spans_are_offsets_into_the_html() -> None:
    html = "<html><body><p>Gold USD 19.99/month</p><p>Silver &euro;9.95</p></body></html>"
    first, second = extract_offers(html)
    assert html[first.start:first.end] == "USD 19.99/month"
    assert html[second.start:second.end] == "&euro;9.95"
    html = "<ul><li>49,00 EUR</li><li>USD 19.99/month</li></ul>"
    first, second = extract_offers(html)
    assert (html[first.start:first.end], html[second.start:second.end]) == ("49,00 EUR", "USD 19.99/month")


@pytest.mark.parametrize(("text", "want"), [
    ("9.95", "9.95"), ("9,95", "9.95"), ("1,299.00", "1299.00"), ("1.299,00", "1299.00"), ("1,299", "1299"),
    ("1'299.50", "1299.50"), ("19", "19"), ("0", None), ("100001", None), ("", None),
])  # fmt: skip
def test_parse_amount(text: str, want: str | None) -> None:
    assert parse_amount(text) == (Decimal(want) if want else None)


@pytest.mark.parametrize(("mark", "code"), [
    ("€", "EUR"), ("eur", "EUR"), ("Euro", "EUR"), ("$", "USD"), ("US$", "USD"), ("£", "GBP"), ("руб.", "RUB"),
    ("zł", "PLN"), ("Kč", "CZK"), ("₸", "KZT"), ("R$", "BRL"), ("btc", "XBT"), ("dozen", None), ("", None),
])  # fmt: skip
def test_currency_marks(mark: str, code: str | None) -> None:
    assert currency_of(mark) == code


def test_bounds_hold_on_hostile_pages() -> None:
    many = "<p>€1</p>" * (MAX_OFFERS + 50)
    assert len(extract_offers(many)) == MAX_OFFERS
    unclosed = "<p>€5 monthly</p><!--" + "<p>€9</p>" * 1000
    assert [o.amount for o in extract_offers(unclosed)] == [5.0]
    assert [o.amount for o in extract_offers("<p>€5</p><script>" + "$9 " * 1000)] == [5.0]
    assert extract_offers("<" * 100_000 + "€") == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!-&#;€$£ 0123456789.,abpdiystrmonthEURUSD\"'=")), max_size=300))
def test_never_raises_on_junk(html: str) -> None:
    for offer in extract_offers(html):
        assert 0 <= offer.start <= offer.end <= len(html)
        assert offer.amount > 0


# ---------------------------------------------------------------- channel signals (§2.3)


@pytest.mark.parametrize(("html", "want"), [
    ('<a href="magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567">get</a>', [("p2p", "magnet_link")]),
    ('<a href="ed2k://|file|placeholder.bin|1234|0123456789ABCDEF0123456789ABCDEF|/">x</a>', [("p2p", "ed2k_link")]),
    ('<video data-src="rtmp://stream.example/live/room1"></video>', [("live_streaming", "stream_url")]),
    ('<script src="/player.js"></script><source src="/live/room.m3u8">', [("live_streaming", "hls_playlist")]),
    ('<meta name="generator" content="phpBB 3.0">', [("forum", "forum_generator")]),
    ("<p>Powered by <a href='/'>MyBB</a></p>", [("forum", "forum_powered_by")]),
    ("<p>A magnet for fridges, ed2k notes, powered by steam, a forum of ideas</p>", []),
    ('<a href="magnet:?xt=urn:btih:short">x</a>', []),
])  # fmt: skip
def test_channel_signals(html: str, want: list[tuple[str, str]]) -> None:
    got = channel_signals(html)
    assert [(s.channel, s.signal) for s in got] == want
    for s in got:
        assert 0 <= s.start < s.end <= len(html)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=:?|\"' magnetxurnbih0123456789abcdefed2krtmpsm3u8ForumphpBBpowered")), max_size=300))
def test_channel_signals_never_raise(html: str) -> None:
    channel_signals(html)
