"""Fictional key identifiers for synthetic distributors, and how a page shows them.

Every value is invented and reserved: merchant accounts in hidden fields of forms that post
to the bundled example processors (``data/processors.toml``) or to an operator's own
payment host under ``.test``; e-mail addresses under ``.test``/``.example`` (some at one
webmail domain, ``mailbox.example``, where only the whole address identifies anyone);
phone numbers from the ranges reserved for fiction (+44 20 7946 0xxx, +1 NXX 555-01xx);
Bitcoin and Ethereum addresses with valid checksums derived from hashes of fixed strings
(no key exists for them); GB IBANs with valid check digits for made-up bank codes.

A world written with a ``namespace`` (0 to 499, for loading many worlds side by side) puts
it in every value it invents: merchant accounts, payment hosts, e-mail domains and
webmail locals, counters, wallets; and its phones come from its own share of the Ofcom
drama ranges (:data:`UK_DRAMA`). Only the deliberate decoys stay shared.

Each :class:`Pay` (payment channel) and :class:`Contact` knows the normalised pivot values
a page that shows it carries, written the way docs/identifiers.md normalises them. The
truth uses those, never the extractor.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

from vigil.attribute.crypto import b58check_encode, eth_checksum_address, segwit_encode

Value = tuple[str, str]  # (kind, normalised value)

#: Listed processors (data/processors.toml): form action, merchant field, scope slug.
PROCESSORS: dict[str, tuple[str, str, str]] = {
    "cardgate": ("https://pay.cardgate.test/checkout", "gw_merchant", "example-card-gateway"),
    "wallet": ("https://wallet.example/send", "wallet_account", "example-wallet"),
    "sms": ("https://smsbill.example/start", "service_id", "example-sms-billing"),
}
#: A public checkout of a processor that is *not* in processors.toml: every merchant posts
#: here, so its URL is a decoy that only the over-matching guard can stop.
DECOY_CHECKOUT = "https://checkout.paycorner.test/pay"
#: A common counter that unrelated sites paste from the same tutorial.
DECOY_COUNTER = "4410021"
WEBMAIL = "mailbox.example"
_BANKS = ("ZVGL", "XQRT", "ZKMB", "XWLD", "ZPNT", "XKRV")
_AREAS = ("202", "212", "312", "415", "617", "305", "713", "206")
_LOCALS = ("sales", "members", "club", "desk", "billing", "join", "office", "support", "orders")
_PAY_WORDS = ("pay", "billing", "secure", "checkout", "order")
#: Namespaces a world can take (each gets 1/NAMESPACES of the drama phone numbers).
NAMESPACES = 500
#: UK numbers Ofcom keeps for drama: E.164 prefixes of 1,000 numbers each, all valid for
#: phonenumbers (0115 496 0, 01632 960 and 07700 900 are not, so they are left out).
UK_DRAMA = (
    "+442079460", "+441134960", "+441144960", "+441164960", "+441174960", "+441184960", "+441214960",
    "+441314960", "+441414960", "+441514960", "+441614960", "+442896496", "+442920180", "+448081570",
    "+443069990",
)  # fmt: skip


@dataclass(frozen=True)
class Pay:
    """A payment channel: the form's action, hidden field and account, and its pivot values."""

    kind: str  # cardgate, wallet, sms, transfer, own, decoy
    action: str
    field: str
    account: str
    values: tuple[Value, ...]

    @property
    def decoys(self) -> tuple[Value, ...]:
        return (("payment_form", DECOY_CHECKOUT),) if self.kind == "decoy" else ()


@dataclass(frozen=True)
class Contact:
    """A contact or payee on the page: e-mail, phone, wallet or IBAN."""

    kind: str  # email, phone, btc, eth, iban
    value: str  # normalised
    shown: str  # as printed (before obfuscation)

    @property
    def pivot(self) -> Value:
        kind = {"btc": "btc_address", "eth": "eth_address"}.get(self.kind, self.kind)
        return (kind, self.value)

    def render(self, rng: random.Random) -> tuple[str, str, str]:
        """(label, href, text) for the contact line; e-mails are often obfuscated."""
        if self.kind == "email":
            local, domain = self.value.split("@")
            style = rng.random()
            if style < 0.4:
                return "Contact", f"mailto:{self.value}", self.value
            if style < 0.7:
                return "Contact", "#contact", f"{local} [at] {domain.replace('.', ' [dot] ')}"
            if style < 0.85:
                return "Write to", "#contact", f"{local}(at){domain.replace('.', '(dot)')}"
            return "Contact", "#contact", f"{local}&#64;{domain}"
        if self.kind == "phone":
            return "Members line", f"tel:{self.value}", f"call {self.shown}"
        if self.kind == "btc":
            return "Bitcoin", f"bitcoin:{self.value}", self.value
        if self.kind == "eth":
            return "Ethereum", f"ethereum:{self.value}", self.value
        return "Bank transfer", "#bank", f"IBAN {self.shown}"


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(":".join(map(str, ("vigil-synth",) + parts)).encode(), digest_size=32).digest()


def iban_gb(bank: str, sort: int, account: int) -> str:
    """A GB IBAN (compact) with valid ISO 13616 check digits for a made-up bank code."""
    bban = f"{bank}{sort:06d}{account:08d}"
    number = int("".join(str(int(ch, 36)) for ch in bban + "GB00"))
    return f"GB{98 - number % 97:02d}{bban}"


def _drama_number(i: int) -> str:
    """The ``i``-th number of the drama ranges, E.164."""
    return f"{UK_DRAMA[i // 1000]}{i % 1000:03d}"


