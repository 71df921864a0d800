"""Replies read back: bounces and auto-replies mark a contact unreliable; answers acknowledge.

Input is a folder of ``.eml`` files, a Maildir (``cur``/``new``) or an mbox file. Each message
is classified (:func:`classify`):

* ``bounced`` — a delivery-status report (RFC 3464 ``multipart/report``) or a mailer-daemon
  failure; the failed address is the DSN's ``Final-Recipient`` (else ``Original-Recipient``);
* ``auto-reply`` — ``Auto-Submitted: auto-replied`` (RFC 3834), ``X-Autoreply``,
  ``X-Autorespond``, ``Precedence: auto_reply`` or an out-of-office subject; the address is
  the sender's;
* ``reply`` — a person's answer that names one of our notices (``In-Reply-To``/``References``
  holding our Message-ID, or the reference in the subject): an acknowledgement.

Bounced and auto-replying addresses are marked unreliable, so escalation moves past them.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from vigil.disrupt.rdap import clean_mailbox
from vigil.errors import InputError

_MAX_BYTES = 2_000_000
_NOTICE = re.compile(r"\b(n-[0-9a-f]{16})(?:\.(\d+))?")
_OOO = re.compile(r"out of (the )?office|automatic reply|auto[- ]?reply|autoreply|abwesenheit|absence", re.IGNORECASE)
_DAEMON = re.compile(r"mailer-daemon|postmaster", re.IGNORECASE)
_FAIL_SUBJECT = re.compile(r"undeliver|delivery status notification|delivery failure|returned mail|failure notice", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: str  # bounced | auto-reply | reply | other
    address: str | None
    notice_id: str | None
    at: datetime | None
    source: str
    reason: str


def _utc(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _notice_ref(message: Message) -> str | None:
    for header in ("In-Reply-To", "References", "X-Vigil-Notice", "Subject", "Message-ID"):
        found = _NOTICE.search(str(message.get(header, "")))
        if found:
            return found.group(1)
    return None


def _dsn(message: Message) -> tuple[str | None, str | None, str | None]:
    """(failed address, notice id of the original, status) from a delivery-status report."""
    address = status = notice = None
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [part]
            for block in blocks:
                if not isinstance(block, Message):
                    continue
                for field in ("Final-Recipient", "Original-Recipient"):
                    value = str(block.get(field, ""))
                    if value and address is None:
                        address = clean_mailbox(value.rpartition(";")[2].strip())
                status = status or (str(block.get("Status")) if block.get("Status") else None)
        elif ctype in ("message/rfc822", "text/rfc822-headers") and notice is None:
            inner = part.get_payload()
            inner_msg = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner_msg, Message):
                notice = _notice_ref(inner_msg)
            else:
                found = _NOTICE.search(str(part.get_payload(decode=False)))
                notice = found.group(1) if found else None
    return address, notice, status


def classify(message: Message, *, source: str) -> Reply:
    """What one incoming message says about a contact."""
    sender = getaddresses([str(message.get("From", ""))])
    from_addr = clean_mailbox(sender[0][1]) if sender else None
    subject = str(message.get("Subject", ""))
    at = _utc(str(message.get("Date", "")))
    is_report = message.get_content_type() == "multipart/report"
    if is_report or (_DAEMON.search(str(message.get("From", ""))) and _FAIL_SUBJECT.search(subject)):
        address, notice, status = _dsn(message)
        return Reply("bounced", address, notice or _notice_ref(message), at, source,
                     f"delivery failed{f' ({status})' if status else ''}")  # fmt: skip
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if (auto not in ("", "no") or message.get("X-Autoreply") or message.get("X-Autorespond")
            or str(message.get("Precedence", "")).lower() == "auto_reply" or _OOO.search(subject)):  # fmt: skip
        return Reply("auto-reply", from_addr, _notice_ref(message), at, source, f"automatic reply ({auto or 'subject'})")
    notice = _notice_ref(message)
    if notice:
        return Reply("reply", from_addr, notice, at, source, "answered the notice")
    return Reply("other", from_addr, None, at, source, "names no notice of ours")


def _read(path: Path) -> Message:
    if path.stat().st_size > _MAX_BYTES:
        raise InputError(f"{path}: larger than {_MAX_BYTES} bytes; not read")
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def read_messages(path: Path) -> Iterator[tuple[str, Message]]:
    """(source, message) for each message in a file, folder of ``.eml``, Maildir or mbox."""
    path = Path(path)
    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        box = mailbox.Maildir(str(path), factory=None, create=False)
        for key in sorted(box.keys()):
            yield f"{path}#{key}", message_from_bytes(box.get_bytes(key)[:_MAX_BYTES], policy=policy.default)
    elif path.is_dir():
        for item in sorted(path.rglob("*.eml")):
            yield str(item), _read(item)
    elif path.suffix.lower() == ".eml":
        yield str(path), _read(path)
    elif path.is_file():
        for n, raw in enumerate(mailbox.mbox(str(path), create=False)):
            yield f"{path}#{n}", message_from_bytes(raw.as_bytes()[:_MAX_BYTES], policy=policy.default)
    else:
        raise InputError(f"{path}: no such file or folder of replies")


def read_replies(path: Path) -> list[Reply]:
    return [classify(message, source=source) for source, message in read_messages(path)]


__all__ = ["Reply", "classify", "read_replies"]
