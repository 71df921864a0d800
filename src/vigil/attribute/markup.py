"""Hostile HTML in, a small flat view of it out: the page layer under ``identifiers``.

A capture comes from a criminal site, so it is treated as hostile input:

* **size** — bytes are cut at ``max_bytes`` before anything else; a ``str`` is cut
  so that its UTF-8 form fits in ``max_bytes``;
* **encoding** — a byte-order mark, then a ``<meta charset>`` in the first 1024
  bytes (only real text encodings; ``utf-16`` there means UTF-8, as in WHATWG),
  then UTF-8, then windows-1252 with replacement characters;
* **depth** — libxml2's HTML parser (through lxml) is linear and refuses to nest
  deeper than 256, but it stops reading the document where it refuses. When it
  does, a linear pre-pass (:func:`bound_depth`) drops start tags nested deeper than
  :data:`MAX_DEPTH` (and their end tags), keeping all text, and the page is parsed
  again; a page nested 100,000 deep is read in about a second, text included;
* **no execution** — nothing is fetched (``no_network``), no script runs, entities
  are decoded by the parser and the tree is walked once, without recursion.

:func:`read_page` returns a :class:`PageView`: the visible text (block elements
separated by newlines, inline elements joined), inline scripts, comments, and the
attributes of the few elements identifiers come from, each tied to its form.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from lxml import etree

from vigil.attribute.tokens import tags

__all__ = ["MAX_DEPTH", "Element", "PageView", "bound_depth", "decode_html", "field_name", "read_page"]

#: Start tags nested deeper than this are dropped before parsing (libxml2 stops at 256).
MAX_DEPTH: Final = 128
#: Elements whose attributes the extractors read.
KEPT: Final = frozenset(
    {
        "a",
        "area",
        "form",
        "input",
        "button",
        "select",
        "iframe",
        "img",
        "script",
        "link",
        "base",
        "embed",
        "object",
        "frame",
    }
)
#: Attributes whose values are scanned like text (besides every ``data-*``).
TEXT_ATTRS: Final = frozenset({"value", "content", "title", "alt", "aria-label"})
_MAX_ATTR_TEXT: Final = 2000
#: Elements whose text is not page text (read separately, or not at all).
_NOT_TEXT: Final = frozenset({"script", "style", "template", "textarea", "title"})
_BLOCK: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "dd", "details", "dialog", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "head", "header", "hr", "html", "li", "main", "nav", "ol", "option", "p", "pre", "section",
        "select", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
        "button", "input", "iframe", "img", "label",
    }
)  # fmt: skip
_MAX_CHUNK: Final = 200_000  # one script or comment is read up to this many characters

_META_CHARSET: Final = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
_BAD_CODECS: Final = frozenset({"idna", "punycode", "utf-7", "unicode-escape", "raw-unicode-escape", "undefined"})


@dataclass(frozen=True, slots=True)
class Element:
    """One element the extractors look at: its tag, attributes and form."""

    tag: str
    attrs: dict[str, str]
    form: int | None  # index into PageView.forms of the form it belongs to


@dataclass(slots=True)
class PageView:
    """What the extractors read of a page: text, scripts, comments, elements, forms."""

    text: str = ""
    scripts: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    forms: list[Element] = field(default_factory=list)
    attr_texts: list[tuple[str, str]] = field(default_factory=list)  # (where, value)
    base_href: str | None = None


def decode_html(html: str | bytes, *, max_bytes: int) -> str:
    """The page as text, its UTF-8 form at most ``max_bytes`` long; never raises."""
    if isinstance(html, str):
        if len(html) <= max_bytes // 4:
            return html.encode("utf-8", "replace").decode("utf-8")  # drops lone surrogates
        return html[:max_bytes].encode("utf-8", "replace")[:max_bytes].decode("utf-8", "ignore")
    data = bytes(html[:max_bytes])
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace")
    declared = _declared_encoding(data[:1024])
    if declared:
        try:
            return data.decode(declared, "replace")
        except (LookupError, ValueError, TypeError):
            declared = None  # a codec that cannot decode after all: sniff as if undeclared
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _declared_encoding(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        info = codecs.lookup(match.group(1).decode("ascii"))
    except (LookupError, ValueError):
        return None
    name = info.name
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    if name in _BAD_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def bound_depth(text: str, *, max_depth: int = MAX_DEPTH) -> str:
    """Drop start tags nested deeper than ``max_depth`` (and their end tags), keep all text.

    The tags are those of :func:`vigil.attribute.tokens.tags`, the tokenizer the
    fingerprint reads too, and the nesting is estimated with a stack of open tag names:
    void and self-closing (``<div/>``) elements do not nest, an end tag closes back to
    the nearest open tag of its name and is ignored when there is none, raw-text
    elements (script, style, textarea...) are skipped to their end tag. The estimate
    errs high on sloppy pages (unclosed ``<p>``), which only means that a very deep page
    is flattened a little earlier.
    """
    if text.count("<") <= max_depth:
        return text
    stack: list[str] = []
    opened: dict[str, int] = {}  # name -> how many are on the stack: end tags close in O(1) amortised
    dropped: dict[str, int] = {}
    cuts: list[tuple[int, int]] = []
    for start, end, closing, name, _, opening in tags(text):
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
                cuts.append((start, end))
            elif opened.get(name):
                while True:
                    top = stack.pop()
                    opened[top] -= 1
                    if top == name:
                        break
        elif not opening:
            continue
        elif len(stack) >= max_depth:
            dropped[name] = dropped.get(name, 0) + 1
            cuts.append((start, end))
        else:
            stack.append(name)
            opened[name] = opened.get(name, 0) + 1
    if not cuts:
        return text
    parts: list[str] = []
    last = 0
    for cut_start, cut_end in cuts:
        parts.append(text[last:cut_start])
        last = cut_end
    parts.append(text[last:])
    return " ".join(parts)


def read_page(text: str) -> PageView:
    """Parse ``text`` (already decoded and bounded) and collect what the extractors need.

    The page is parsed as is; only when libxml2 stops early (too deep, or another
    fatal error) is it parsed again after :func:`bound_depth`, and if that still
    stops early the tag-stripped source is added to the text, so nothing the page
    says is lost. The walk uses lxml's C-level iterators and XPath: Python sees
    only the elements identifiers come from.
    """
    root, complete = _parse(text)
    if not complete:
        bounded = bound_depth(text)
        root, complete = _parse(bounded)
    view = PageView()
    if root is None:
        view.text = _strip_tags(text)
        return view
    _collect(root, view)
    if not complete:
        view.text += "\n" + _strip_tags(text)
    return view


def _parse(text: str) -> tuple[etree._Element | None, bool]:
    """The root (or ``None``) and whether libxml2 read the whole document."""
    # A parser per call: lxml parsers must not be shared between threads.
    parser = etree.HTMLParser(recover=True, no_network=True, huge_tree=False, remove_pis=True, encoding="utf-8")
    try:
        root = etree.fromstring(text.encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError):
        return None, False
    fatal = any(entry.level_name == "FATAL" for entry in parser.error_log)
    return root, not fatal


def _collect(root: etree._Element, view: PageView) -> None:
    view.scripts = [el.text[:_MAX_CHUNK] for el in root.iter("script") if el.text]
    view.comments = [el.text[:_MAX_CHUNK] for el in root.iter(etree.Comment) if el.text]
    by_id: dict[str, int] = {}
    # The form each element is inside: forms in document order, so that a form nested in
    # another claims its own elements last (the nearest ancestor, as iterancestors gives).
    owner: dict[etree._Element, int] = {}
    for i, form in enumerate(root.iter("form")):
        attrs = _attrs(form)
        view.forms.append(Element("form", attrs, i))
        if attrs.get("id"):
            by_id.setdefault(attrs["id"], i)
        for el in form.iter(*_KEPT_NOT_FORM):
            owner[el] = i
    for el in root.iter(*_KEPT_NOT_FORM):
        attrs = _attrs(el)
        form = owner.get(el)
        if form is None:
            form = by_id.get(attrs.get("form", ""))
        view.elements.append(Element(str(el.tag), attrs, form))
        if el.tag == "base" and view.base_href is None and attrs.get("href"):
            view.base_href = attrs["href"]
    _attr_texts(root, view.attr_texts)
    view.text = str(_text_transform()(root))


_TEXT_XSLT: Final = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="{"|".join(sorted(_NOT_TEXT))}"/>
<xsl:template match="{"|".join(sorted(_BLOCK))}">
<xsl:text>&#10;</xsl:text><xsl:apply-templates/><xsl:text>&#10;</xsl:text>
</xsl:template>
</xsl:stylesheet>"""
_LOCAL: Final = threading.local()


