"""Key identifiers: the values on a captured page that tie it to an operator.

Brands belong to one distributor when they share a *specific* key identifier: the
same merchant account, e-mail, payment-form URL, wallet, phone number, IBAN,
affiliate or analytics ID (assessment §4). This module defines the identifier
kinds, FollowTheMoney-style, and :func:`extract_identifiers`, a pure function from
one captured HTML page to the identifiers on it.

Each kind has ``clean(raw) -> str | None`` (normalise, or reject with ``None``;
never raises, idempotent), ``pivot`` (may a shared value link brands?) and
``specificity`` (0..1, how strongly a shared value links operators). Values:

=================== ==============================================================
kind                value
=================== ==============================================================
merchant_account    ``scope/ACCOUNT``: scope is the processor's slug or the form's
                    action host; the account upper-cased (e-mail: lower-cased)
payment_form        the form's canonical action URL without query
processor_checkout  same, for a processor whose one checkout URL serves every
                    merchant (``shared_checkout``): not a pivot
payment_processor   the processor's slug: payment-type evidence, not a pivot
email               lower-cased ``local@domain`` (domain as IDNA)
btc_address         Base58 as found; Bech32 lower-cased (checksums verified)
eth_address         EIP-55 checksummed ``0x...``
phone               E.164 ``+...``
iban                compact, upper-case, validated
affiliate_id        ``host/param=value`` for an outbound link (``www.`` dropped)
analytics_id        ``UA-1-1``, ``G-...``, ``GTM-...`` upper-cased, or ``prefix:ID``
=================== ==============================================================

Modules, top down: this one (kinds, ``clean``, the public function);
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
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Final

import idna
import phonenumbers
from schwifty import IBAN
from schwifty.exceptions import NationalChecksumNotVerified

from vigil.attribute import crypto
from vigil.attribute.pagescan import scan_page
from vigil.attribute.processors import Processors, default_processors, slug
from vigil.enrich.urls import canonicalize_url
from vigil.errors import InvalidURL

__all__ = ["KINDS", "Identifier", "IdentifierKind", "extract_identifiers"]

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
    """A kind of key identifier: its name, whether it links, how strongly, and ``clean``."""

    name: ClassVar[str] = ""
    pivot: ClassVar[bool] = True
    specificity: ClassVar[float] = 0.5

    def clean(self, raw: str) -> str | None:
        """The normalised value, or ``None`` when ``raw`` is not one of these."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} pivot={self.pivot} specificity={self.specificity}>"


_SCOPE: Final = re.compile(r"[a-z0-9][a-z0-9._\[\]:-]{0,252}")
#: Template placeholders and dummy values, never real accounts or affiliate IDs.
_PLACEHOLDER: Final = re.compile(
    r"\{\{|\}\}|<\?|\?>|\$\{|%%|<%|^\{.*\}$|^\[.*\]$|^%.*%$|^<.*>$|^x+$"
    r"|^(?:null|none|undefined|test|todo|changeme|your_?id|id)$",
    re.IGNORECASE,
)


class MerchantAccount(IdentifierKind):
    """An account ID in a payment form or link: links brands to one operator."""

    name = "merchant_account"
    specificity = 0.95

    def clean(self, raw: str) -> str | None:
        scope, sep, account = raw.strip().partition("/")
        scope, account = scope.strip().lower(), "".join(account.split())
        if not sep or not _SCOPE.fullmatch(scope) or not 0 < len(account) <= 128:
            return None
        if not any(c.isalnum() for c in account) or not account.strip("0") or _PLACEHOLDER.search(account):
            return None
        email = _clean_email(account)
        return f"{scope}/{email or account.upper()}"


class PaymentForm(IdentifierKind):
    """The URL a payment form posts to, when it is the operator's own."""

    name = "payment_form"
    specificity = 0.9

    def clean(self, raw: str) -> str | None:
        return _form_url(raw)


class ProcessorCheckout(IdentifierKind):
    """A processor's public checkout URL, shared by all its merchants: evidence only."""

    name = "processor_checkout"
    pivot = False
    specificity = 0.05

    def clean(self, raw: str) -> str | None:
        return _form_url(raw)


class PaymentProcessor(IdentifierKind):
    """A known processor the page pays through: payment-type evidence, never a link."""

    name = "payment_processor"
    pivot = False
    specificity = 0.0

    def clean(self, raw: str) -> str | None:
        return slug(raw) if any(c.isalnum() for c in raw) and len(raw) <= 200 else None


