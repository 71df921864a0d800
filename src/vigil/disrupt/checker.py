"""The optional online checker: is a noticed URL still up? Headers only, never a body. Off by default.

Offline status normally comes from analysts' re-checks (``vigil takedown recheck``). This checker
is the other source, run only when asked (``vigil takedown check``; never in tests, which use
a fake transport). For each URL it:

* skips, without any request, a URL whose path names a media file (``.jpg``, ``.mp4``, …);
* sends ``HEAD``; when the server refuses it (405, 501), sends ``GET`` and closes the
  response after its headers — the body is never read, whatever its type;
* follows at most ``max_redirects`` redirects (http and https only), each hop checked again;
* waits ``per_host_interval`` seconds between two requests to the same host; each request has
  a ``timeout``.

The result is a re-check, recorded as the analysts' re-checks are (stage ``online`` or
``offline``, source ``check:headers``, the status code in ``detail``), or stage ``check_error``:

=======================================  ==============
final response                           result
=======================================  ==============
2xx with an HTML Content-Type            ``online``
404, 410, 451                            ``offline``
2xx of another type, other codes,        ``check_error`` (the code or the failure in ``detail``;
too many redirects, timeout, no answer   it never counts as removed or as up)
=======================================  ==============

Transports (:class:`HeaderTransport`) open one request and hand back its status and headers;
:class:`HttpTransport` is the real one (the standard library's ``http.client``; the connection
is closed once the headers are in).
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

from vigil.disrupt.clocks import Event

SOURCE = "check:headers"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
OFFLINE_CODES = frozenset({404, 410, 451})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
HEAD_REFUSED = frozenset({405, 501})
MEDIA_SUFFIXES = frozenset({
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".svg", ".ico", ".heic", ".avif",
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".flv", ".mpg", ".mpeg", ".3gp", ".ts", ".m3u8",
    ".mp3", ".m4a", ".wav", ".ogg", ".oga", ".flac", ".aac", ".opus",
    ".zip", ".rar", ".7z", ".tar", ".gz", ".pdf",
})  # fmt: skip


class TransportError(Exception):
    """A request that got no answer: timeout, refused connection, bad TLS, unknown name."""


class HeaderResponse(Protocol):
    """A response whose headers have arrived; the checker reads ``status`` and ``headers`` and closes it."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def close(self) -> None: ...


class HeaderTransport(Protocol):
    def open(self, method: str, url: str, *, timeout: float) -> HeaderResponse:
        """Send ``method`` (HEAD or GET) for ``url`` without following redirects; return once the
        headers are in. Raises :class:`TransportError` when there is no answer."""
        ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    url: str
    status: str  # online | offline | error | skipped
    code: int | None
    detail: str
    at: datetime

    def event(self) -> Event | None:
        """The re-check as a takedown event (``None`` for a URL that was skipped)."""
        if self.status == "skipped":
            return None
        stage = "check_error" if self.status == "error" else self.status
        return Event(self.url, stage, self.at, SOURCE, None, self.detail)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def is_media(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return any(path.endswith(suffix) for suffix in MEDIA_SUFFIXES)


def content_type(headers: Mapping[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def _location(headers: Mapping[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "location"), None)


class HeaderChecker:
    """Checks URLs through ``transport``; ``clock``/``sleep`` pace requests per host, ``now`` stamps results."""

    def __init__(self, transport: HeaderTransport, *, timeout: float = 10.0, max_redirects: int = 5,
                 per_host_interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], datetime] = _utcnow) -> None:  # fmt: skip
        self.transport, self.timeout, self.max_redirects = transport, timeout, max_redirects
        self.per_host_interval, self.clock, self.sleep, self.now = per_host_interval, clock, sleep, now
        self._last: dict[str, float] = {}

    def _pace(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        last = self._last.get(host)
        if last is not None:
            wait = self.per_host_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last[host] = self.clock()

    def _request(self, method: str, url: str) -> tuple[int, dict[str, str]]:
        self._pace(url)
        response = self.transport.open(method, url, timeout=self.timeout)
        try:
            return response.status, dict(response.headers)
        finally:
            response.close()  # the body, if any, is never read

    def check(self, url: str) -> CheckResult:
        """One URL's re-check (never raises on a bad answer: that is an ``error`` result)."""
        current, hops = url, 0
        while True:
            if urlsplit(current).scheme not in ("http", "https"):
                return self._result(url, "error", None, f"redirected to a non-HTTP URL {current}")
            if is_media(current):
                return self._result(url, "skipped" if hops == 0 else "error", None,
                                    "a media URL: not requested" if hops == 0 else f"redirected to a media URL {current}")  # fmt: skip
            try:
                code, headers = self._request("HEAD", current)
                if code in HEAD_REFUSED:
                    code, headers = self._request("GET", current)  # headers only, closed unread
            except TransportError as exc:
                return self._result(url, "error", None, f"no answer: {exc}")
            if code in REDIRECT_CODES and _location(headers):
                if hops >= self.max_redirects:
                    return self._result(url, "error", code, f"HTTP {code}: more than {self.max_redirects} redirects")
                current, hops = urljoin(current, _location(headers) or ""), hops + 1
                continue
            return self._judge(url, current, hops, code, content_type(headers))

    def _judge(self, url: str, final: str, hops: int, code: int, kind: str) -> CheckResult:
        via = f" after {hops} redirect{'s' if hops > 1 else ''} to {final}" if hops else ""
        if code in OFFLINE_CODES:
            return self._result(url, "offline", code, f"HTTP {code}{via}")
        if 200 <= code < 300 and kind in HTML_TYPES:
            return self._result(url, "online", code, f"HTTP {code} {kind}{via}")
        if 200 <= code < 300:
            return self._result(url, "error", code, f"HTTP {code} {kind or 'no Content-Type'}{via}: not an HTML page, not judged")
        return self._result(url, "error", code, f"HTTP {code}{via}")

    def _result(self, url: str, status: str, code: int | None, detail: str) -> CheckResult:
        # a hostile server chooses Location and Content-Type: keep what is recorded short
        return CheckResult(url, status, code, detail if len(detail) <= 500 else detail[:499] + "…", self.now())


class HttpTransport:  # pragma: no cover - network; never used in tests
    """The real transport (the standard library's ``http.client``): no redirects followed; the
    response's status line and headers are read and the connection is closed, body unread."""

    def __init__(self, *, user_agent: str = "vigil-takedown-check (headers only)") -> None:
        self.user_agent = user_agent

    def open(self, method: str, url: str, *, timeout: float) -> HeaderResponse:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as exc:
            raise TransportError(f"bad URL: {exc}") from None
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(parts.hostname or "", port, timeout=timeout,
                                                                           context=ssl.create_default_context())  # fmt: skip
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout)
        target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        try:
            conn.request(method, target, headers={"User-Agent": self.user_agent, "Accept": "text/html", "Connection": "close"})
            response = conn.getresponse()  # the status line and headers only
        except (OSError, http.client.HTTPException, UnicodeError, ValueError) as exc:
            conn.close()
            raise TransportError(f"{type(exc).__name__}: {exc}"[:200]) from None
        return _HttpResponse(conn, response)


class _HttpResponse:  # pragma: no cover - network
    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self._conn, self._response = conn, response

    @property
    def status(self) -> int:
        return int(self._response.status)

    @property
    def headers(self) -> Mapping[str, str]:
        return {k: v for k, v in self._response.getheaders()}

    def close(self) -> None:
        self._conn.close()  # drops the socket: whatever body there was is never read
