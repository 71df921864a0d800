"""What an identifier kind is declared from, besides ``clean``: its finders and its payment evidence.

A kind (:class:`vigil.attribute.identifiers.IdentifierKind`) lists *finders*, and
:func:`vigil.attribute.pagescan.scan_page` runs what the kinds list:

* :class:`TextFinder` — a function over free text (visible text, comments, inline
  scripts, text-like attributes), e.g. :func:`vigil.attribute.textscan.find_emails`;
* :class:`LinkFinder` — a function over the URI of a link or embed with a given scheme
  (``mailto:``, ``tel:``, ``bitcoin:``); the URI-scheme finders are here;
* :class:`PageFinder` — one role of the walk over forms and processor links, which
  needs the processors files (a payment form's action, a merchant field...).

Its :class:`Payment` says what an identifier of the kind on a page tells §5 about how
the page takes payment (:mod:`vigil.analyse.payments` builds its mapping from it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import parse_qsl, unquote

import phonenumbers

from vigil.attribute.textscan import Found, find_eth
from vigil.model import PAYMENT_TYPES

__all__ = [
    "MAX_CANDIDATES",
    "ROLES",
    "TEXT_SOURCES",
    "Finder",
    "LinkFinder",
    "PageFinder",
    "Payment",
    "TextFinder",
    "bitcoin_address",
    "ethereum_addresses",
    "full_number",
    "mailto_addresses",
    "tel_numbers",
]

#: Candidates tried per finder and source (an Ethereum checksum costs ~1 ms).
MAX_CANDIDATES: Final = 500
#: Where a :class:`TextFinder` may look: visible text, HTML comments, inline scripts
#: and text-like attributes (``where`` is then the attribute, e.g. ``input[value]``).
TEXT_SOURCES: Final = ("text", "comment", "script", "attribute")
#: What the walk over forms and processor links finds, by role (see :class:`PageFinder`).
ROLES: Final = {
    "form_action": "the action URL of a payment form not posting to a shared checkout",
    "shared_checkout": "the action URL of a form posting to a processor's shared checkout",
    "processor": "the name of a listed processor a form posts to or a link, script or frame loads from",
    "merchant": ("``scope/value`` of a merchant field of a payment form (hidden input or action query) or of a "
                 "processor link, or of the path segment after a ``merchant_path`` segment of a processor URL"),
    "merchant_field": "the value of a hidden merchant field of a payment form or of its action's query, as written",
    "affiliate": "``host/param=value`` of an affiliate parameter on an outbound link",
    "analytics": "an ID matched by an analytics pattern of the processors files",
}


@dataclass(frozen=True, slots=True)
class TextFinder:
    """Candidates in free text: ``find(text, limit=...)`` (with ``region=`` too when
    ``regional``: national phone numbers need the page's country) run over ``sources``.

    In attributes at most ``attribute_limit`` candidates are taken per value, and values
    shorter than ``min_chars`` are skipped (a cheap bound: no identifier of the kind is
    that short).
    """

    find: Callable[..., Found]
    sources: tuple[str, ...]
    regional: bool = False
    attribute_limit: int = MAX_CANDIDATES
    min_chars: int = 0

    def __post_init__(self) -> None:
        if not self.sources or not set(self.sources) <= set(TEXT_SOURCES):
            raise ValueError(f"TextFinder sources {self.sources!r} are not among {TEXT_SOURCES}")


@dataclass(frozen=True, slots=True)
class LinkFinder:
    """Candidates in the URI of a link or embed whose scheme is one of ``schemes``:
    ``find(ref, region)``; ``where`` is the element and attribute with the scheme's label,
    e.g. ``a[href=sms]`` for ``(("sms", "sms"), ("smsto", "sms"))``."""

    schemes: tuple[tuple[str, str], ...]  # (scheme, label)
    find: Callable[[str, str | None], Found]

    def __post_init__(self) -> None:
        for scheme, label in self.schemes:
            if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) or not re.fullmatch(r"[a-z0-9]+", label):
                raise ValueError(f"LinkFinder scheme {scheme!r} or label {label!r} is not lower-case letters and digits")


@dataclass(frozen=True, slots=True)
class PageFinder:
    """The candidates of one :data:`ROLES` role in the walk over forms and processor links."""

    role: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"PageFinder role {self.role!r} is not one of {', '.join(ROLES)}")


Finder = TextFinder | LinkFinder | PageFinder


@dataclass(frozen=True, slots=True)
class Payment:
    """What a kind's identifier on a page says about how the page takes payment (§5).

    Either a fixed ``payment_type`` (``virtual_currency`` for a wallet), which ``by_link``
    may override for identifiers found in a link with that label (a phone number from
    an ``sms:`` link, ``where`` ``a[href=sms]``, is ``sms``); or ``processor``: how the
    value names a listed processor, whose payment type it then is — ``"name"`` (the
    value is the processor's slug), ``"scope"`` (the value is ``slug/...``) or
    ``"host"`` (the value is a URL on one of the processor's hosts).
    """

    payment_type: str | None = None
    processor: Literal["name", "scope", "host"] | None = None
    by_link: tuple[tuple[str, str], ...] = ()  # (link label, payment type)

    def __post_init__(self) -> None:
        if (self.payment_type is None) == (self.processor is None):
            raise ValueError("a Payment has either a payment_type or a processor rule, not both or neither")
        for each in (self.payment_type, *(t for _, t in self.by_link)):
            if each is not None and each not in PAYMENT_TYPES:
                raise ValueError(f"payment type {each!r} is not one of {', '.join(PAYMENT_TYPES)}")

    def describe(self) -> str:
        """The payment-type cell of the kinds table in docs/identifiers.md."""
        if self.processor is not None:
            return _PROCESSOR_RULES[self.processor]
        links = "; ".join(f"`{t}` from `{label}:` links" for label, t in self.by_link)
        return f"{links}, else `{self.payment_type}`" if links else f"`{self.payment_type}`"


_PROCESSOR_RULES: Final = {
    "name": "the processor's",
    "scope": "the processor's, when scoped by its slug",
    "host": "the processor's, when on its host",
}


# --------------------------------------------------------------------------- URI-scheme finders


def mailto_addresses(ref: str, region: str | None = None) -> Found:
    """The addresses of a ``mailto:`` URI, with ``to``, ``cc`` and ``bcc`` (at most 20)."""
    body = ref.split(":", 1)[1]
    to, _, query = body.partition("?")
    addresses = unquote(to).split(",")
    for name, value in parse_qsl(query)[:20]:
        if name.lower() in ("to", "cc", "bcc"):
            addresses.extend(value.split(","))
    for address in addresses[:20]:
        if address.strip():
            yield address.strip(), ref


def tel_numbers(ref: str, region: str | None) -> Found:
    """The possible numbers (E.164) of a ``tel:``/``sms:`` URI; national ones in ``region``.

    ``00`` before a country code is read as ``+`` (``tel:0044...``) when the number is not
    already possible as written in ``region``; a number possible only locally (no area
    code: ``tel:+44 7946 0123``) is not a number anyone else can call, and is dropped.
    """
    body = unquote(ref.split(":", 1)[1]).split("?", 1)[0].split(";", 1)[0]
    for number in body.split(",")[:5]:
        number = number.strip()[:64]
        found = full_number(number, region)
        if found is None and _IDD_00.match(number):
            found = full_number("+" + _IDD_00.sub("", number, count=1), None)
        if found is not None:
            yield found, ref


_IDD_00: Final = re.compile(r"00[ .\-]?(?=[1-9])")


def full_number(text: str, region: str | None) -> str | None:
    """E.164 of ``text`` when ``phonenumbers`` finds it possible as a whole number (not
    merely a local one, without its area code), else ``None``."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def bitcoin_address(ref: str, region: str | None = None) -> Found:
    """The address of a BIP-21 ``bitcoin:`` URI."""
    yield ref.split(":", 1)[1].split("?", 1)[0].strip("/"), ref


def ethereum_addresses(ref: str, region: str | None = None) -> Found:
    """The addresses in an EIP-681 ``ethereum:`` URI (at most 4)."""
    for candidate, _ in find_eth(ref, limit=4):
        yield candidate, ref
