"""URL canonicalisation: one pure function from a reported URL to the form Vigil keys on.

``canonicalize_url(raw)`` follows the WHATWG URL Standard for how a browser reads
an http, https or ftp URL (which slashes count, where the host ends, how IPv4
numbers are written) and RFC 3986 section 6.2.2 for how the result is written
(percent-encoding normalised, dot-segments removed). It raises
:class:`~vigil.errors.InvalidURL` with a reason a person understands on junk, and
never anything else. Every rule and every intended departure from the outside
test suites is listed, with examples, in ``docs/urls.md``.

Rules, in order:

* leading and trailing spaces and control characters are stripped, tabs and
  newlines inside are removed; any other ASCII control character is rejected;
* a missing scheme means ``http``; only http, https and ftp are accepted;
* userinfo (``user:pass@``) and the fragment are dropped;
* the host is percent-decoded, mapped with UTS #46 and written as lower-case
  IDNA (``xn--``), without leading, trailing or repeated dots; WHATWG IPv4
  forms (``0x7f.1``, ``2130706433``) become dotted decimal, IPv6 is compressed;
* the port is dropped when it is the scheme's default;
* escapes of unreserved characters are decoded, other escapes get upper-case
  hex, characters that must be escaped are encoded as UTF-8 ``%XX``;
* dot-segments are resolved and an empty path becomes ``/``.

Speed: an already clean ASCII URL takes one regular-expression match, a messy
one goes through the general path, and host conversion is cached per host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_to_bytes

import idna

from vigil.errors import InvalidURL

__all__ = ["CanonicalURL", "DEFAULT_PORTS", "MAX_URL_LENGTH", "canonicalize_url"]

#: Accepted schemes and their default ports (dropped from the canonical URL).
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ftp": 21}

#: Longer inputs are rejected: reports are hostile input and must be bounded.
MAX_URL_LENGTH = 65_536


@dataclass(frozen=True, slots=True)
class CanonicalURL:
    """A canonical http, https or ftp URL and its parts."""

    original: str  # the input as given
    url: str  # the canonical URL string
    scheme: str
    host: str  # lower-case IDNA; IPv4 dotted-decimal; IPv6 compressed, no brackets
    port: int | None  # None when default for the scheme
    path: str
    query: str | None


# Left unescaped: in a path, RFC 3986 pchar and "/"; in a query, the same and "?"
# but not "'", which browsers escape there (WHATWG special-query percent-encode set).
_PCHAR = r"A-Za-z0-9\-._~!$&'()*+,;=:@/"
_QCHAR = r"A-Za-z0-9\-._~!$&()*+,;=:@/?"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

#: A URL whose path and query need no fixing: only host and port are left to check.
_CLEAN_URL = re.compile(
    r"([Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp])://([A-Za-z0-9_.-]+)(?::([0-9]*))?"
    rf"(/[{_PCHAR}]*)?(?:\?([{_QCHAR}]*))?(?:#[^\x00-\x20\x7f\ud800-\udfff]*)?"
)
_CLEAN_PATH = re.compile(rf"/[{_PCHAR}]*")
_CLEAN_QUERY = re.compile(rf"[{_QCHAR}]*")
_PATH_FIX = re.compile(rf"%([0-9A-Fa-f]{{2}})|[^{_PCHAR}]")
_QUERY_FIX = re.compile(rf"%([0-9A-Fa-f]{{2}})|[^{_QCHAR}]")

_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_BAD_CHAR = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_PORT_NEXT = re.compile(r"[0-9]+(?:[/\\?#]|$)|$")
_ENCODED_SCHEME = re.compile(r"(?i)(https?|ftp)%3A%2F%2F")
_SPLIT = re.compile(r"([^/\\?#]*)([^?#]*)(?:\?([^#]*))?")
_NOT_HOST_CHAR = re.compile(r"[^a-z0-9_.-]")
_NUMBER_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_DOTS = re.compile(r"\.{2,}")
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")


def canonicalize_url(raw: str) -> CanonicalURL:
    """Canonicalise one reported URL.

    >>> canonicalize_url("HTTP://Shop.Example:80/a/./b/../c%7e?q=%aa#top").url
    'http://shop.example/a/c~?q=%AA'
    >>> canonicalize_url("name.test/page").url
    'http://name.test/page'

    Raises :class:`InvalidURL` (and nothing else) when ``raw`` is not a usable
    http, https or ftp URL; ``reason`` says why.
    """
    clean = _CLEAN_URL.fullmatch(raw) if isinstance(raw, str) and len(raw) <= MAX_URL_LENGTH else None
    if clean is not None:
        scheme, host, port, path, query = clean.groups()
        if path is None or "/." not in path:
            return _build(raw, scheme.lower(), host, port, path or "/", query)
    return _canonicalize(raw)


def _canonicalize(raw: str) -> CanonicalURL:
    """The general path: every rule, for any input."""
    if not isinstance(raw, str):
        raise InvalidURL(f"URL must be a string, not {type(raw).__name__}")
    if not raw:
        raise InvalidURL("empty URL")
    if len(raw) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL longer than {MAX_URL_LENGTH} characters")
    text = raw.strip(_C0_AND_SPACE)
    if "\t" in text or "\n" in text or "\r" in text:
        text = _TAB_NEWLINE.sub("", text)
    if not text:
        raise InvalidURL("URL is only whitespace or control characters")
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        what = "a lone surrogate" if bad[0] >= "\ud800" else "a control character"
        raise InvalidURL(f"URL contains {what} (U+{ord(bad[0]):04X}) at position {bad.start()}")
    scheme, rest = _split_scheme(text)
    parts = _SPLIT.match(rest)
    assert parts is not None  # every group of _SPLIT may be empty
    authority, path, query = parts.groups()
    host, port = _split_authority(authority)
    if query is not None and not _CLEAN_QUERY.fullmatch(query):
        query = _QUERY_FIX.sub(_fix_escape, query)
    return _build(raw, scheme, host, port, _normalise_path(path), query)


def _split_scheme(text: str) -> tuple[str, str]:
    """Return the lower-case scheme and what follows it, minus leading slashes."""
    match = _SCHEME.match(text)
    if match is None:
        encoded = _ENCODED_SCHEME.match(text)
        if encoded is not None:  # "http%3A%2F%2Fsite.test/": copied out of a query string
            return encoded[1].lower(), text[encoded.end() :]
    else:
        scheme = match[1].lower()
        rest = text[match.end() :]
        if scheme in DEFAULT_PORTS:
            return scheme, rest.lstrip("/\\")  # WHATWG: any number of slashes, or none
        if rest.startswith("//") or ("." not in scheme and not _PORT_NEXT.match(rest)):
            raise InvalidURL(f"unsupported scheme {scheme!r} (only http, https and ftp)")
        # "site.test:8080/x" or "localhost:8080": a host and port, not a scheme
    if text.startswith(("//", "\\\\")):
        return "http", text.lstrip("/\\")  # scheme-relative reference
    if text[0] in "/\\?#":
        raise InvalidURL(f"no host: {text[:40]!r} is a relative reference")
    return "http", text


def _split_authority(authority: str) -> tuple[str, str | None]:
    """Drop userinfo; return the raw host and the raw port (``None`` when absent)."""
    if "@" in authority:
        authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise InvalidURL("IPv6 host has no closing ']'")
        host, after = authority[: close + 1], authority[close + 1 :]
        if after and after[0] != ":":
            raise InvalidURL(f"unexpected {after[:20]!r} after IPv6 host")
        return host, after[1:] or None
    host, colon, port = authority.partition(":")
    return host, port if colon else None


def _build(raw: str, scheme: str, host: str, port_text: str | None, path: str, query: str | None) -> CanonicalURL:
    """Check host and port, then build the result from an already normal path and query."""
    host, bracketed = _normalise_host(host)
    port: int | None = None
    if port_text:
        digits = port_text.lstrip("0") or "0"
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 5 or int(digits) > 65535:
            raise InvalidURL(f"invalid port {port_text[:20]!r}")
        port = int(digits)
        if port == DEFAULT_PORTS[scheme]:
            port = None
    netloc = f"[{host}]" if bracketed else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    url = f"{scheme}://{netloc}{path}" if query is None else f"{scheme}://{netloc}{path}?{query}"
    return CanonicalURL(raw, url, scheme, host, port, path, query)


def _normalise_path(path: str) -> str:
    """Fix escapes and resolve dot-segments, WHATWG-style ('/a/b/..' -> '/a/')."""
    if not path:
        return "/"
    if "\\" in path:
        path = path.replace("\\", "/")
    if not _CLEAN_PATH.fullmatch(path):
        path = _PATH_FIX.sub(_fix_escape, path)
    if "/." not in path:
        return path
    segments = path.split("/")[1:]
    last = len(segments) - 1
    out: list[str] = []
    for i, segment in enumerate(segments):
        if segment == "..":
            if out:
                out.pop()
            if i == last:
                out.append("")
        elif segment == ".":
            if i == last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _fix_escape(match: re.Match[str]) -> str:
    """Decode an escaped unreserved character, upper-case other escapes, escape the rest."""
    hexdigits = match[1]
    if hexdigits is not None:
        char = chr(int(hexdigits, 16))
        return char if char in _UNRESERVED else "%" + hexdigits.upper()
    return "".join(f"%{byte:02X}" for byte in match[0].encode("utf-8"))


@lru_cache(maxsize=65_536)
def _normalise_host(host: str) -> tuple[str, bool]:
    """Return the canonical host and whether it is an IPv6 address."""
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidURL("IPv6 host has no closing ']'")
        return _ipv6(host[1:-1]), True
    if "%" in host:
        try:
            host = unquote_to_bytes(host).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidURL(f"host {host[:80]!r} has escapes that are not UTF-8") from None
    if not host.isascii():
        host = _idna(host)
    host = host.strip(".").lower()
    if not host:
        raise InvalidURL("no host")
    bad = _NOT_HOST_CHAR.search(host)
    if bad is not None:
        raise InvalidURL(f"host {host[:80]!r} contains invalid character {bad[0]!r}")
    if _NUMBER_LABEL.fullmatch(host.rpartition(".")[2]):
        return _ipv4(host), False
    if ".." in host:
        host = _DOTS.sub(".", host)
    if len(host) > 253:
        raise InvalidURL(f"host is {len(host)} octets long (at most 253)")
    if max(map(len, host.split("."))) > 63:
        raise InvalidURL(f"host {host[:80]!r} has a label longer than 63 octets")
    return host, False


def _idna(host: str) -> str:
    """Map a non-ASCII host to IDNA the way browsers do: UTS #46 non-transitional
    mapping, CheckBidi and CheckJoiners, no STD3 rules, no DNS length check.

    Uses the ``idna`` package's UTS #46 table and checks. Its strict IDNA 2008
    ``idna.encode`` is not used: it refuses names browsers open (emoji, symbols,
    '--' in the third and fourth positions) and gives the same answer otherwise.
    """
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
        return ".".join(map(_uts46_label, mapped.split(".")))
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise InvalidURL(f"host {host[:80]!r} is not a valid internationalised name: {exc}") from None


def _uts46_label(label: str) -> str:
    """One mapped label to ASCII; raises ``idna.IDNAError`` (a ``UnicodeError``) when invalid."""
    if label[:4] == "xn--":
        decoded = label[4:].encode("ascii").decode("punycode")
        if not decoded or decoded.isascii() or idna.uts46_remap(decoded, std3_rules=False) != decoded:
            raise idna.IDNAError(f"label {label!r} is not valid Punycode")
        return label
    if label.isascii():
        return label
    idna.check_bidi(label)
    for i, char in enumerate(label):
        if char in "\u200c\u200d" and not idna.valid_contextj(label, i):
            raise idna.IDNAError(f"joiner U+{ord(char):04X} not allowed in {label!r}")
    return "xn--" + label.encode("punycode").decode("ascii")


def _ipv4(host: str) -> str:
    """Parse a host ending in a number the WHATWG way: '0x7f.1' -> '127.0.0.1'."""
    parts = host.split(".")
    if len(parts) > 4:
        raise InvalidURL(f"host {host!r} ends in a number but has more than four parts")
    numbers = [_ipv4_number(part) for part in parts]
    if min(numbers) < 0:
        raise InvalidURL(f"host {host!r} ends in a number but is not an IPv4 address")
    last = numbers.pop()
    if any(n > 255 for n in numbers) or last >= 256 ** (4 - len(numbers)):
        raise InvalidURL(f"IPv4 address {host!r} is out of range")
    value = last
    for i, number in enumerate(numbers):
        value += number << (8 * (3 - i))
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _ipv4_number(part: str) -> int:
    """One part of a WHATWG IPv4 address: '0x' hex, '0' octal, else decimal; -1 if invalid."""
    if part[:2] == "0x":
        digits, base = part[2:] or "0", 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits.isalnum():  # int() would accept '_', '+' and spaces
        return -1
    try:
        return int(digits, base)
    except ValueError:  # a bad digit, or too many decimal digits for int()
        return -1


def _ipv6(text: str) -> str:
    """Parse an IPv6 address and write it compressed, without brackets (RFC 5952)."""
    pieces = _ipv6_pieces(text)
    best_start, best_len, start = -1, 1, -1
    for i, piece in enumerate([*pieces, 1]):
        if piece == 0 and start < 0:
            start = i
        elif piece != 0 and start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    hextets = [f"{piece:x}" for piece in pieces]
    if best_start < 0:
        return ":".join(hextets)
    head = ":".join(hextets[:best_start])
    tail = ":".join(hextets[best_start + best_len :])
    return f"{head}::{tail}"


def _ipv6_pieces(text: str) -> list[int]:
    """The eight 16-bit pieces of an IPv6 address (WHATWG IPv6 parser rules)."""
    if not _IPV6_CHARS.fullmatch(text):
        raise InvalidURL(f"invalid IPv6 address {text[:60]!r}")
    head, double, tail = text.partition("::")
    if "::" in tail:
        raise InvalidURL(f"invalid IPv6 address {text!r}: more than one '::'")
    groups = [g.split(":") if g else [] for g in (head, tail)]
    pieces: list[list[int]] = [[], []]
    for side, names in enumerate(groups):
        for k, name in enumerate(names):
            is_last = side == 1 or not double
            if "." in name and is_last and k == len(names) - 1:
                octets = name.split(".")
                if len(octets) != 4 or not all(
                    o.isdigit() and (o == "0" or o[0] != "0") and int(o) < 256 for o in octets
                ):
                    raise InvalidURL(f"invalid IPv4 part in IPv6 address {text!r}")
                n = [int(o) for o in octets]
                pieces[side] += [n[0] << 8 | n[1], n[2] << 8 | n[3]]
            elif 1 <= len(name) <= 4 and "." not in name:
                pieces[side].append(int(name, 16))
            else:
                raise InvalidURL(f"invalid IPv6 address {text!r}")
    count = len(pieces[0]) + len(pieces[1])
    if (double and count > 7) or (not double and count != 8):
        raise InvalidURL(f"invalid IPv6 address {text!r}: wrong number of groups")
    return pieces[0] + [0] * (8 - count) + pieces[1]
