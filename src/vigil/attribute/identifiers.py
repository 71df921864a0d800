"""Key identifiers: the values on a captured page that tie it to an operator.

Brands belong to one distributor when they share a *specific* key identifier: the
same merchant account, e-mail, payment-form URL, wallet, phone number, IBAN,
affiliate or analytics ID (assessment §4). This module defines the identifier
kinds, FollowTheMoney-style, and :func:`extract_identifiers`, a pure function from
one captured HTML page to the identifiers on it.

Each kind is one declaration, here and nowhere else: its ``name``, ``clean(raw) ->
str | None`` (normalise, or reject with ``None``; never raises, idempotent), ``pivot``
(may a shared value link brands?), ``specificity`` (0..1, how strongly a shared value
links operators), ``payment`` (what it says about a page's payment type, §5),
``finders`` (where on a page it is looked for), ``version`` (raise it when ``clean`` or
a finder changes what is found) and the two lines of its row in docs/identifiers.md.
The page scan (:mod:`~vigil.attribute.pagescan`), the per-page cache key
(:func:`vigil.attribute.pages.code_digest`), the payment mapping
(:mod:`vigil.analyse.payments`) and the documented table (:func:`kinds_table`) are all
derived from :data:`KINDS`.

Modules, top down: this one (kinds, ``clean``, the public function);
:mod:`~vigil.attribute.kindspec` (finder and payment declarations, URI-scheme finders);
:mod:`~vigil.attribute.pagescan` (which element, attribute or text each candidate
comes from); :mod:`~vigil.attribute.textscan` (finders over free text);
:mod:`~vigil.attribute.markup` (hostile HTML bounded in size, encoding and depth,
parsed with lxml); :mod:`~vigil.attribute.processors` (the TOML patterns) and
:mod:`~vigil.attribute.crypto` (Base58Check, Bech32/Bech32m, Keccak-256, EIP-55).
Every rule and departure is in docs/identifiers.md.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Final

import phonenumbers
from schwifty import IBAN
from schwifty.exceptions import NationalChecksumNotVerified

from vigil.attribute import crypto
from vigil.attribute.kindspec import (
    Finder,
    LinkFinder,
    PageFinder,
    Payment,
    TextFinder,
    bitcoin_address,
    ethereum_addresses,
    mailto_addresses,
    tel_numbers,
)
from vigil.attribute.pagescan import scan_page
from vigil.attribute.processors import Processors, default_processors, slug
from vigil.attribute.textscan import (
    find_btc,
    find_emails,
    find_eth,
    find_ibans,
    find_obfuscated_emails,
    find_phones,
    find_worded_emails,
)
from vigil.enrich.accounts import PLACEHOLDER, clean_account, clean_email
from vigil.errors import InvalidURL
from vigil.urls import canonicalize_url

__all__ = [
    "KINDS",
    "Identifier",
    "IdentifierKind",
    "LinkFinder",
    "PageFinder",
    "Payment",
    "TextFinder",
    "extract_identifiers",
    "kinds_table",
]

# schwifty warns for each country whose national check digits it cannot verify; the
# IBAN's own mod-97 check and the country's format are still checked.
warnings.filterwarnings("ignore", category=NationalChecksumNotVerified)

#: How much of the text as found an :class:`Identifier` keeps.
RAW_LIMIT: Final = 200


@dataclass(frozen=True, slots=True)
class Identifier:
    """One key identifier found on a page."""

    kind: str  # a key of KINDS
    value: str  # normalised by KINDS[kind].clean
    where: str  # e.g. "form[action]", "input[name=merchant_id]", "a[href=mailto]", "text", "script"
    raw: str  # the text as found, at most RAW_LIMIT characters


class IdentifierKind:
    """A kind of key identifier, declared once: name, linking, ``clean``, payment, finders.

    ``version`` is part of the per-page cache key (:func:`vigil.attribute.pages.code_digest`); ``value`` and
    ``found_in`` are its row in docs/identifiers.md (:func:`kinds_table`).
    """

    name: ClassVar[str] = ""
    pivot: ClassVar[bool] = True
    specificity: ClassVar[float] = 0.5
    payment: ClassVar[Payment | None] = None
    finders: ClassVar[tuple[Finder, ...]] = ()
    version: ClassVar[int] = 1
    value: ClassVar[str] = ""
    found_in: ClassVar[str] = ""

    def clean(self, raw: str) -> str | None:
        """The normalised value, or ``None`` when ``raw`` is not one of these."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} pivot={self.pivot} specificity={self.specificity}>"


