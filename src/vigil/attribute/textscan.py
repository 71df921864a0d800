"""Finding candidate identifiers in free text: e-mail (plain and obfuscated), Bitcoin and
Ethereum addresses, IBANs and phone numbers near a cue word.

Each finder yields ``(candidate, raw)`` pairs: the candidate is what the identifier
kind's ``clean`` is asked to accept (an obfuscated e-mail already rewritten with ``@``
and ``.``), ``raw`` the text as found. Finders only find; validation (checksums,
syntax, phone metadata) is the kinds' business, in ``identifiers``. Every pattern is
bounded (no unbounded repeats that could backtrack over a hostile page) and every
finder stops after ``limit`` candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import phonenumbers

__all__ = [
    "find_btc",
    "find_emails",
    "find_eth",
    "find_ibans",
    "find_obfuscated_emails",
    "find_phones",
    "find_worded_emails",
]

Found = Iterator[tuple[str, str]]

_LOCAL: Final = r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
_LABEL: Final = r"(?:[^\W_]|-){1,63}"
_TLD: Final = r"(?:[^\W\d_]{2,24}|xn--[A-Za-z0-9-]{1,59})"
_EMAIL: Final = re.compile(rf"(?<![\w.%+-])({_LOCAL}@(?:{_LABEL}\.){{1,8}}{_TLD})(?![\w-])")

# Obfuscated "@" and ".": [at] (at) {at} <at> [@] (@), " AT " in capitals, and &#64; &commat;
# left in raw text (comments); the same for ".", [dot] (.) " DOT " &#46; &period;.
_AT: Final = (r"(?:\s{0,3}[\[({<]\s{0,2}(?:(?i:at)|@)\s{0,2}[\])}>]\s{0,3}|\s{1,3}AT\s{1,3}"
              r"|\s{0,3}(?:&#0*64;|&#[xX]0*40;|&commat;)\s{0,3})")  # fmt: skip
_DOT: Final = (r"(?:\s{0,3}[\[({<]\s{0,2}(?:(?i:dot)|\.)\s{0,2}[\])}>]\s{0,3}|\s{1,3}DOT\s{1,3}|\."
               r"|\s{0,3}(?:&#0*46;|&#[xX]0*2[eE];|&period;)\s{0,3})")  # fmt: skip
_OBFUSCATED: Final = re.compile(rf"(?<![\w.%+-])({_LOCAL}){_AT}((?:{_LABEL}{_DOT}){{1,8}}{_TLD})(?![\w-])")
_DOT_ONLY: Final = re.compile(_DOT)
#: One of these (in lower case) is in every obfuscated address: a cheap test before the pattern.
_AT_MARKERS: Final = ("at]", "at)", "at}", "at>", "@]", "@)", "@}", "@>", " at ", "&#", "&commat;")

# Worded addresses, only soon after a cue word: "e-mail: sales at photoclub dot test",
# "contact sales @ photoclub.test". " at " needs a worded " dot " in the domain too, and the
# name is not a pronoun ("contact us at photoclub dot test" names no mailbox).
_MAIL_CUE: Final = re.compile(r"(?i)\b(?:e-?mail|mail|mailbox|contact|write)(?:\s{0,2}(?:us|me|to))?\b\W{0,3}")
_MAIL_WINDOW: Final = 40
_MAX_CUES: Final = 2000  # cue words tried per text: a page of "mail mail mail..." costs bounded work
_WORD_AT: Final = r"(?:\s{1,3}(?i:at)\s{1,3}|\s{1,3}@\s{0,3}|\s{0,3}@\s{1,3})"
_WORD_DOT: Final = rf"(?:\s{{1,3}}(?i:dot)\s{{1,3}}|{_DOT})"
_WORDED: Final = re.compile(rf"(?<![\w.%+-])({_LOCAL})({_WORD_AT})((?:{_LABEL}{_WORD_DOT}){{1,8}}{_TLD})(?![\w-])")
_WORD_DOT_ONLY: Final = re.compile(_WORD_DOT)
_WORD_AT_QUICK: Final = re.compile(r"(?i)\sat\s|\s@|@\s")
_HIDDEN_DOT: Final = re.compile(r"(?i)\sdot\s|[\[({<&]")
_NOT_A_NAME: Final = frozenset({"us", "me", "you", "him", "her", "them", "it", "we", "all", "home", "once", "least", "the"})

_B58_ADDRESS: Final = re.compile(r"(?<![A-Za-z0-9])[123mn][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9])")
_BECH32_ADDRESS: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:bc|tb)1[02-9ac-hj-np-z]{6,87}|(?:BC|TB)1[02-9AC-HJ-NP-Z]{6,87})(?![A-Za-z0-9])"
)
_ETH_ADDRESS: Final = re.compile(r"(?<![A-Za-z0-9])0[xX][0-9a-fA-F]{40}(?![A-Za-z0-9])")
_IBAN: Final = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

#: Words after which a phone number is looked for (in the next 60 characters).
_PHONE_CUE: Final = re.compile(
    r"(?i)\b(?:sms|text|call|calls|tel|telephone|phone|mobile|whatsapp|viber|hotline|fax|ring)\b"
)
_PHONE_WINDOW: Final = 60
# What may stand between two numbers of one list after a single cue: "A or B", "A, B", "A / B".
_PHONE_JOINER: Final = re.compile(r"[\s,;/|&(){}\[\]-]{0,6}(?:(?:or|and|oder|ou|o|y|et|und)[\s,;/|&:-]{1,6})?", re.IGNORECASE)
_NUMBER_RUN: Final = re.compile(r"[+0-9(][0-9 ()./-]{5,24}[0-9]")
# "00" as the international prefix: "0044 20...", "00 44 20...", "00-1-202-..." (not inside
# another number). Rewritten to "+ " (same length, so offsets still point into the text).
_INTL_00: Final = re.compile(r"(?<![\d+])00(?=[ .-]?[1-9])")
_DATE_LIKE: Final = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")


def find_emails(text: str, *, limit: int) -> Found:
    """Plain ``local@domain.tld`` addresses (ASCII local part; the domain may be Unicode)."""
    if "@" not in text:
        return
    for count, match in enumerate(_EMAIL.finditer(text)):
        if count >= limit:
            return
        yield match.group(1), match.group(1)


def find_obfuscated_emails(text: str, *, limit: int) -> Found:
    """``name [at] host [dot] test``, ``name(at)host(dot)test``, ``name AT host DOT test``."""
    lower = text.lower()
    if not any(marker in lower for marker in _AT_MARKERS):
        return
    for count, match in enumerate(_OBFUSCATED.finditer(text)):
        if count >= limit:
            return
        domain = _DOT_ONLY.sub(".", match.group(2))
        yield f"{match.group(1)}@{domain}", match.group(0)


def find_worded_emails(text: str, *, limit: int) -> Found:
    """``sales at photoclub dot test``, ``sales @ photoclub.test``, within 40 characters
    after a cue word (``e-mail``, ``mail``, ``contact``, ``write``); never in plain prose."""
    if not _WORD_AT_QUICK.search(text):
        return
    count = 0
    done = 0
    for tried, cue in enumerate(_MAIL_CUE.finditer(text)):
        if tried >= _MAX_CUES:
            return
        start = max(cue.end(), done)
        match = _WORDED.search(text, start, min(len(text), cue.end() + _MAIL_WINDOW + 400))
        if match is None or match.start() > cue.end() + _MAIL_WINDOW:
            continue
        done = match.end()
        local, at, domain = match.group(1), match.group(2), match.group(3)
        if local.lower() in _NOT_A_NAME or ("@" not in at and not _HIDDEN_DOT.search(domain)):
            continue
        yield f"{local}@{_WORD_DOT_ONLY.sub('.', domain)}", match.group(0)
        count += 1
        if count >= limit:
            return


def find_btc(text: str, *, limit: int) -> Found:
    """Strings shaped like Base58 or Bech32 Bitcoin addresses (checksums unchecked)."""
    count = 0
    lower = text.lower()
    patterns = (_B58_ADDRESS, _BECH32_ADDRESS) if "bc1" in lower or "tb1" in lower else (_B58_ADDRESS,)
    for pattern in patterns:
        for match in pattern.finditer(text):
            if count >= limit:
                return
            count += 1
            yield match.group(0), match.group(0)


def find_eth(text: str, *, limit: int) -> Found:
    """``0x`` and 40 hex digits, not part of a longer hex string."""
    if "0x" not in text and "0X" not in text:
        return
    for count, match in enumerate(_ETH_ADDRESS.finditer(text)):
        if count >= limit:
            return
        yield match.group(0), match.group(0)


def find_ibans(text: str, *, limit: int) -> Found:
    """IBAN-shaped strings in capitals, compact or in groups; each also tried shorter.

    A run like ``GB82 WEST 1234 5698 7654 32 BIC`` swallows the next capitalised
    word, so the candidates are the whole run and then the run less each trailing
    group, longest first; the kind's ``clean`` keeps the first one that validates.
    """
    for count, match in enumerate(_IBAN.finditer(text)):
        if count >= limit:
            return
        raw = match.group(0)
        groups = raw.split(" ")
        for end in range(len(groups), 0, -1):
            candidate = " ".join(groups[:end])
            if len(candidate.replace(" ", "")) < 15:
                break
            yield candidate, candidate


def find_phones(text: str, *, region: str | None, limit: int) -> Found:
    """Phone numbers within 60 characters after a cue word (SMS, call, tel, phone...).

    Number-shaped runs are found first (a fast character-class scan); for each, the
    60 characters before it are searched for a cue word, and the text from the cue
    on is given to ``phonenumbers``' matcher with ``Leniency.VALID``: the number
    must be valid for its country, which leaves out prices, years and dates;
    date-shaped matches are dropped as well. Without a ``region`` only
    international numbers (``+44``..., ``0044``...) are found. Candidates are E.164.
    """
    count = 0
    done = -1  # text before this offset has been given to the matcher
    listed = -1  # end of the last window that gave a number: "Call 020 ... or 020 ..." reads both
    for run in _NUMBER_RUN.finditer(text):
        if run.end() <= done or sum(c.isdigit() for c in run.group(0)) < 7:
            continue
        cue = None
        for cue in _PHONE_CUE.finditer(text, max(0, run.start() - _PHONE_WINDOW, done), run.start()):
            pass
        if cue is not None:
            window = text[cue.end() : run.end()]
        elif listed == done and _PHONE_JOINER.fullmatch(text, done, run.start()):
            window = text[done : run.end()]  # the next number of a list after one cue
        else:
            continue
        done = run.end()
        # With a country, as written first (its own international prefix, e.g. "0011 44..."
        # in AU, is read by phonenumbers); then, and without one, "00" read as "+".
        matches = _valid_matches(window, region) if region else []
        if not matches and (region is None or "00" in window):
            matches = _valid_matches(_INTL_00.sub("+ ", window), region)
        for match in matches:
            raw = window[match.start : match.end].strip()
            if _DATE_LIKE.match(raw):
                continue
            count += 1
            listed = done
            yield phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164), raw
            if count >= limit:
                return


def _valid_matches(window: str, region: str | None) -> list[phonenumbers.PhoneNumberMatch]:
    """``phonenumbers``' VALID matches in ``window`` (none if it fails on hostile text)."""
    try:
        return list(phonenumbers.PhoneNumberMatcher(window, region or "ZZ", leniency=phonenumbers.Leniency.VALID))
    except Exception:  # noqa: BLE001 - a third-party parser on hostile text: skip the window
        return []
