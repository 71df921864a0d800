"""Notices: grouped per recipient and evidence bundle, deduplicated, rendered as ``.eml``.

A *due* item (a URL, the recipient its escalation step has reached, and the attempt) comes
from :mod:`vigil.disrupt.escalation`. Items already sent (same recipient, URL and attempt)
are dropped; items the recipient may not see under their marking are withheld and counted;
the rest are grouped by recipient, attempt and *bundle* (the brand, else the distributor,
else the host: one notice per site identity, so a provider sees the whole of it at once) and
cut into notices of at most ``max_urls`` URLs.

Each notice renders as an RFC 5322 message: a plain-text body listing each URL with its
times and identifiers, and one XARF v4 JSON attachment per URL. Never content.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime

from vigil.disrupt.cases import Case
from vigil.disrupt.markings import Audience, may_see, strictest
from vigil.disrupt.recipients import Recipient
from vigil.disrupt.xarf import Sender, iso, xarf_report

_XARF_JSON = json.JSONEncoder(sort_keys=True)  # what json.dumps(report, sort_keys=True) makes per call
MAX_URLS = 50  # XARF allows 50 evidence items; one notice stays readable at that size


@dataclass(frozen=True, slots=True)
class Due:
    """One URL due for a notice to ``recipient`` (attempt 1 = first, 2… = re-sends)."""

    case: Case
    recipient: Recipient
    attempt: int
    reason: str
    detected: datetime | None = None
    verified: datetime | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: str
    recipient: Recipient
    bundle: str
    attempt: int
    items: tuple[Due, ...]
    marking: str

    @property
    def urls(self) -> list[str]:
        return [item.case.url for item in self.items]


@dataclass(frozen=True, slots=True)
class Plan:
    notices: list[Notice]
    already_sent: int
    withheld: int
    unreachable: int


def bundle_of(case: Case) -> str:
    if case.brand:
        return f"brand:{case.brand}"
    if case.distributor:
        return f"distributor:{case.distributor}"
    return f"host:{case.host}"


def plan_notices(due: Iterable[Due], *, sent: set[tuple[str, str, int]], clearance: dict[str, str] | None = None,
                 sender_org: str = "hotline", max_urls: int = MAX_URLS) -> Plan:  # fmt: skip
    """Group due items into notices, dropping what was sent and what the recipient may not see.

    ``sent`` holds ``(recipient key, url, attempt)`` already sent; ``clearance`` maps a
    recipient key (or name) to the strictest marking it may receive (default ``TLP:AMBER``).
    """
    groups: dict[tuple[str, int, str], list[Due]] = defaultdict(list)
    recipients: dict[str, Recipient] = {}
    already = withheld = unreachable = 0
    clearance = clearance or {}
    for item in due:
        recipient = item.recipient
        if not recipient.reachable:
            unreachable += 1
            continue
        if (recipient.key, item.case.url, item.attempt) in sent:
            already += 1
            continue
        level = clearance.get(recipient.key) or clearance.get(recipient.name) or "TLP:AMBER"
        audience = Audience(org=recipient.name, clearance=level, sender_org=sender_org)
        if not may_see(audience, owner_org=item.case.owner_org, record_marking=item.case.marking):
            withheld += 1
            continue
        recipients[recipient.key] = recipient
        groups[(recipient.key, item.attempt, bundle_of(item.case))].append(item)
    notices = []
    for (key, attempt, bundle), items in sorted(groups.items()):
        items.sort(key=lambda d: d.case.url)
        for start in range(0, len(items), max_urls):
            chunk = tuple(items[start:start + max_urls])
            digest = hashlib.sha256("|".join([key, bundle, str(attempt), *[d.case.url for d in chunk]]).encode()).hexdigest()
            notices.append(Notice(f"n-{digest[:16]}", recipients[key], bundle, attempt, chunk,
                                  strictest([d.case.marking for d in chunk])))  # fmt: skip
    return Plan(notices, already, withheld, unreachable)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A rendered notice: its RFC 5322 bytes, Message-ID and envelope."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    def as_bytes(self) -> bytes:
        return self.data

    def __getitem__(self, header: str) -> str | None:
        return self.message_id if header.lower() == "message-id" else None


def _header(name: str, value: str) -> str:
    """One header line; a non-ASCII value is RFC 2047-encoded (UTF-8, base64)."""
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}: {Header(value, 'utf-8').encode()}"


def _address(name: str, address: str) -> str:
    if name.isascii():
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'
    return f"{Header(name, 'utf-8').encode()} <{address}>"


def _base64(data: bytes) -> str:
    """Base64 in lines of 76 characters joined by CRLF (no line break after the last)."""
    return base64.encodebytes(data).decode("ascii").rstrip("\n").replace("\n", "\r\n")


def render(notice: Notice, *, sender: Sender, sent_at: datetime) -> Outgoing:
    """The notice as an RFC 5322 message (MIME multipart/mixed) with one XARF v4 attachment per URL.

    Written directly rather than through :mod:`email`'s generator, which refolds every header
    and was most of the time notices took at scale; the result parses back with :mod:`email`
    (the tests do), and the boundary is derived from the notice, so the bytes are reproducible.
    """
    message_id = f"<{notice.notice_id}.{notice.attempt}@{sender.domain}>"
    boundary = f"=_vigil_{notice.notice_id}_{notice.attempt}"
    subject = (f"[{notice.marking}] Notice {notice.notice_id}: {len(notice.items)} URL(s) for removal"
               + (f" (reminder {notice.attempt - 1})" if notice.attempt > 1 else ""))  # fmt: skip
    head = [
        "MIME-Version: 1.0",
        f"From: {_address(sender.org, sender.contact)}",
        f"To: {_address(notice.recipient.name, notice.recipient.address or '')}",
        _header("Subject", subject),
        f"Date: {format_datetime(sent_at.replace(tzinfo=UTC))}",
        f"Message-ID: {message_id}",
        f"X-Vigil-Notice: {notice.notice_id}",
        f"X-Vigil-Marking: {notice.marking}",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]  # fmt: skip
    lines = [
        f"To the {notice.recipient.role} abuse desk of {notice.recipient.name},",
        "",
        f"{sender.org} asks you to act on the URLs below, which its analysts assessed as child sexual",
        "abuse material offered on a commercial site. Please remove or suspend them and preserve",
        "what you hold for law enforcement. This notice carries no content: only URLs, times and",
        "identifiers. A machine-readable XARF v4 report is attached for each URL.",
        "",
        f"Reference: {notice.notice_id} (attempt {notice.attempt}); please keep it in your reply.",
        f"Sharing: {notice.marking} — for your abuse handling only.",
        "",
    ]
    for n, item in enumerate(notice.items, 1):
        case = item.case
        lines.append(f"{n}. {case.url}")
        details = [f"host {case.host}"]
        if case.ip:
            details.append(f"IP {case.ip}" + (f" (AS{case.asn})" if case.asn is not None else ""))
        if item.detected:
            details.append(f"first seen {iso(item.detected)}")
        if item.verified:
            details.append(f"last verified online {iso(item.verified)}")
        if notice.recipient.role == "processor" and case.merchant_account:
            details.append(f"merchant account {case.merchant_account}")
        lines.append("   " + "; ".join(details))
    out = ["\r\n".join(head), "", "This is a MIME message.", f"--{boundary}",
           'Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64", "",
           _base64(("\n".join(lines) + "\n").replace("\n", "\r\n").encode("utf-8"))]  # fmt: skip
    for n, item in enumerate(notice.items, 1):
        report = xarf_report(item.case, sender=sender, sent_at=sent_at, notice_id=notice.notice_id,
                             detected=item.detected, verified=item.verified)  # fmt: skip
        out += [f"--{boundary}", "Content-Type: application/json", "Content-Transfer-Encoding: base64",
                f'Content-Disposition: attachment; filename="xarf-{n:02d}.json"', "",
                _base64(_XARF_JSON.encode(report).encode())]  # fmt: skip
    out += [f"--{boundary}--", ""]
    return Outgoing(message_id, sender.contact, (notice.recipient.address or "",), "\r\n".join(out).encode("ascii"))