class IdentifierFactory:
    """Unique fictional values, one stream per world."""

    def __init__(self, rng: random.Random, seed: int, namespace: int | None = None) -> None:
        self.rng = rng
        self.seed = seed
        self.namespace = namespace
        self.ns = "" if namespace is None else f"{namespace:03d}"  # put into invented values
        self.nz = "" if namespace is None else f"{namespace + 1:03d}"  # the same for digit-only values
        self.used: set[str] = set()
        self.count = 0

    def _fresh(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("synthetic world: ran out of fictional identifier values")

    # ---------------------------------------------------------------- payment
    def pay(self, kind: str, tag: str) -> Pay:
        rng = self.rng
        if kind in PROCESSORS:
            action, field, scope = PROCESSORS[kind]
            letter = {"cardgate": "M", "wallet": "W", "sms": "S"}[kind]
            account = self._fresh(lambda: f"{letter}-{self.ns}{rng.randrange(10000, 99999)}")
            return Pay(kind, action, field, account, (("merchant_account", f"{scope}/{account}"),))
        if kind == "transfer":
            account = self._fresh(lambda: f"BX-{self.ns}{rng.randrange(1000, 9999)}")
            action = f"https://transfer.example/in/{account.lower()}"
            values = (("merchant_account", f"example-money-transfer/{account}"), ("payment_form", action))
            return Pay(kind, action, "beneficiary", account, values)
        if kind == "decoy":
            account = self._fresh(lambda: f"PC-{self.ns}{rng.randrange(10000, 99999)}")
            return Pay(kind, DECOY_CHECKOUT, "merchant_id", account, (("merchant_account", f"checkout.paycorner.test/{account}"),))
        host = self._fresh(lambda: f"{rng.choice(_PAY_WORDS)}{rng.randrange(1, 99)}.{tag}{self.ns}.test")
        account = self._fresh(lambda: f"{tag[:3].upper()}{rng.randrange(100, 9999)}")
        action = f"https://{host}/checkout"
        return Pay("own", action, "merchant_id", account, (("merchant_account", f"{host}/{account}"), ("payment_form", action)))

    # ---------------------------------------------------------------- contact
    def contact(self, kind: str, tag: str) -> Contact:
        rng = self.rng
        self.count += 1
        if kind == "email":
            domain = f"{tag}{rng.randrange(2, 99)}{'w' + self.ns if self.ns else ''}.{rng.choice(('test', 'example'))}"
            value = self._fresh(lambda: f"{rng.choice(_LOCALS)}{rng.choice(('', str(rng.randrange(1, 99))))}@{domain}")
            return Contact("email", value, value)
        if kind == "webmail":
            value = self._fresh(lambda: f"{tag}.{rng.choice(_LOCALS)}{rng.randrange(1, 999)}{'.w' + self.ns if self.ns else ''}@{WEBMAIL}")
            return Contact("email", value, value)
        if kind == "phone":
            if self.namespace is not None:
                return self._drama_phone(self.namespace)
            if rng.random() < 0.5:
                uk = self._fresh(lambda: f"+44207946{rng.randrange(0, 1000):04d}")
                return Contact("phone", uk, f"+44 20 7946 {uk[-4:]}")
            area = rng.choice(_AREAS)
            us = self._fresh(lambda: f"+1{area}55501{rng.randrange(0, 100):02d}")
            return Contact("phone", us, f"+1 {us[2:5]}-{us[5:8]}-{us[8:]}")
        digest = _digest(self.seed, kind, tag, self.count) if self.namespace is None else _digest(self.seed, self.namespace, kind, tag, self.count)
        if kind == "btc":
            if rng.random() < 0.6:
                value = b58check_encode(b"\x00" + digest[:20])
            else:
                value = segwit_encode("bc", 0, digest[:20]) or b58check_encode(b"\x05" + digest[:20])
            self.used.add(value)
            return Contact("btc", value, value)
        if kind == "eth":
            value = eth_checksum_address("0x" + digest[:20].hex()) or ""
            self.used.add(value)
            return Contact("eth", value, value)
        def sort_code() -> int:  # a namespace takes its own thousand sort codes
            return rng.randrange(10**6) if self.namespace is None else self.namespace * 1000 + rng.randrange(1000)

        value = self._fresh(lambda: iban_gb(rng.choice(_BANKS), sort_code(), rng.randrange(10**8)))
        shown = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return Contact("iban", value, shown)

    def _drama_phone(self, namespace: int) -> Contact:
        """A UK drama number from this namespace's share: every NAMESPACES-th of the 15,000."""
        rng = self.rng
        share = range(namespace, 1000 * len(UK_DRAMA), NAMESPACES)
        value = self._fresh(lambda: _drama_number(rng.choice(share)))
        shown = phonenumbers.format_number(phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return Contact("phone", value, shown)

    # ---------------------------------------------------------------- counter
    def counter(self, style: int) -> tuple[str, Value]:
        """A site counter in ``style`` (0 statcounter, 1 tag): (as written, pivot value)."""
        rng = self.rng
        if style == 0:
            n = self._fresh(lambda: f"{self.nz}{rng.randrange(1_000_000, 9_999_999)}")
            return n, ("analytics_id", f"statcounter:{n}")
        tag = self._fresh(lambda: f"UA-{self.nz}{rng.randrange(1_000_000, 9_999_999)}-{rng.randrange(1, 4)}")
        return tag, ("analytics_id", tag)