def _text_transform() -> etree.XSLT:
    """The page-text stylesheet (one per thread): block elements on their own lines,
    scripts, styles and comments left out. XSLT runs in C, so a page of a million
    elements costs a fraction of a second."""
    transform: etree.XSLT | None = getattr(_LOCAL, "transform", None)
    if transform is None:
        transform = etree.XSLT(etree.XML(_TEXT_XSLT), access_control=etree.XSLTAccessControl.DENY_ALL)
        _LOCAL.transform = transform
    return transform


def _attrs(el: etree._Element) -> dict[str, str]:
    return {str(k).lower(): str(v)[:_MAX_CHUNK] for k, v in el.items()}


_KEPT_NOT_FORM: Final = tuple(sorted(KEPT - {"form"}))
_TEXT_ATTR_XPATH: Final = etree.XPath(
    "|".join(f"//@{name}" for name in sorted(TEXT_ATTRS)) + "|//@*[starts-with(name(), 'data-')]"
)


def _attr_texts(root: etree._Element, out: list[tuple[str, str]]) -> None:
    """Values of text-like attributes (value, content, title, alt, data-*), tagged with where."""
    for value in _TEXT_ATTR_XPATH(root):
        name = str(value.attrname).lower()
        parent = value.getparent()
        tag = str(parent.tag).lower() if parent is not None else "?"
        if tag == "input" and name == "value" and parent is not None and parent.get("name"):
            where = f"input[name={field_name(str(parent.get('name')))}]"
        else:
            where = f"{tag}[{field_name(name)}]"
        out.append((where, str(value)[:_MAX_ATTR_TEXT]))


_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.:-]")


@lru_cache(maxsize=4096)  # pure, and names recur on every page (value, content, data-*)
def field_name(name: str) -> str:
    """A form field's name as shown in ``where``: lower-case, 40 characters, no brackets."""
    return _UNSAFE.sub("_", name.strip().lower()[:40])


_ANY_TAG: Final = re.compile(r"<[^>]{0,2000}>")


def _strip_tags(text: str) -> str:
    """Fallback text when the parser gives up: tags replaced by newlines."""
    return _ANY_TAG.sub("\n", text)
