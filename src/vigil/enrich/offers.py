"""Offers on a sales page: what is sold how, for how much, in which currency (§2.2).

:func:`extract_offers` is a pure function of a captured page's HTML. It reads the page's
*text* (tags, attributes, comments, scripts and styles are skipped; media never looked at)
in blocks — a paragraph, a list item, a table row, a select option — finds every amount
written beside a currency mark (``€9.95``, ``9,95 EUR``, ``USD 19.99/month``, ``$ 30 for 30
days``) and types it from the words around it:

========================  ===================================================================
offer type                clue
========================  ===================================================================
``trial``                 *trial*
``lifetime``              *lifetime*, *forever*, *one-time*, *permanent*
``pay_per_view``          *pay per view*, *per view*, *PPV*, *per download*, *per stream*
``per_item``              *per item/set/album/file/piece/clip*, *each*, *single set/album/item*
``subscription``          a period: *monthly*, *per month*, */mo*, *30 days*, *for 4 weeks*,
                          or *subscription*/*membership* (period unknown)
``unknown``               none of these
========================  ===================================================================

The first clue in that order wins (a *3-day trial* is a trial, with its period). Words
*after* an amount count only up to the next comma, semicolon, bullet or bar, and up to 30
characters: they describe this amount, not the next one. Numbers without a currency mark
(dates, phone numbers, counters, years) are never prices.

Each offer keeps its span: the character offsets in the (decoded) HTML where the amount and
its period clause were written, never the sentence. Parsing is bounded: the first
:data:`MAX_HTML` characters, at most :data:`MAX_OFFERS` offers, bounded tag and entity
lengths, and one linear pass (no backtracking over unclosed comments or scripts).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html.entities import html5

from vigil.enrich.currencies import MARK_PATTERN, currency_of

__all__ = ["MAX_HTML", "MAX_OFFERS", "OFFER_TYPES", "Offer", "extract_offers", "page_text", "parse_amount"]

MAX_HTML = 2_000_000
MAX_OFFERS = 200
MAX_AMOUNT = Decimal(100_000)
OFFER_TYPES = ("subscription", "pay_per_view", "per_item", "lifetime", "trial", "unknown")


@dataclass(frozen=True)
class Offer:
    offer_type: str
    period_days: int | None
    amount: float
    currency: str
    start: int  # offsets in the HTML: [start, end)
    end: int


_BLOCK = frozenset(
    ["p", "div", "li", "tr", "option", "optgroup", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "form", "table", "tbody", "thead", "tfoot", "ul", "ol", "dl", "dt", "dd", "br", "hr", "header", "footer", "main", "aside", "nav", "button", "select", "title", "blockquote", "pre", "center", "body", "html", "label", "fieldset"]
)
_CELL = frozenset(("td", "th"))
_RAW = frozenset(("script", "style", "noscript", "template", "svg", "math", "textarea", "xmp", "iframe"))
# A comment's start, a tag (group 1: "/" when closing; group 2: its name) or another markup
# declaration. A tag holds no "<" (so a run of "<" costs one step each, not 4,000).
_TOKEN = re.compile(r"<!--|<(/?)([a-zA-Z][a-zA-Z0-9]{0,15})\b[^<>]{0,4000}>|<[!?/][^<>]{0,4000}>")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _entity(ref: str) -> str:
    if ref.startswith(("#x", "#X")):
        code = int(ref, 0)
    elif ref.startswith("#"):
        code = int(ref[1:])
    else:
        return html5.get(ref + ";", "&" + ref + ";")
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"


class _Text:
    """The page's text as segments, each with the HTML offsets it came from, cut in blocks.

    A segment is a run of plain text (offsets map one to one), the expansion of one entity
    (every character maps to the whole entity) or a cell separator (a space of no width).
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.at: list[int] = []  # text offset where each segment starts
        self.html_start: list[int] = []
        self.html_end: list[int] = []
        self.plain: list[bool] = []
        self.size = 0
        self.blocks: list[tuple[int, int]] = []
        self._block_start = 0

    def _segment(self, text: str, start: int, end: int, plain: bool) -> None:
        self.parts.append(text)
        self.at.append(self.size)
        self.html_start.append(start)
        self.html_end.append(end)
        self.plain.append(plain)
        self.size += len(text)

    def add(self, html: str, start: int, end: int) -> None:
        if start >= end:
            return
        if html.find("&", start, end) < 0:
            self._segment(html[start:end], start, end, True)
            return
        pos = start
        for m in _ENTITY.finditer(html, start, end):
            if m.start() > pos:
                self._segment(html[pos:m.start()], pos, m.start(), True)
            self._segment(_entity(m.group(1)), m.start(), m.end(), False)
            pos = m.end()
        if end > pos:
            self._segment(html[pos:end], pos, end, True)

    def space(self, at: int) -> None:
        self._segment(" ", at, at, False)

    def brk(self, at: int | None = None) -> None:
        """End the current block; a block ended at HTML offset ``at`` is followed by a
        newline of no width, so that no pattern's look-behind or look-ahead reads one
        block's last character beside the next block's first (``49,00 EUR`` then ``USD 19.99``)."""
        if self.size > self._block_start:
            self.blocks.append((self._block_start, self.size))
            if at is not None:
                self._segment("\n", at, at, False)
        self._block_start = self.size

    def start_of(self, t: int) -> int:
        """The HTML offset where text character ``t`` starts."""
        i = bisect.bisect_right(self.at, t) - 1
        return self.html_start[i] + (t - self.at[i]) if self.plain[i] else self.html_start[i]

    def end_of(self, t: int) -> int:
        """The HTML offset just after text character ``t``."""
        i = bisect.bisect_right(self.at, t) - 1
        return self.html_start[i] + (t - self.at[i]) + 1 if self.plain[i] else self.html_end[i]


