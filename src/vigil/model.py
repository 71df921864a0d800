"""Vigil's record types and vocabularies, in one place (see shared/DOMAIN.md for the words)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
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


class QuarantineReason(StrEnum):
    """Why a record went to quarantine: the stable code stored in ``quarantine.reason_code``.

    One list for every input (reports, captures, purchases, estimates, search volumes);
    docs/formats.md explains each (tests/test_public.py checks it does).
    """

    # reading a file
    BAD_FILE = "bad_file"
    BAD_ROW = "bad_row"
    BAD_JSON = "bad_json"
    TRUNCATED_FILE = "truncated_file"
    BINARY_JUNK = "binary_junk"
    FIELD_TOO_LONG = "field_too_long"
    MISSING_FIELD = "missing_field"
    # reports
    MISSING_SOURCE = "missing_source"
    MISSING_URL = "missing_url"
    URL_TOO_LONG = "url_too_long"
    BAD_URL = "bad_url"
    MISSING_REPORTED_AT = "missing_reported_at"
    BAD_DATE = "bad_date"
    BAD_IP = "bad_ip"
    BAD_COMMERCIAL = "bad_commercial"
    BAD_ACTIONED = "bad_actioned"
    UNKNOWN_SITE_TYPE = "unknown_site_type"
    UNKNOWN_PAYMENT_TYPE = "unknown_payment_type"
    UNKNOWN_CHANNEL = "unknown_channel"
    # captures
    MISSING_CAPTURED_AT = "missing_captured_at"
    MISSING_FILE = "missing_file"
    PAGE_TOO_LARGE = "page_too_large"
    NOT_HTML = "not_html"
    NOT_MARKUP = "not_markup"
    # test purchases
    MISSING_PURCHASE_ID = "missing_purchase_id"
    MISSING_PURCHASED_AT = "missing_purchased_at"
    MISSING_PAYMENT_TYPE = "missing_payment_type"
    MISSING_PROCESSOR = "missing_processor"
    BAD_MERCHANT_ACCOUNT = "bad_merchant_account"
    BAD_AMOUNT = "bad_amount"
    BAD_CURRENCY = "bad_currency"
    # expert estimates and search volumes
    BAD_VALUE = "bad_value"
    BAD_UNIT = "bad_unit"
    BAD_PERIOD = "bad_period"
    BAD_COUNTRY = "bad_country"
    # takedown cases, stages, re-checks and partner outcomes (vigil takedown …)
    BAD_HEADER = "bad_header"
    BAD_OUTCOME = "bad_outcome"
    BAD_TIME = "bad_time"
    BAD_ITEM = "bad_item"
    BAD_FIELD = "bad_field"
    BAD_MARKING = "bad_marking"
    BAD_STATUS = "bad_status"
    BAD_STAGE = "bad_stage"
    # partner bundles and events (vigil ingest stix, vigil ingest misp)
    STIX_SCHEMA = "stix_schema"
    NOT_STIX = "not_stix"
    BAD_OBJECT = "bad_object"
    DUPLICATE_OBJECT = "duplicate_object"
    UNKNOWN_MARKING = "unknown_marking"
    MARKING_REFUSED = "marking_refused"
    DANGLING_REFERENCE = "dangling_reference"
    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    BAD_ENCODING = "bad_encoding"
    TOO_DEEP = "too_deep"
    STRING_TOO_LONG = "string_too_long"
    MISP_SCHEMA = "misp_schema"
    NOT_MISP = "not_misp"


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
