"""Currencies in prices on sales pages: ISO 4217 codes, symbols and local spellings.

One place says which marks name which currency. :func:`currency_of` cleans a mark found
beside an amount (``€``, ``EUR``, ``euro``, ``US$``, ``руб.``) to its ISO 4217 code, or
returns ``None`` for anything it does not know (it never raises). A bare ``$`` is read as
US dollars, ``kr`` as Swedish kronor: the usual readings; a page that means another dollar
says so (``C$``, ``AU$``, ``CAD``). ``XBT`` (bitcoin) is not in ISO 4217 proper but uses its
``X`` range, as is common; it is kept so that prices in bitcoin are not lost.
"""

from __future__ import annotations

import re

__all__ = ["CODES", "MARK_PATTERN", "currency_of"]

#: The ISO 4217 codes recognised when written out (upper case) beside an amount.
CODES = frozenset(
    ["EUR", "USD", "GBP", "RUB", "JPY", "CHF", "CAD", "AUD", "NZD", "PLN", "CZK", "SEK", "NOK", "DKK", "UAH", "KZT", "BRL", "CNY", "INR", "TRY", "HUF", "RON", "BGN", "MXN", "ARS", "ZAR", "KRW", "HKD", "SGD", "ILS", "BYN", "MDL", "GEL", "AMD", "AZN", "XBT"]
)

# Symbols and spellings → code. Keys are lower case; the longest match wins (see MARK_PATTERN).
_MARKS: dict[str, str] = {
    "€": "EUR", "euro": "EUR", "euros": "EUR", "eur.": "EUR",
    "$": "USD", "us$": "USD", "usd$": "USD", "dollar": "USD", "dollars": "USD",
    "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD", "r$": "BRL", "hk$": "HKD", "s$": "SGD",
    "mx$": "MXN",
    "£": "GBP", "pound": "GBP", "pounds": "GBP",
    "¥": "JPY", "yen": "JPY",
    "₽": "RUB", "руб": "RUB", "руб.": "RUB", "рублей": "RUB", "рубля": "RUB", "rubles": "RUB", "roubles": "RUB",
    "zł": "PLN", "złotych": "PLN",
    "kč": "CZK",
    "kr": "SEK", "kr.": "DKK",
    "₴": "UAH", "грн": "UAH", "грн.": "UAH",
    "₸": "KZT", "тг": "KZT", "тенге": "KZT",
    "fr.": "CHF", "sfr": "CHF",
    "₺": "TRY",
    "lei": "RON", "лв": "BGN", "лв.": "BGN",
    "₹": "INR",
    "₩": "KRW", "₪": "ILS",
    "₿": "XBT", "btc": "XBT", "bitcoin": "XBT", "bitcoins": "XBT",
}  # fmt: skip


def currency_of(mark: str) -> str | None:
    """The ISO 4217 code a currency mark stands for, or ``None``.

    >>> currency_of("€"), currency_of("eur"), currency_of("US$"), currency_of("руб."), currency_of("dozen")
    ('EUR', 'EUR', 'USD', 'RUB', None)
    """
    text = mark.strip()
    if not text or len(text) > 12:
        return None
    if text.upper() in CODES:
        return text.upper()
    return _MARKS.get(text.lower())


def _alternatives() -> str:
    words = sorted({*(_MARKS), *(c.lower() for c in CODES)}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in words)


#: A currency mark, longest first (case-insensitive). Letters-only marks are whole words.
MARK_PATTERN = rf"(?:{_alternatives()})"