_SCOPE: Final = re.compile(r"[a-z0-9][a-z0-9._\[\]:-]{0,252}")
_EVERYWHERE: Final = ("text", "comment", "script", "attribute")


class MerchantAccount(IdentifierKind):
    """An account ID in a payment form or link: links brands to one operator."""

    name = "merchant_account"
    specificity = 0.95
    payment = Payment(processor="scope")
    finders = (PageFinder("merchant"),)
    version = 2  # 2: merchant fields in a form action's query; accounts in a processor URL's path
    value = ("`scope/ACCOUNT`: scope is the processor's slug, else the form's action host; the account "
             "without spaces, upper-cased (an e-mail lower-cased)")  # fmt: skip
    found_in = ("hidden inputs of a payment form whose names are merchant fields, and such fields in its action's "
                "query; merchant parameters of links to a processor; the path segment after a `merchant_path` "
                "segment of a processor's URL (`/m/AB12345/checkout`)")  # fmt: skip

    def clean(self, raw: str) -> str | None:
        scope, sep, account = raw.strip().partition("/")
        scope = scope.strip().lower()
        if not sep or not _SCOPE.fullmatch(scope):
            return None
        cleaned = clean_account(account)  # test purchases' accounts go through the same function
        return f"{scope}/{cleaned}" if cleaned else None


class PaymentForm(IdentifierKind):
    """The URL a payment form posts to, when it is the operator's own."""

    name = "payment_form"
    specificity = 0.9
    payment = Payment(processor="host")
    finders = (PageFinder("form_action"),)
    value = "the canonical action URL (`vigil.urls`), http(s), without query or fragment"
    found_in = ("forms that post to a processor *without* a shared checkout, that ask for a card, "
                "or that post off-site with a hidden merchant field")  # fmt: skip

    def clean(self, raw: str) -> str | None:
        return _form_url(raw)


class ProcessorCheckout(IdentifierKind):
    """A processor's public checkout URL, shared by all its merchants: evidence only."""

    name = "processor_checkout"
    pivot = False
    specificity = 0.05
    payment = Payment(processor="host")
    finders = (PageFinder("shared_checkout"),)
    value = "as `payment_form`"
    found_in = "forms that post to a processor with a shared checkout"

    def clean(self, raw: str) -> str | None:
        return _form_url(raw)


class PaymentProcessor(IdentifierKind):
    """A known processor the page pays through: payment-type evidence, never a link."""

    name = "payment_processor"
    pivot = False
    specificity = 0.0
    payment = Payment(processor="name")
    finders = (PageFinder("processor"),)
    value = "the processor's slug (`example-card-gateway`)"
    found_in = "form actions, links, scripts, frames and images on a listed processor host"

    def clean(self, raw: str) -> str | None:
        return slug(raw) if any(c.isalnum() for c in raw) and len(raw) <= 200 else None


class Email(IdentifierKind):
    """A contact or payment e-mail address."""

    name = "email"
    specificity = 0.9
    finders = (
        TextFinder(find_emails, _EVERYWHERE),
        TextFinder(find_obfuscated_emails, ("text", "comment")),
        TextFinder(find_worded_emails, ("text", "comment")),
        LinkFinder((("mailto", "mailto"),), mailto_addresses),
        PageFinder("merchant_field"),
    )
    version = 2  # 2: worded after a cue ("at", "dot", " @ "), [@], &commat;; merchant fields of action queries
    value = "`local@domain` lower-cased, the domain as IDNA"
    found_in = ("text (also written to defeat scrapers), `mailto:` links (with `to`/`cc`/`bcc`), merchant fields, "
                "comments, scripts, attributes")  # fmt: skip

    def clean(self, raw: str) -> str | None:
        return clean_email(raw.strip())