def _scan(html: str) -> _Text:
    text = _Text()
    lower = html.lower()
    pos, n = 0, len(html)
    while pos < n:
        m = _TOKEN.search(html, pos)
        if m is None:
            text.add(html, pos, n)
            break
        lt = m.start()
        text.add(html, pos, lt)
        if m.group(0) == "<!--":
            close = html.find("-->", lt + 4)
            pos = n if close < 0 else close + 3  # an unclosed comment runs to the end
            continue
        pos = m.end()
        name = m.group(2)
        if not name:
            continue
        name = name.lower()
        if name in _RAW and not m.group(1) and not m.group(0).endswith("/>"):
            close = lower.find("</" + name, pos)
            pos = n if close < 0 else close
            continue
        if name in _BLOCK:
            text.brk(lt)
        elif name in _CELL:
            text.space(lt)
    text.brk()
    return text


def page_text(html: str) -> list[str]:
    """The page's text blocks, as :func:`extract_offers` reads them (for tests and docs)."""
    text = _scan(html[:MAX_HTML])
    joined = "".join(text.parts)
    return [joined[a:b] for a, b in text.blocks]


_NUM = r"(?<![\d.,'])(?:\d{1,3}(?:[,.']\d{3})+(?:[.,]\d{1,2})?|\d{1,6}(?:[.,]\d{1,2})?)(?![\d]|[.,']\d)"
_PRICE = re.compile(
    rf"(?<![^\W\d_])(?P<pre>{MARK_PATTERN})[ \t\u00a0]?(?P<n1>{_NUM})|(?P<n2>{_NUM})[ \t\u00a0]?(?P<post>{MARK_PATTERN})(?![^\W\d_])",
    re.IGNORECASE,
)
_UNIT_DAYS = {"day": 1, "week": 7, "wk": 7, "month": 30, "mo": 30, "mth": 30, "year": 365, "yr": 365}
_ADJ_DAYS = {"daily": 1, "weekly": 7, "monthly": 30, "quarterly": 90, "yearly": 365, "annually": 365, "annual": 365}
_UNIT = r"(day|week|wk|month|mth|mo|year|yr)s?\b"
_AFTER_PERIOD = re.compile(rf"[ \t\u00a0]*(?:/|per\b|a\b|an\b|every\b|for\b|x\b)?[ \t\u00a0]*(?:(\d{{1,3}})[ \t\u00a0-]?)?{_UNIT}", re.IGNORECASE)
_AFTER_ADJ = re.compile(r"[ \t\u00a0]*[-–—:]?[ \t\u00a0]*(daily|weekly|monthly|quarterly|yearly|annually|annual)\b", re.IGNORECASE)
_PERIOD_WORDS = re.compile(rf"\b(daily|weekly|monthly|quarterly|yearly|annually|annual)\b|\b(\d{{1,3}})[ \t\u00a0-]?{_UNIT}|\b(?:a|per|one)[ \t\u00a0]+{_UNIT}", re.IGNORECASE)
_CUT = re.compile(r"[,;|•·]")
_CLUES = (
    ("trial", re.compile(r"\btrial\b", re.IGNORECASE)),
    ("lifetime", re.compile(r"\b(?:lifetime|forever|one[- ]time|permanent)\b", re.IGNORECASE)),
    ("pay_per_view", re.compile(r"\b(?:pay[- ]per[- ]view|per[- ]view|ppv|per[- ]download|per[- ]stream)\b", re.IGNORECASE)),
    ("per_item", re.compile(r"\b(?:per[- ](?:item|set|album|file|piece|clip)|each|single[- ](?:set|album|item))\b", re.IGNORECASE)),
)
_SUBSCRIPTION = re.compile(r"\b(?:subscri\w*|membership)\b", re.IGNORECASE)


