"""Vigil's record types and vocabularies, in one place (see shared/DOMAIN.md for the words)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import NamedTuple


class SiteType(str, Enum):
    """How a commercial URL is offered (assessment §3)."""

    BANNER = "banner"
    PAY_PER_VIEW = "pay_per_view"
    CYBERLOCKER = "cyberlocker"
    HIDDEN_SERVICE = "hidden_service"
    IMAGE_HOST = "image_host"
    FORUM = "forum"
    OTHER = "other"


class PaymentType(str, Enum):
    """A payment *type* (never enough on its own to link brands)."""

    CREDIT_CARD = "credit_card"
    DIGITAL_WALLET = "digital_wallet"
    SMS = "sms"
    PREMIUM_CALL = "premium_call"
    VIRTUAL_CURRENCY = "virtual_currency"
    MONEY_TRANSFER = "money_transfer"
    MOBILE_PAYMENT = "mobile_payment"
    UNKNOWN = "unknown"


class Channel(str, Enum):
    """Where a URL distributes (assessment §2.3): the commercial web or a channel beyond it."""

    WEB = "web"
    HIDDEN_SERVICE = "hidden_service"
    P2P = "p2p"
    CYBERLOCKER = "cyberlocker"
    FORUM = "forum"
    LIVE_STREAMING = "live_streaming"
    OTHER = "other"


SITE_TYPES: tuple[str, ...] = tuple(t.value for t in SiteType)
CHANNELS: tuple[str, ...] = tuple(t.value for t in Channel)
PAYMENT_TYPES: tuple[str, ...] = tuple(t.value for t in PaymentType)

#: Input columns of a report (docs/formats.md). Order is the CSV order we write.
REPORT_FIELDS: tuple[str, ...] = (
    "report_id",
    "source",
    "reported_at",
    "url",
    "ip",
    "commercial",
    "site_type",
    "payment_types",
    "notes",
    "actioned",
)


class Report(NamedTuple):
    """One validated hotline report, before it is stored (a tuple: cheap to make and to batch)."""

    report_key: str
    report_id: str
    source: str
    reported_at: datetime
    url_original: str
    url: str
    host: str
    ip: str | None
    commercial: bool | None
    site_type: str | None
    payment_types: tuple[str, ...]
    notes: str | None
    actioned: bool | None = None
    channel: str | None = None