class Email(IdentifierKind):
    """A contact or payment e-mail address."""

    name = "email"
    specificity = 0.9

    def clean(self, raw: str) -> str | None:
        return _clean_email(raw.strip())


class BtcAddress(IdentifierKind):
    """A Bitcoin address (mainnet or testnet), checksum verified."""

    name = "btc_address"
    specificity = 0.95

    def clean(self, raw: str) -> str | None:
        return crypto.clean_btc_address(raw[:100])


class EthAddress(IdentifierKind):
    """An Ethereum address; mixed case only with a valid EIP-55 checksum."""

    name = "eth_address"
    specificity = 0.95

    def clean(self, raw: str) -> str | None:
        return _clean_eth(raw.strip()[:50])


class Phone(IdentifierKind):
    """A phone number (SMS, premium-rate call, messenger), E.164."""

    name = "phone"
    specificity = 0.8

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

    def clean(self, raw: str) -> str | None:
        host, sep, rest = raw.strip().partition("/")
        param, eq, value = rest.partition("=")
        host, param, value = host.lower().removeprefix("www."), param.strip().lower(), value.strip()
        if not sep or not eq or not _SCOPE.fullmatch(host) or not param or not 0 < len(value) <= 128:
            return None
        if any(c.isspace() for c in value + param) or not any(c.isalnum() for c in value):
            return None
        if _PLACEHOLDER.search(value):
            return None
        return f"{host}/{param}={value}"


_ANALYTICS_PLAIN: Final = re.compile(r"[A-Z]{1,4}-[A-Z0-9-]{3,24}")
_ANALYTICS_PREFIXED: Final = re.compile(r"([A-Za-z][A-Za-z0-9_-]{0,30}):([A-Za-z0-9_-]{1,40})")


class AnalyticsId(IdentifierKind):
    """A web-analytics property or counter ID: sites of one operator often share it."""

    name = "analytics_id"
    specificity = 0.8

    def clean(self, raw: str) -> str | None:
        text = raw.strip()
        if ":" in text:
            prefixed = _ANALYTICS_PREFIXED.fullmatch(text)
            return f"{prefixed.group(1).lower()}:{prefixed.group(2)}" if prefixed else None
        text = text.upper()
        return text if _ANALYTICS_PLAIN.fullmatch(text) else None


#: Every identifier kind, by name.
KINDS: Final[dict[str, IdentifierKind]] = {
    kind.name: kind
    for kind in (
        MerchantAccount(), PaymentForm(), ProcessorCheckout(), PaymentProcessor(), Email(), BtcAddress(),
        EthAddress(), Phone(), Iban(), AffiliateId(), AnalyticsId(),
    )
}  # fmt: skip

# --------------------------------------------------------------------------- cleaning helpers

_IBAN_SEPARATORS: Final = str.maketrans("", "", " \t-.")
_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART: Final = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_DNS_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
#: Last labels that are file extensions, not TLDs ("logo@2x.png" is not an address).
_FILE_TLDS: Final = frozenset(
    {
        "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "tif", "tiff", "css", "js", "json",
        "xml", "html", "htm", "php", "txt", "pdf", "mp4", "webm",
    }
)  # fmt: skip


def _clean_email(text: str) -> str | None:
    """A practical ``local@domain`` check: dot-atom local part, DNS host name with a TLD."""
    if len(text) > 254 or text.count("@") != 1:
        return None
    local, _, domain = text.partition("@")
    if not 0 < len(local) <= 64 or not _LOCAL_PART.fullmatch(local):
        return None
    host = _email_domain(domain)
    return f"{local.lower()}@{host}" if host else None


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    domain = domain.lower()
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return None
    tld = labels[-1]
    if not (tld.isalpha() and len(tld) >= 2 or tld.startswith("xn--")) or tld in _FILE_TLDS:
        return None
    return domain


@lru_cache(maxsize=4096)
def _clean_eth(text: str) -> str | None:
    return crypto.clean_eth_address(text)


def _e164(text: str, region: str | None, *, valid: bool) -> str | None:
    """E.164 form of a number in ``text``; ``valid`` asks for a valid, not just possible, number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) if valid else phonenumbers.is_possible_number(number)
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
    for kind, candidate, where, raw in scan_page(html, base_url=base_url, processors=chosen, max_bytes=max_bytes):
        value = KINDS[kind].clean(candidate)
        if value is not None:
            found.setdefault((kind, value, where), Identifier(kind, value, where, raw[:RAW_LIMIT]))
    return [found[key] for key in sorted(found)]
