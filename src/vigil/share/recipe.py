"""The partner hashing recipe, version 1: normalise, then HMAC-SHA256 with the partner's key.

Standard library only, and kept line for line the same as ``tools/vigil_match_hash.py``,
the script a partner runs on its side (a test checks both against
``tests/data/match_vectors.tsv`` and against each other). ``normalise`` returns ``None``
for a value that is not of its kind; it never raises.

    digest = HMAC-SHA256(key, UTF-8("<kind>:<normalised value>")), as 64 lower-case hex digits
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

VERSION = 1
KINDS = ("merchant_account", "email", "wallet", "phone", "iban", "url")

_SPACE = re.compile(r"\s+")
_PHONE_SEPARATORS = re.compile(r"[\s\-./()]+")
_HEX40 = re.compile(r"0x[0-9a-f]{40}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise(kind: str, raw: str) -> str | None:
    """The value as both sides hash it, or None when ``raw`` is not a ``kind``."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > 4096:
        return None
    if kind == "merchant_account":
        scope, sep, account = _SPACE.sub("", text).partition("/")
        if not sep or not scope or not account:
            return None
        return f"{scope.lower()}/{account.lower() if '@' in account else account.upper()}"
    if kind == "email":
        text = text.lower()
        if text.count("@") != 1 or _SPACE.search(text):
            return None
        local, _, domain = text.partition("@")
        domain = domain.rstrip(".")
        if not local or not domain:
            return None
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        return f"{local}@{domain}"
    if kind == "wallet":
        text = _SPACE.sub("", text)
        low = text.lower()
        if _HEX40.fullmatch(low) or low.startswith(("bc1", "tb1")):
            return low
        return text if text.isalnum() else None
    if kind == "phone":
        text = _PHONE_SEPARATORS.sub("", text)
        if text.startswith("00"):
            text = "+" + text[2:]
        digits = text[1:]
        if not text.startswith("+") or not digits.isdigit() or not digits.isascii() or not 6 <= len(digits) <= 15:
            return None
        return text
    if kind == "iban":
        text = re.sub(r"[\s\-]+", "", text).upper()
        return text if text.isascii() and text.isalnum() and 15 <= len(text) <= 34 else None
    if kind == "url":
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            return None
        scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
        if scheme not in ("http", "https") or not host:
            return None
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
        netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
        return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return None


def digest(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of an already normalised value."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