class BtcAddress(IdentifierKind):
    """A Bitcoin address (mainnet or testnet), checksum verified."""

    name = "btc_address"
    specificity = 0.95
    payment = Payment("virtual_currency")
    finders = (TextFinder(find_btc, _EVERYWHERE, min_chars=15), LinkFinder((("bitcoin", "bitcoin"),), bitcoin_address))
    value = "Base58 as found; Bech32/Bech32m lower-cased"
    found_in = "text, scripts, comments, attributes, `bitcoin:` links"

    def clean(self, raw: str) -> str | None:
        return crypto.clean_btc_address(raw[:100])


class EthAddress(IdentifierKind):
    """An Ethereum address; mixed case only with a valid EIP-55 checksum."""

    name = "eth_address"
    specificity = 0.95
    payment = Payment("virtual_currency")
    finders = (TextFinder(find_eth, _EVERYWHERE, min_chars=15), LinkFinder((("ethereum", "ethereum"),), ethereum_addresses))
    value = "EIP-55 checksummed `0x…`"
    found_in = "text, scripts, comments, attributes, `ethereum:` links"

    def clean(self, raw: str) -> str | None:
        return _clean_eth(raw.strip()[:50])


class Phone(IdentifierKind):
    """A phone number (SMS, premium-rate call, messenger), E.164."""

    name = "phone"
    specificity = 0.8
    payment = Payment("premium_call", by_link=(("sms", "sms"),))
    finders = (
        TextFinder(find_phones, ("text", "comment"), regional=True),
        LinkFinder((("tel", "tel"), ("callto", "tel"), ("sms", "sms"), ("smsto", "sms")), tel_numbers),
    )
    version = 2  # 2: "00 44…" and "0044…" on any country's page and in tel: links; no local-only numbers
    value = "E.164 `+…`"
    found_in = "`tel:`/`sms:`/`callto:` links; text and comments after a cue word"

    def clean(self, raw: str) -> str | None:
        text = raw.strip()[:64]
        if text.startswith("00"):
            text = "+" + text[2:]
        if not text.startswith("+"):
            return None
        return _e164(text, None, valid=False)


class Iban(IdentifierKind):
    """An International Bank Account Number, validated (checksum, country format)."""

    name = "iban"
    specificity = 0.95
    payment = Payment("money_transfer")
    finders = (TextFinder(find_ibans, ("text", "comment", "attribute"), attribute_limit=4, min_chars=15),)
    value = "compact, upper-case"
    found_in = "text, comments, attributes"

    def clean(self, raw: str) -> str | None:
        text = raw.strip().translate(_IBAN_SEPARATORS).upper()
        if not 15 <= len(text) <= 34 or not text.isascii() or not text.isalnum():
            return None
        try:
            return str(IBAN(text, validate_bban=True).compact)
        except Exception:  # noqa: BLE001 - schwifty raises several types on bad input
            return None


class AffiliateId(IdentifierKind):
    """An affiliate's ID in an outbound link: the page's operator is that affiliate."""

    name = "affiliate_id"
    specificity = 0.7
    finders = (PageFinder("affiliate"),)
    value = "`host/param=value` (host without `www.`, parameter lower-cased)"
    found_in = "affiliate parameters of outbound links and frames"

    def clean(self, raw: str) -> str | None:
        host, sep, rest = raw.strip().partition("/")
        param, eq, value = rest.partition("=")
        host, param, value = host.lower().removeprefix("www."), param.strip().lower(), value.strip()
        if not sep or not eq or not _SCOPE.fullmatch(host) or not param or not 0 < len(value) <= 128:
            return None
        if any(c.isspace() for c in value + param) or not any(c.isalnum() for c in value):
            return None
        if PLACEHOLDER.search(value):
            return None
        return f"{host}/{param}={value}"