def parse_amount(text: str) -> Decimal | None:
    """An amount as written on a page (``9.95``, ``9,95``, ``1,299.00``, ``1.299,00``), or None.

    >>> parse_amount("1.299,00"), parse_amount("9,95"), parse_amount("1,299")
    (Decimal('1299.00'), Decimal('9.95'), Decimal('1299'))
    """
    s = text.replace("'", "").strip()
    if not s or len(s) > 20:
        return None
    seps = [i for i, ch in enumerate(s) if ch in ",."]
    if seps:
        last = seps[-1]
        kinds = {s[i] for i in seps}
        decimal_sep = len(kinds) == 2 or (len(seps) == 1 and len(s) - last - 1 in (1, 2))
        whole = "".join(ch for ch in (s[:last] if decimal_sep else s) if ch.isdigit())
        s = whole + ("." + s[last + 1:] if decimal_sep else "")
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    return value if 0 < value <= MAX_AMOUNT else None


def _period(found: re.Match[str] | None) -> int | None:
    if found is None:
        return None
    groups = [g for g in found.groups()]
    adjective = next((g for g in groups if g and g.lower() in _ADJ_DAYS), None)
    if adjective:
        return _ADJ_DAYS[adjective.lower()]
    count = next((g for g in groups if g and g.isdigit()), None)
    unit = next((g for g in groups if g and g.lower() in _UNIT_DAYS), None)
    if unit is None:
        return None
    days = _UNIT_DAYS[unit.lower()] * (int(count) if count else 1)
    return days if 0 < days <= 3660 else None


def _classify(before: str, after: str, clause: re.Match[str] | None) -> tuple[str, int | None]:
    near = before + " " + after
    period = _period(clause) or _period(_last(_PERIOD_WORDS, before)) or _period(_PERIOD_WORDS.search(after))
    for offer_type, clue in _CLUES:
        if clue.search(near):
            return offer_type, (period if offer_type == "trial" else None)
    if period is not None:
        return "subscription", period
    if _SUBSCRIPTION.search(near):
        return "subscription", None
    return "unknown", None


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):
        pass
    return found


def extract_offers(html: str) -> list[Offer]:
    """Every priced offer on the page, in page order (see the module's doc)."""
    text = _scan(html[:MAX_HTML])
    joined = "".join(text.parts)
    offers: list[Offer] = []
    for block_start, block_end in text.blocks:
        context_from = block_start
        prices = list(_PRICE.finditer(joined, block_start, block_end))
        for k, m in enumerate(prices):
            mark = m.group("pre") or m.group("post")
            currency = currency_of(mark)
            amount = parse_amount(m.group("n1") or m.group("n2"))
            limit = prices[k + 1].start() if k + 1 < len(prices) else block_end
            if currency is None or amount is None:
                continue
            clause = _AFTER_PERIOD.match(joined, m.end(), limit) or _AFTER_ADJ.match(joined, m.end(), limit)
            end = clause.end() if clause else m.end()
            after = joined[end:min(limit, end + 30)]
            cut = _CUT.search(after)
            after = after[: cut.start()] if cut else after
            before = joined[max(context_from, m.start() - 80):m.start()]
            cuts = list(_CUT.finditer(before))
            before = before[cuts[-1].end():] if cuts else before
            offer_type, days = _classify(before, after, clause)
            rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            offers.append(Offer(offer_type, days, float(rounded), currency, text.start_of(m.start()), text.end_of(end - 1)))
            context_from = end
            if len(offers) >= MAX_OFFERS:
                return offers
    return offers
