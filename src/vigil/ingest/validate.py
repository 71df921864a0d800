"""Validate one raw report into a :class:`vigil.model.Report` — a pure function.

Every problem raises :class:`InvalidRecord` with a stable ``code`` (for scripts) and a
reason a person understands; the caller quarantines the record and goes on. Each record
gets one reason: checks run in a fixed order and the first failure wins.

Quarantine codes (members of :class:`vigil.model.QuarantineReason`): binary_junk,
missing_source, missing_url, url_too_long, bad_url, missing_reported_at, bad_date, bad_ip,
bad_commercial, bad_actioned, unknown_site_type, unknown_channel, unknown_payment_type, field_too_long (plus
bad_row, bad_json and truncated_file from the readers).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from vigil.errors import InvalidRecord
from vigil.model import CHANNELS, PAYMENT_TYPES, SITE_TYPES, QuarantineReason, Report
from vigil.urls import canonicalize_url

MAX_URL_CHARS = 8192
MAX_FIELD_CHARS = 65536
MAX_SOURCE_CHARS = 128

_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}
_canonical = lru_cache(maxsize=262144)(canonicalize_url)
_FIELDS = ("report_id", "source", "reported_at", "url", "ip", "commercial", "site_type", "payment_types", "notes", "actioned")


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    return str(value).strip()


def _vocabulary(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


@lru_cache(maxsize=65536)
def parse_timestamp(value: str) -> datetime:
    """ISO 8601 date or date-time → naive UTC; no zone means UTC, a bare date 00:00 UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(
            f"reported_at {value[:40]!r} is not an ISO 8601 date or date-time (e.g. 2012-10-03T08:00:00Z)",
            code=QuarantineReason.BAD_DATE,
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


_DOTTED = re.compile(r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")


@lru_cache(maxsize=65536)
def parse_ip(value: str) -> str:
    """An IPv4 or IPv6 address in its standard (compressed) text form."""
    if _DOTTED.fullmatch(value):  # the common case, already standard: skip ipaddress
        return value
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise InvalidRecord(f"ip {value[:60]!r} is not an IPv4 or IPv6 address", code=QuarantineReason.BAD_IP) from None


def parse_flag(value: Any, name: str = "commercial") -> bool | None:
    """true/false/yes/no/1/0 (any case, or a JSON bool); empty is None."""
    if value is None or isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidRecord(f"{name} {text[:40]!r} is not one of true/false/yes/no/1/0", code=QuarantineReason(f"bad_{name}"))


@lru_cache(maxsize=1024)
def parse_site_type(value: str) -> str | None:
    if not value:
        return None
    site_type = _vocabulary(value)
    if site_type not in SITE_TYPES:
        raise InvalidRecord(
            f"unknown site type {value[:40]!r} (expected one of {', '.join(SITE_TYPES)})", code=QuarantineReason.UNKNOWN_SITE_TYPE
        )
    return site_type


def parse_channel(value: str) -> str | None:
    """The report's optional ``channel`` (docs/formats.md), or None when empty."""
    if not value:
        return None
    channel = _vocabulary(value)
    if channel not in CHANNELS:
        raise InvalidRecord(
            f"unknown channel {value[:40]!r} (expected one of {', '.join(CHANNELS)})", code=QuarantineReason.UNKNOWN_CHANNEL
        )
    return channel


def parse_payment_types(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return _payment_types(tuple(_text(v) for v in value))
    text = _text(value)
    return _payment_types(tuple(text.split(";"))) if text else ()


@lru_cache(maxsize=4096)
def _payment_types(items: tuple[str, ...]) -> tuple[str, ...]:
    found: set[str] = set()
    for item in items:
        text = _text(item)
        if not text:
            continue
        payment = _vocabulary(text)
        if payment not in PAYMENT_TYPES:
            raise InvalidRecord(
                f"unknown payment type {text[:40]!r} (expected one of {', '.join(PAYMENT_TYPES)})",
                code=QuarantineReason.UNKNOWN_PAYMENT_TYPE,
            )
        found.add(payment)
    return tuple(sorted(found))


def _key(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def parse_report(fields: dict[str, Any], *, default_source: str | None = None) -> Report:
    """Validate one record's fields (CSV strings or JSON values) into a Report."""
    get = fields.get
    report_id, source, when, raw_url, ip_text, _, site_text, _, notes, _ = texts = [
        v.strip() if v.__class__ is str else _text(v) for v in map(get, _FIELDS)
    ]
    if _JUNK.search("".join(texts)):
        name = next(n for n, text in zip(_FIELDS, texts) if _JUNK.search(text))
        raise InvalidRecord(f"binary data (control bytes or invalid UTF-8) in field {name!r}", code=QuarantineReason.BINARY_JUNK)
    source = source or (default_source or "")
    if not source:
        raise InvalidRecord("no source (hotline or partner code); give one per row or with --source", code=QuarantineReason.MISSING_SOURCE)
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidRecord(f"source of {len(source)} characters is longer than {MAX_SOURCE_CHARS}", code=QuarantineReason.FIELD_TOO_LONG)
    if not raw_url:
        raise InvalidRecord("no URL", code=QuarantineReason.MISSING_URL)
    if len(raw_url) > MAX_URL_CHARS:
        raise InvalidRecord(
            f"URL of {len(raw_url):,} characters is longer than the {MAX_URL_CHARS:,}-character limit", code=QuarantineReason.URL_TOO_LONG
        )
    canonical = _canonical(raw_url)
    if not when:
        raise InvalidRecord("no reported_at date", code=QuarantineReason.MISSING_REPORTED_AT)
    reported_at = parse_timestamp(when)
    ip = parse_ip(ip_text) if ip_text else None
    commercial = parse_flag(get("commercial"))
    actioned = parse_flag(get("actioned"), "actioned")
    site_type = parse_site_type(site_text) if site_text else None
    channel = parse_channel(_text(get("channel")))
    payments = get("payment_types")
    payment_types = parse_payment_types(payments) if payments else ()
    for name, text in (("report_id", report_id), ("notes", notes)):
        if len(text) > MAX_FIELD_CHARS:
            raise InvalidRecord(f"{name} of {len(text):,} characters is too long", code=QuarantineReason.FIELD_TOO_LONG)
    if not report_id:
        report_id = "h:" + _key(
            reported_at.isoformat(), raw_url, ip or "", str(commercial), site_type or "", ";".join(payment_types),
            notes, *(() if actioned is None else (f"actioned={actioned}",)),
            *(() if channel is None else (f"channel={channel}",)),
        )  # fmt: skip
    return Report(
        _key(source, report_id), report_id, source, reported_at, raw_url, canonical.url, canonical.host, ip,
        commercial, site_type, payment_types, notes or None, actioned, channel,
    )  # fmt: skip