_ANALYTICS_PLAIN: Final = re.compile(r"[A-Z]{1,4}-[A-Z0-9-]{3,24}")
_ANALYTICS_PREFIXED: Final = re.compile(r"([A-Za-z][A-Za-z0-9_-]{0,30}):([A-Za-z0-9_-]{1,40})")


class AnalyticsId(IdentifierKind):
    """A web-analytics property or counter ID: sites of one operator often share it."""

    name = "analytics_id"
    specificity = 0.8
    finders = (PageFinder("analytics"),)
    value = "`UA-1234567-1`, `G-…`, `GTM-…`, `AW-…` upper-cased, or `prefix:ID` (`ym:12345678`)"
    found_in = "inline scripts, comments, and `src` URLs of scripts, images and frames"

    def clean(self, raw: str) -> str | None:
        text = raw.strip()
        if ":" in text:
            prefixed = _ANALYTICS_PREFIXED.fullmatch(text)
            return f"{prefixed.group(1).lower()}:{prefixed.group(2)}" if prefixed else None
        text = text.upper()
        return text if _ANALYTICS_PLAIN.fullmatch(text) else None


#: Every identifier kind, by name, in the order pages are scanned and tables list them.
KINDS: Final[dict[str, IdentifierKind]] = {
    kind.name: kind
    for kind in (
        MerchantAccount(), PaymentForm(), ProcessorCheckout(), PaymentProcessor(), Email(), BtcAddress(),
        EthAddress(), Phone(), Iban(), AffiliateId(), AnalyticsId(),
    )
}  # fmt: skip

# --------------------------------------------------------------------------- derived from KINDS

def kinds_table(kinds: Iterable[IdentifierKind] | None = None) -> str:
    """The kinds table of docs/identifiers.md, from the declarations (a test keeps them equal)."""
    lines = ["| kind | pivot | specificity | value | found in | payment type |", "|---|---|---|---|---|---|"]
    for kind in KINDS.values() if kinds is None else kinds:
        payment = kind.payment.describe() if kind.payment else "—"
        cells = (f"`{kind.name}`", "yes" if kind.pivot else "no", str(float(kind.specificity)), kind.value, kind.found_in, payment)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- cleaning helpers

_IBAN_SEPARATORS: Final = str.maketrans("", "", " \t-.")


@lru_cache(maxsize=4096)
def _clean_eth(text: str) -> str | None:
    return crypto.clean_eth_address(text)


def _e164(text: str, region: str | None, *, valid: bool) -> str | None:
    """E.164 form of a number in ``text``; ``valid`` asks for a valid, not just possible, number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if valid:
        ok = phonenumbers.is_valid_number(number)
    else:  # possible as a whole number, not merely locally (without its area code)
        ok = phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None


def _form_url(raw: str) -> str | None:
    """The canonical http(s) URL without query or fragment."""
    try:
        url = canonicalize_url(raw.strip()[:4096])
    except InvalidURL:
        return None
    if url.scheme not in ("http", "https"):
        return None
    return url.url.split("?", 1)[0].split("#", 1)[0]


def extract_identifiers(
    html: str | bytes,
    *,
    base_url: str | None = None,
    processors: Processors | None = None,
    max_bytes: int = 5_000_000,
) -> list[Identifier]:
    """The key identifiers on one captured page, sorted by (kind, value, where).

    ``base_url`` is the capture's URL: it resolves relative form actions and links
    and tells outbound links from the site's own. ``processors`` defaults to the
    bundled file; ``max_bytes`` bounds the input. Deduplicated on (kind, value,
    where), keeping the first ``raw``. Never raises on junk input.
    """
    chosen = processors if processors is not None else default_processors()
    found: dict[tuple[str, str, str], Identifier] = {}
    finders = tuple((kind.name, finder) for kind in KINDS.values() for finder in kind.finders)
    scan = scan_page(html, base_url=base_url, processors=chosen, max_bytes=max_bytes, finders=finders)
    for kind, candidate, where, raw in scan:
        value = KINDS[kind].clean(candidate)
        if value is not None:
            found.setdefault((kind, value, where), Identifier(kind, value, where, raw[:RAW_LIMIT]))
    return [found[key] for key in sorted(found)]
