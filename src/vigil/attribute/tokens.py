"""The one tokenizer for captured (hostile) HTML: tags, void and raw-text elements, attributes.

Two readers share it: the template fingerprint (:mod:`vigil.attribute.fingerprint`), which
walks the tags into a skeleton, and the depth pre-pass of the page view
(:func:`vigil.attribute.markup.bound_depth`), which drops tags nested too deep before lxml
parses the page. Both must agree on what a tag is, which elements never open (void or
self-closing) and where a ``<script>`` or ``<textarea>`` body ends, so those rules live here
only. Decoding and the size bound are :func:`vigil.attribute.markup.decode_html`'s.

A capture comes from a criminal site, so the rules are written for hostile input:

* **time** — :data:`TAG` uses possessive quantifiers and accepts the end of input, so
  every match attempt succeeds without backtracking and consumes what it read; a ``<``
  that starts no token is text, skipped by the regex engine in C. A raw-text body is
  skipped with one search for its end tag. The scan is linear in the page.
* **depth** — the tokenizer keeps no stack; each reader bounds its own nesting
  (the fingerprint at ``max_depth``, the pre-pass at :data:`markup.MAX_DEPTH`).
* **attributes** — read from at most ``max_chars`` of a tag, at most ``max_attrs`` names.

The rules are those of libxml2's HTML parser where it matters for nesting (it treats
``<div/>`` as empty and ``</ x>`` as a bogus comment), with HTML's void elements; the
obsolete ``basefont`` and ``bgsound`` are ordinary elements here (see docs/fingerprint.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, TypeAlias

__all__ = ["RAW_TEXT", "TAG", "VOID", "Tag", "attributes", "opens", "raw_text_end", "tags"]

# One token at a "<": a tag (quotes count only after "=", the end of input ends it),
# a comment, or a doctype / processing instruction / bogus comment ("</" not followed by
# a letter included). Possessive quantifiers and "\Z" alternatives: every attempt succeeds
# without backtracking. Groups: 1 "/" for an end tag, 2 the tag name as written (None for
# a comment, doctype, processing instruction or bogus comment), 3 the attribute text.
TAG: Final = re.compile(
    r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)((?:[^>\"'=]++|=\s*+\"[^\"]*+(?:\"|\Z)|=\s*+'[^']*+(?:'|\Z)|[=\"'])*+)(?:>|\Z)"
    r"|!--(?:[^-]++|-(?!->))*+(?:-->|\Z)|[!?/][^>]*+(?:>|\Z))"
)
#: Elements that never have content: a start tag of one opens nothing.
VOID: Final = frozenset(
    {"area", "base", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link", "meta", "param", "source",
     "track", "wbr"}
)  # fmt: skip
#: Elements whose content is text up to their own end tag, never markup.
RAW_TEXT: Final = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
_RAW_END: Final = {name: re.compile(rf"</{name}(?=[\t\n\f\r />]|\Z)", re.IGNORECASE) for name in RAW_TEXT}
_ATTR: Final = re.compile(
    r"([^\t\n\f\r />\"'=][^\t\n\f\r />=]*+)(?:\s*+=\s*+(?:\"([^\"]*+)\"?|'([^']*+)'?|([^\t\n\f\r >]*+)))?"
)


def opens(name: str, attr_text: str) -> bool:
    """Whether a start tag (``name`` lower-case) opens an element: not void, not ``<x/>``."""
    return name not in VOID and not attr_text.endswith("/")


def raw_text_end(name: str, text: str, pos: int) -> int:
    """Where the body of a raw-text element ``name`` that starts at ``pos`` ends: at its
    end tag (``</script`` then a space, ``/``, ``>`` or the end of input), else at the end."""
    stop = _RAW_END[name].search(text, pos)
    return stop.start() if stop else len(text)


#: A start or end tag: ``(start, end, closing, name, attr_text, opens)`` — its span in the
#: page, whether it is an end tag, its name (lower-case), its attribute text, and for a
#: start tag whether it opens an element (see :func:`opens`). A plain tuple: one is made
#: for every tag of a page.
Tag: TypeAlias = tuple[int, int, bool, str, str, bool]


def tags(text: str) -> Iterator[Tag]:
    """The start and end tags of ``text`` in order; comments, doctypes and processing
    instructions are skipped, and so is the body of every raw-text element that opens."""
    pos, end = 0, len(text)
    finditer = TAG.finditer
    known: dict[str, tuple[bool, str, str, bool] | None] = {}  # a page's tags recur: each read once
    while pos < end:
        for m in finditer(text, pos):
            key = m[0]
            meaning = known.get(key, _UNKNOWN)
            if meaning is _UNKNOWN:
                meaning = _meaning(*m.group(1, 2, 3))
                if len(key) <= _KNOWN_LENGTH and len(known) < _KNOWN_MAX:
                    known[key] = meaning
            if meaning is None:
                continue  # comment, doctype, processing instruction
            yield m.span() + meaning
            if meaning[3] and meaning[1] in RAW_TEXT:
                pos = raw_text_end(meaning[1], text, m.end())
                break  # go on after the body
        else:
            break  # no more tokens


_UNKNOWN: Final = (False, "", "", False)  # a sentinel: not read yet
_KNOWN_LENGTH: Final = 512  # longer tags are read each time
_KNOWN_MAX: Final = 32_768  # distinct tags remembered per page


def _meaning(closing: str | None, name: str | None, attr_text: str | None) -> tuple[bool, str, str, bool] | None:
    """``(closing, name, attr_text, opens)`` of a token, or ``None`` for a comment, doctype..."""
    if name is None or attr_text is None:
        return None
    name = name.lower()
    if closing:
        return (True, name, attr_text, False)
    return (False, name, attr_text, opens(name, attr_text))


def attributes(text: str, *, max_attrs: int, max_chars: int) -> dict[str, str]:
    """Attribute names (lower-case, first wins) and raw values of a tag's attribute text,
    read from its first ``max_chars`` characters, at most ``max_attrs`` names."""
    found = _ATTR.findall(text[:max_chars])
    if len(found) <= max_attrs:  # no cap to apply; reversed, so that the first of a name wins
        return {name.lower(): double or single or bare for name, double, single, bare in reversed(found)}
    attrs: dict[str, str] = {}
    for name, double, single, bare in found:
        name = name.lower()
        if name not in attrs:
            attrs[name] = double or single or bare
            if len(attrs) >= max_attrs:
                break
    return attrs
