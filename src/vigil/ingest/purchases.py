"""Test-purchase ingest: payment providers' monitoring records → ``test_purchases`` (docs/payments.md).

A payment provider's monitoring team (or a third party it engages) buys from a site to
learn which processor and merchant account take the money. Each record names the
purchase, when, the URL bought from, the payment type, processor and merchant account,
the amount and the outcome. Ingest follows the report pattern: files are known by their
SHA-256, each batch commits its purchases, quarantined records and the file's checkpoint
in one transaction, an interrupted run resumes after the last batch, and a file ingested
whole is skipped. A purchase is keyed by its ``purchase_id`` (unique per supplying
team); an id already stored, or repeated in the batch, is a duplicate and stores nothing.

:func:`parse_purchase` is the pure per-record step. Quarantine codes: binary_junk,
missing_purchase_id, field_too_long, missing_url, url_too_long, bad_url,
missing_purchased_at, bad_date, missing_payment_type, unknown_payment_type,
missing_processor, bad_merchant_account, bad_amount, bad_currency (plus bad_row,
bad_json, truncated_file and bad_file from the readers).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from vigil.defaults import ROW_BATCH
from vigil.enrich.accounts import clean_account
from vigil.errors import InvalidRecord
from vigil.ingest.checkpoint import IngestSummary
from vigil.ingest.rows import RowIngest, RowSpec
from vigil.ingest.validate import MAX_URL_CHARS, parse_payment_types, parse_timestamp
from vigil.model import QuarantineReason
from vigil.store.handle import StoreHandle
from vigil.urls import canonicalize_url

__all__ = ["PURCHASE_FIELDS", "Purchase", "PurchaseIngest", "parse_purchase"]

#: Input columns of a test-purchase file, in the order we document them.
PURCHASE_FIELDS: tuple[str, ...] = (
    "purchase_id", "purchased_at", "url", "payment_type", "processor",
    "merchant_account", "amount", "currency", "outcome",
)  # fmt: skip

DEFAULT_BATCH = ROW_BATCH
MAX_TEXT_CHARS = 256
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CURRENCY = re.compile(r"[A-Z]{3}")

_SCHEMA = pa.schema(
    [
        ("purchase_key", pa.string()), ("purchase_id", pa.string()), ("purchased_at", pa.timestamp("us")),
        ("url_original", pa.string()), ("url", pa.string()), ("host", pa.string()), ("payment_type", pa.string()),
        ("processor", pa.string()), ("merchant_account", pa.string()), ("amount", pa.float64()),
        ("currency", pa.string()), ("outcome", pa.string()), ("source_file", pa.string()),
        ("source_line", pa.int64()), ("file_sha256", pa.string()), ("batch_id", pa.string()),
        ("ingested_at", pa.timestamp("us")),
    ]
)  # fmt: skip


class Purchase(NamedTuple):
    """One validated test purchase, before it is stored (columns of ``test_purchases``)."""

    purchase_key: str
    purchase_id: str
    purchased_at: datetime
    url_original: str
    url: str
    host: str
    payment_type: str
    processor: str | None  # as supplied; analysis matches it to processors.toml by slug
    merchant_account: str | None  # as a page's merchant account after its scope (vigil.enrich.accounts.clean_account)
    amount: float | None
    currency: str | None
    outcome: str | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def purchase_key(purchase_id: str) -> str:
    """The stored key: a hash of the purchase id alone (ids are unique per supplying team)."""
    return hashlib.blake2b(purchase_id.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _merchant_account(text: str) -> str:
    """The account as page identifiers hold it (after the scope): the same cleaning, so the two join."""
    account = clean_account(text)
    if account is None:
        raise InvalidRecord(
            f"merchant_account {text[:40]!r} is not an account ID (at most 128 characters, not a placeholder)",
            code=QuarantineReason.BAD_MERCHANT_ACCOUNT,
        )
    return account


def _amount(text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidRecord(f"amount {text[:40]!r} is not a number (e.g. 29.95)", code=QuarantineReason.BAD_AMOUNT) from None
    if not math.isfinite(value) or value < 0:
        raise InvalidRecord(f"amount {text[:40]!r} is not a finite number of at least 0", code=QuarantineReason.BAD_AMOUNT)
    return value


def parse_purchase(fields: dict[str, Any]) -> Purchase:
    """Validate one record's fields (CSV strings or JSON values) into a Purchase; pure.

    Raises :class:`InvalidRecord` with a stable code; checks run in a fixed order.
    """
    texts = [_text(fields.get(name)) for name in PURCHASE_FIELDS]
    purchase_id, when, raw_url, payment_text, processor_text, account_text, amount_text, currency, outcome = texts
    if _JUNK.search("".join(texts)):
        name = next(n for n, text in zip(PURCHASE_FIELDS, texts) if _JUNK.search(text))
        raise InvalidRecord(f"binary data (control bytes or invalid UTF-8) in field {name!r}", code=QuarantineReason.BINARY_JUNK)
    if not purchase_id:
        raise InvalidRecord("no purchase_id", code=QuarantineReason.MISSING_PURCHASE_ID)
    for name, text in zip(PURCHASE_FIELDS, texts):
        if name != "url" and len(text) > MAX_TEXT_CHARS:
            raise InvalidRecord(f"{name} of {len(text):,} characters is longer than {MAX_TEXT_CHARS}", code=QuarantineReason.FIELD_TOO_LONG)
    if not raw_url:
        raise InvalidRecord("no URL", code=QuarantineReason.MISSING_URL)
    if len(raw_url) > MAX_URL_CHARS:
        raise InvalidRecord(
            f"URL of {len(raw_url):,} characters is longer than the {MAX_URL_CHARS:,}-character limit", code=QuarantineReason.URL_TOO_LONG
        )
    canonical = canonicalize_url(raw_url)  # raises InvalidURL (code bad_url)
    if not when:
        raise InvalidRecord("no purchased_at date", code=QuarantineReason.MISSING_PURCHASED_AT)
    try:
        purchased_at = parse_timestamp(when)
    except InvalidRecord:
        raise InvalidRecord(
            f"purchased_at {when[:40]!r} is not an ISO 8601 date or date-time (e.g. 2012-10-03T08:00:00Z)", code=QuarantineReason.BAD_DATE
        ) from None
    if not payment_text:
        raise InvalidRecord("no payment_type (use 'unknown' when the team could not tell)", code=QuarantineReason.MISSING_PAYMENT_TYPE)
    types = parse_payment_types(payment_text)  # raises unknown_payment_type
    if len(types) != 1:
        raise InvalidRecord(f"one payment_type per purchase, not {payment_text[:40]!r}", code=QuarantineReason.UNKNOWN_PAYMENT_TYPE)
    account = _merchant_account(account_text) if account_text else None
    if account and not processor_text:
        raise InvalidRecord(
            "merchant_account without a processor (an account is only meaningful at its processor)",
            code=QuarantineReason.MISSING_PROCESSOR,
        )
    amount = _amount(amount_text)
    currency = currency.upper()
    if currency and not _CURRENCY.fullmatch(currency):
        raise InvalidRecord(f"currency {currency[:40]!r} is not a three-letter ISO 4217 code", code=QuarantineReason.BAD_CURRENCY)
    return Purchase(
        purchase_key(purchase_id), purchase_id, purchased_at, raw_url, canonical.url, canonical.host, types[0],
        processor_text or None, account, amount, currency or None, outcome.lower() or None,
    )  # fmt: skip


def _parse_row(fields: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(parse_purchase(fields))


PURCHASES = RowSpec(
    kind="purchases",
    quarantine_kind="purchase",
    table="test_purchases",
    schema=pa.schema([field for field in _SCHEMA if field.name in Purchase._fields]),
    key=("purchase_key",),
    required=("url",),
    parse=_parse_row,
)


class PurchaseIngest:
    """Ingests test-purchase files into a store; one instance per command run."""

    def __init__(self, store: StoreHandle, *, batch_size: int = DEFAULT_BATCH) -> None:
        self._rows = RowIngest(store, PURCHASES, batch_size=batch_size)
        self.batch_id = self._rows.batch_id

    def run(self, paths: Sequence[Path]) -> IngestSummary:
        return self._rows.run(paths)
