"""Canonical e-mail addresses and merchant-account IDs, wherever they come from.

A merchant account found on a page (``attribute.identifiers``, kind ``merchant_account``)
and one a test purchase names (``ingest.purchases``) must agree character for character,
or the payment statistics cannot join them. Both go through :func:`clean_account` here,
as URLs from every source go through :func:`vigil.urls.canonicalize_url`.
Every function returns ``None`` to reject and never raises.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import idna

__all__ = ["PLACEHOLDER", "clean_account", "clean_email"]

#: Longest account ID kept (after whitespace is removed).
MAX_ACCOUNT: Final = 128
#: Template placeholders and dummy values, never real accounts or affiliate IDs.
PLACEHOLDER: Final = re.compile(
    r"\{\{|\}\}|<\?|\?>|\$\{|%%|<%|^\{.*\}$|^\[.*\]$|^%.*%$|^<.*>$|^x+$"
    r"|^(?:null|none|undefined|test|todo|changeme|your_?id|id)$",
    re.IGNORECASE,
)
_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART: Final = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_DNS_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
#: Last labels that are file extensions, not TLDs ("logo@2x.png" is not an address).
_FILE_TLDS: Final = frozenset(
    {
        "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "tif", "tiff", "css", "js", "json",
        "xml", "html", "htm", "php", "txt", "pdf", "mp4", "webm",
    }
)  # fmt: skip


def clean_account(text: str) -> str | None:
    """A merchant account ID without its scope: whitespace removed, upper-cased, or an
    e-mail address lower-cased; ``None`` for no alphanumeric, all zeros, a placeholder
    (``test``, ``{{id}}``, ``xxx``) or more than :data:`MAX_ACCOUNT` characters."""
    account = "".join(text.split())
    if not 0 < len(account) <= MAX_ACCOUNT:
        return None
    if not any(c.isalnum() for c in account) or not account.strip("0") or PLACEHOLDER.search(account):
        return None
    return clean_email(account) or account.upper()


def clean_email(text: str) -> str | None:
    """A practical ``local@domain`` check: dot-atom local part, DNS host name with a TLD."""
    if len(text) > 254 or text.count("@") != 1:
        return None
    local, _, domain = text.partition("@")
    if not 0 < len(local) <= 64 or not _LOCAL_PART.fullmatch(local):
        return None
    host = _email_domain(domain)
    return f"{local.lower()}@{host}" if host else None


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    domain = domain.lower()
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return None
    tld = labels[-1]
    if not (tld.isalpha() and len(tld) >= 2 or tld.startswith("xn--")) or tld in _FILE_TLDS:
        return None
    return domain
