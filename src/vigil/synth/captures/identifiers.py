"""Fictional key identifiers for synthetic distributors, and how a page shows them.

Every value is invented and reserved: merchant accounts in hidden fields of forms that post
to the world's fictional processors (its ``processors.toml``, :mod:`vigil.synth.procfile`) or to an operator's own
payment host under ``.test``; e-mail addresses under ``.test``/``.example`` (some at one
webmail domain, ``mailbox.example``, where only the whole address identifies anyone);
phone numbers from the ranges reserved for fiction (+44 20 7946 0xxx, +1 NXX 555-01xx);
Bitcoin and Ethereum addresses with valid checksums derived from hashes of fixed strings
(no key exists for them); GB IBANs with valid check digits for made-up bank codes.

A world written with a ``namespace`` (0 to 499, for loading many worlds side by side) puts
it in every value it invents: merchant accounts, payment hosts, e-mail domains and
webmail locals, counters, wallets; and its phones come from its own share of the Ofcom
drama ranges and US 555-01xx numbers (:func:`_drama_number`). Only the deliberate decoys
stay shared.

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

#: Listed processors (the world's processors.toml): form action, merchant field, scope slug.
PROCESSORS: dict[str, tuple[str, str, str]] = {
    "cardgate": ("https://pay.cardgate.test/checkout", "gw_merchant", "example-card-gateway"),
    "wallet": ("https://wallet.example/send", "wallet_account", "example-wallet"),
    "sms": ("https://smsbill.example/start", "service_id", "example-sms-billing"),
}
#: A public checkout of a processor that is in no processors file: every merchant posts
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
#: Phone numbers kept for fiction: the UK's drama ranges (E.164 prefixes of 1,000 numbers
#: each, all valid for phonenumbers; 0115 496 0, 01632 960 and 07700 900 are not, so they are
#: left out), then 555-0100 to 555-0199 in US area codes.
UK_DRAMA = (
    "+442079460", "+441134960", "+441144960", "+441164960", "+441174960", "+441184960", "+441214960",
    "+441314960", "+441414960", "+441514960", "+441614960", "+441914980", "+442896496", "+442920180",
    "+448081570", "+449098790", "+443069990",
)  # fmt: skip
_US_AREAS = (  # US geographic area codes whose 555-01xx numbers phonenumbers 9.0.43 finds valid
    "201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 220 223 224 225 227 228 "
    "229 231 234 235 239 240 248 251 252 253 254 256 260 262 267 269 270 272 274 276 279 281 283 "
    "301 302 303 304 305 307 308 309 310 312 313 314 315 316 317 318 319 320 321 323 324 325 326 "
    "327 329 330 331 332 334 336 337 339 341 346 347 350 351 352 353 360 361 363 364 369 380 385 "
    "386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435 "
    "440 442 443 445 447 448 458 463 464 469 470 472 475 478 479 480 484 501 502 503 504 505 507 "
    "508 509 510 512 513 515 516 517 518 520 530 531 534 539 540 541 551 557 559 561 562 563 564 "
    "567 570 571 572 573 574 575 580 582 585 586 601 602 603 605 606 607 608 609 610 612 614 615 "
    "616 617 618 619 620 623 626 628 629 630 631 636 640 641 645 646 650 651 656 657 659 660 661 "
    "662 667 669 678 680 681 682 686 689 701 702 703 704 706 707 708 712 713 714 715 716 717 718 "
    "719 720 724 725 726 727 728 730 731 732 734 737 738 740 743 747 748 754 757 760 762 763 765 "
    "769 770 771 772 773 774 775 779 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815 "
    "816 817 818 820 821 826 828 830 831 832 835 838 839 840 843 845 847 848 850 854 856 857 858 "
    "859 860 862 863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917 "
    "918 919 920 925 928 929 930 931 934 936 937 938 940 941 943 945 947 948 949 951 952 954 956 "
    "959 970 971 972 973 975 978 979 980 983 984 985 986 989"
).split()
_DRAMA_NUMBERS = 1000 * len(UK_DRAMA) + 100 * len(_US_AREAS)  # 52,900: 105 per namespace


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
    """The ``i``-th fictional number (UK drama ranges first, then US 555-01xx), E.164."""
    if i < 1000 * len(UK_DRAMA):
        return f"{UK_DRAMA[i // 1000]}{i % 1000:03d}"
    i -= 1000 * len(UK_DRAMA)
    return f"+1{_US_AREAS[i // 100]}55501{i % 100:02d}"


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
        """A fictional number from this namespace's share: every NAMESPACES-th of them."""
        rng = self.rng
        share = range(namespace, _DRAMA_NUMBERS, NAMESPACES)
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
