"""How notices leave: a dry-run outbox (the default) or SMTP.

A transport takes an RFC 5322 message and returns where it went. :class:`OutboxTransport`
writes ``<outbox>/<Message-ID local part>.eml`` and sends nothing — review it, then send for
real with :class:`SmtpTransport` (host, port, optional STARTTLS and login; the password from
``VIGIL_SMTP_PASSWORD``, never from the command line).
"""

from __future__ import annotations

import os
import re
import smtplib
from pathlib import Path
from typing import Protocol

from vigil.errors import ConfigError


class Message(Protocol):
    """What a transport sends: a rendered notice (:class:`vigil.disrupt.notices.Outgoing`)."""

    @property
    def message_id(self) -> str: ...

    @property
    def sender(self) -> str: ...

    @property
    def recipients(self) -> tuple[str, ...]: ...

    def as_bytes(self) -> bytes: ...


class Transport(Protocol):
    name: str

    def send(self, message: Message) -> str:
        """Deliver ``message``; returns where it went (a path or ``smtp:host:port``)."""
        ...


def _file_name(message: Message) -> str:
    local = (message.message_id or "notice").strip("<>").partition("@")[0]
    return re.sub(r"[^A-Za-z0-9._-]", "_", local) + ".eml"


class OutboxTransport:
    """The dry run: each message as an ``.eml`` file in a folder."""

    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._made = False

    def send(self, message: Message) -> str:
        if not self._made:  # once per transport, not once per notice
            self.directory.mkdir(parents=True, exist_ok=True)
            self._made = True
        path = self.directory / _file_name(message)
        path.write_bytes(message.as_bytes())
        return str(path)


class SmtpTransport:
    """SMTP to a relay the user configures (``host:port``)."""

    name = "smtp"

    def __init__(self, server: str, *, starttls: bool = False, user: str | None = None, timeout: float = 30.0) -> None:
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--smtp {server!r}: say host:port")
        self.host, self.port = host, int(port)
        self.starttls, self.user, self.timeout = starttls, user, timeout

    def send(self, message: Message) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, os.environ.get("VIGIL_SMTP_PASSWORD", ""))
                smtp.sendmail(message.sender, list(message.recipients), message.as_bytes())
        except (OSError, smtplib.SMTPException) as exc:
            raise ConfigError(f"SMTP {self.host}:{self.port} refused the notice: {exc}") from None
        return f"smtp:{self.host}:{self.port}"
