"""Template fingerprints: a capture's skeleton with its content stripped (docs/fingerprint.md).

A capture is hostile input, so it is read by the project's linear HTML tokenizer
(:mod:`vigil.attribute.tokens`: tags, void and raw-text elements, attributes), never by a
browser engine and never recursively:

* **size** — the page is cut to ``max_bytes`` (UTF-8) before anything else, by
  :func:`vigil.attribute.markup.decode_html`, the project's one decoding rule;
* **time** — every tokenizer step consumes what it matched (the tag regex cannot
  backtrack and succeeds on any input), open-tag bookkeeping is O(1) amortised,
  and at most ``max_elements`` elements add features;
* **depth** — start tags nested deeper than ``max_depth`` are counted but add no
  features and open nothing; their end tags are matched against that count;
* **nothing runs** — scripts and styles are hashed as text, URLs are cut to a
  file name, nothing is fetched, decoded as media or rendered.

What a page is reduced to (each a string feature, prefixed by its kind):

``path``   the ancestor chain of each element, ``div.wrap>ul.menu>li>a``
``gram``   3-grams of element labels in document order
``attr``   attribute *names* per tag (``img@alt``), never values
``class``, ``id``  class and id tokens, with digits and random-looking parts as ``#``
``field``  form fields: ``input[type=email][name=email]``; ``form`` its method
``script``, ``style``  file names of script and stylesheet references
``inline-script``, ``inline-style``  hashes of inline code, strings and numbers masked
``meta``, ``rel``, ``root``  meta names, link rels, and the html/head/body labels

A label is the tag, its id and its sorted class tokens: ``li#item-#.active``.
:func:`fingerprint` turns the feature set into a :class:`Template` with a MinHash.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Final

import numpy as np
import xxhash

from vigil.attribute.markup import decode_html
from vigil.attribute.minhash import DEFAULT_NUM_PERM, jaccard, signature_of_hashes, to_bytes
from vigil.attribute.tokens import RAW_TEXT, TAG, VOID, attributes, opens, raw_text_end

__all__ = [
    "FINGERPRINT_VERSION",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "Skeleton",
    "Template",
    "fingerprint",
    "normalise_token",
    "reference_name",
    "skeleton",
]

#: Changes whenever a change of the rules would change a template ID.
FINGERPRINT_VERSION: Final = 1
MAX_BYTES: Final = 5_000_000
MAX_DEPTH: Final = 256
MAX_ELEMENTS: Final = 50_000
SHINGLE: Final = 3  # elements per gram
TOP_FEATURES: Final = 16

_MAX_TOKEN: Final = 48  # a class, id, name or file name is cut to this
_MAX_CLASSES: Final = 8  # class tokens per element
_MAX_ATTRS: Final = 32  # attribute names per element
_MAX_PATH: Final = 240  # longer ancestor chains keep their tail and a hash of the whole
_MAX_CODE: Final = 65_536  # inline script or style characters hashed
_MAX_ATTR_TEXT: Final = 65_536  # attribute names are read from this much of a tag
_TAGS_PER_ELEMENT: Final = 8  # start and end tags read at most: 8 * max_elements

_ROOTS: Final = frozenset({"html", "head", "body"})
_BLOCK: Final = (
    "address article aside blockquote details div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr main menu nav ol p pre section table ul"
).split()
# A start tag closes these when they are the current element (repeatedly): the few
# implied end tags of HTML that change a skeleton, checked at the top of the stack only.
_CLOSES: Final[dict[str, frozenset[str]]] = {
    **{tag: frozenset({"p"}) for tag in _BLOCK},
    "li": frozenset({"li", "p"}),
    "dt": frozenset({"dt", "dd", "p"}),
    "dd": frozenset({"dt", "dd", "p"}),
    "option": frozenset({"option"}),
    "optgroup": frozenset({"option", "optgroup"}),
    "tr": frozenset({"tr", "td", "th", "p"}),
    "td": frozenset({"td", "th", "p"}),
    "th": frozenset({"td", "th", "p"}),
    **{tag: frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "p"}) for tag in ("thead", "tbody", "tfoot")},
}
_FIELDS: Final = frozenset({"input", "select", "textarea", "button"})
_TYPED: Final = frozenset({"input", "button"})
_SPECIAL: Final = _FIELDS | {"form", "script", "link", "meta"}
_SEGMENT: Final = re.compile(r"([-_:.]+)")
_VOWEL: Final = re.compile(r"[aeiouy]", re.IGNORECASE)
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_ASCII_DIGIT: Final = re.compile(r"[0-9]")
_U32: Final = struct.Struct("<I")  # a feature's length prefix in the template ID's digest
_HASHES: Final = re.compile(r"#(?:[-_:.]+#)+")
_CODE_STRING: Final = re.compile(r"\"(?:[^\"\\\n]++|\\.)*+\"?|'(?:[^'\\\n]++|\\.)*+'?|`(?:[^`\\]++|\\.)*+`?", re.DOTALL)
_DIGITS: Final = re.compile(r"\d++(?:\.\d++)?")
_WS: Final = re.compile(r"\s++")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Kinds shown first in Template.top_features: what an analyst recognises a brand by.
_TOP_KINDS: Final = ("script", "style", "field", "form", "id", "class", "meta", "inline-script", "inline-style")


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A page reduced to its structural features, with what the bounds cut."""

    features: frozenset[str]
    elements: int = 0  # start tags read
    truncated: bool = False  # cut at max_bytes or max_elements
    depth_limited: bool = False  # some elements were deeper than max_depth


@dataclass(frozen=True, slots=True)
class Template:
    """The structural fingerprint of a capture.

    ``template_id`` is a hash of the exact feature set (and the fingerprint version):
    two captures with the same skeleton share it, and then also share ``minhash``.
    ``minhash`` estimates the Jaccard similarity of two feature sets
    (:meth:`similarity`); ``top_features`` and ``kinds`` explain it to a person.
    """

    template_id: str
    minhash: tuple[int, ...]
    features: int
    top_features: tuple[str, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()  # (kind, number of features), sorted by kind
    elements: int = 0
    truncated: bool = False
    depth_limited: bool = False

    @property
    def num_perm(self) -> int:
        """The number of MinHash permutations (the signature's length)."""
        return len(self.minhash)

    @property
    def is_empty(self) -> bool:
        """True when nothing structural was found (empty, binary or text-only input)."""
        return self.features == 0

    def signature_bytes(self) -> bytes:
        """The MinHash as ``4 * num_perm`` little-endian bytes (for a BLOB column)."""
        return to_bytes(self.minhash)

    def similarity(self, other: Template) -> float:
        """The estimated Jaccard similarity of the two feature sets (0 if either is empty)."""
        return jaccard(self.minhash, other.minhash)


def fingerprint(
    html: str | bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_elements: int = MAX_ELEMENTS,
    num_perm: int = DEFAULT_NUM_PERM,
) -> Template:
    """The :class:`Template` of a captured page; never raises on any ``str`` or ``bytes``."""
    page = skeleton(html, max_bytes=max_bytes, max_depth=max_depth, max_elements=max_elements)
    ordered = sorted(page.features)
    data = _encode(ordered)
    digest = hashlib.blake2b(digest_size=16, person=b"vigil-template")
    digest.update(FINGERPRINT_VERSION.to_bytes(4, "little"))
    # length-prefixed: no two feature sets hash the same text
    digest.update(b"".join(chain.from_iterable(zip(map(_U32.pack, map(len, data)), data))))
    by_kind = _by_kind(ordered)
    return Template(
        template_id=digest.hexdigest(),
        minhash=signature_of_hashes(
            np.fromiter(map(xxhash.xxh3_64_intdigest, data), dtype=np.uint64, count=len(data)), num_perm=num_perm
        ),
        features=len(ordered),
        top_features=_top(by_kind),
        kinds=tuple(sorted((kind, len(features)) for kind, features in by_kind.items())),
        elements=page.elements,
        truncated=page.truncated,
        depth_limited=page.depth_limited,
    )


def _encode(ordered: list[str]) -> list[bytes]:
    """Each feature as UTF-8 (encoded in one call when no feature holds a NUL)."""
    joined = "\0".join(ordered)
    if not ordered or joined.count("\0") != len(ordered) - 1:
        return [feature.encode("utf-8", "surrogatepass") for feature in ordered]
    return joined.encode("utf-8", "surrogatepass").split(b"\0")


def _by_kind(ordered: list[str]) -> dict[str, list[str]]:
    """Sorted features grouped by kind (the text before the first ``:``), in order.

    The features of one kind are one run of the sorted list: everything from
    ``kind + ":"`` up to ``kind + ";"`` (the next character), found by bisection.
    """
    groups: dict[str, list[str]] = {}
    i, n = 0, len(ordered)
    while i < n:
        kind, colon, _ = ordered[i].partition(":")
        if not colon:  # never made by the walk; counted one at a time
            groups.setdefault(kind, []).append(ordered[i])
            i += 1
            continue
        j = bisect.bisect_left(ordered, kind + ";", i)
        groups.setdefault(kind, []).extend(ordered[i:j])
        i = j
    return groups


def skeleton(
    html: str | bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_elements: int = MAX_ELEMENTS,
) -> Skeleton:
    """The structural features of a page (see the module docstring); never raises."""
    text = decode_html(html, max_bytes=max(0, max_bytes))
    cut = len(html) > max_bytes or (isinstance(html, str) and len(text) < len(html))
    return _walk(text, cut, max_depth=max(1, max_depth), max_elements=max(0, max_elements))


class _Token:
    """What a tag token means for the walk; a pure function of the token's text, so cached.

    ``label`` and ``features`` are filled on first use: an element nested too deep
    never pays for reading its attributes.
    """

    __slots__ = ("closing", "tag", "attr_text", "opens", "closes", "raw", "code", "label", "features", "root")

    def __init__(self, closing: bool, tag: str, attr_text: str) -> None:
        self.closing = closing
        self.tag = tag
        self.attr_text = attr_text
        self.opens = not closing and opens(tag, attr_text)
        self.closes = None if closing else _CLOSES.get(tag)
        self.raw = self.opens and tag in RAW_TEXT
        self.code = self.raw and (tag == "script" or tag == "style")
        self.label: str | None = None  # set with features by _element
        self.features: tuple[str, ...] = ()
        self.root = tag in _ROOTS


# Tag tokens seen recently (a page's tags recur on every page of its template): the
# cache is emptied when full, so memory stays bounded whatever the input.
_TOKENS: dict[str, _Token] = {}
_TOKENS_MAX: Final = 32_768
_TOKEN_CACHED: Final = 512  # longer tokens are not kept


def _walk(text: str, truncated: bool, *, max_depth: int, max_elements: int) -> Skeleton:
    """The skeleton walk: the compiled one when it is built and allowed, else the Python one.

    Both give the same :class:`Skeleton` for every input (tests/test_fingerprint_cwalk.py);
    ``VIGIL_PURE_PYTHON=1`` in the environment, or :data:`USE_C` set false, selects Python.
    """
    if USE_C and _cwalk is not None and max_elements <= _C_MAX and max_depth <= _C_MAX:
        return Skeleton(*_cwalk.walk(text, truncated, max_depth, max_elements))
    return _walk_python(text, truncated, max_depth=max_depth, max_elements=max_elements)


def _walk_python(text: str, truncated: bool, *, max_depth: int, max_elements: int) -> Skeleton:
    """Tokenize ``text`` in one forward pass, keeping a stack of open elements.

    Each step consumes what it matched (a "<" that starts no token is text, skipped
    by the regex in C); the scan restarts after the body of each raw-text element.
    At most ``8 * max_elements`` start and end tags are read.
    """
    features: set[str] = set()
    add = features.add
    labels: list[str] = []
    stack: list[tuple[str, str]] = []  # (tag, "path:" feature)
    opened: dict[str, int] = {}  # tag -> how many are on the stack
    overflow = 0  # elements opened beyond max_depth and not yet closed
    elements = 0  # start tags seen
    read = 0  # start tags that added features (at most max_elements)
    depth_limited = False
    budget = _TAGS_PER_ELEMENT * max_elements  # start and end tags, read or not
    tokens = _TOKENS
    finditer = TAG.finditer
    pos, end = 0, len(text)
    while pos < end:
        for m in finditer(text, pos):
            key = m[0]
            token = tokens.get(key)
            if token is None:
                closing, tag, attr_text = m.group(1, 2, 3)
                if tag is None:
                    continue  # comment, doctype, processing instruction
                token = _Token(bool(closing), tag[:_MAX_TOKEN].lower(), attr_text)
                if len(key) <= _TOKEN_CACHED:
                    if len(tokens) >= _TOKENS_MAX:
                        tokens.clear()
                    tokens[key] = token
            budget -= 1
            if budget < 0 or read >= max_elements:
                truncated = True
                pos = end
                break
            tag = token.tag
            if token.closing:
                if overflow:
                    overflow -= 1
                elif opened.get(tag):
                    while True:
                        top = stack.pop()[0]
                        opened[top] -= 1
                        if top == tag:
                            break
                continue
            elements += 1
            closes = token.closes
            if closes:
                while stack and stack[-1][0] in closes:
                    top = stack.pop()[0]
                    opened[top] -= 1
            if len(stack) >= max_depth or overflow:
                depth_limited = True
                overflow += token.opens
            else:
                read += 1
                label = token.label
                if label is None:
                    label = _element(token)
                if token.features:
                    features.update(token.features)
                if not token.root:
                    path = stack[-1][1] + ">" + label if stack else "path:" + label
                    if len(path) > _MAX_PATH + 5:
                        path = "path:" + _long_path(path[5:])
                    add(path)
                    labels.append(label)
                    if token.opens:
                        stack.append((tag, path))
                        opened[tag] = opened.get(tag, 0) + 1
            if token.raw:
                pos = m.end()
                body_end = raw_text_end(tag, text, pos)
                if token.code and not overflow:
                    _code(tag, text[pos:body_end], add)
                pos = body_end
                break  # go on after the body
        else:
            break  # no more tokens
    features.update([f"gram:{a} {b} {c}" for a, b, c in zip(labels, labels[1:], labels[2:])])
    return Skeleton(frozenset(features), elements, truncated, depth_limited)


# The compiled walk (_walk.c, built by ``pip install -e .``; optional): the same walk in C,
# calling back into this module for what a token means (_Token, _element) and the rare steps.
try:
    import vigil.attribute._walk as _cwalk  # the compiled part of this module (as minhash imports its loop)
except ImportError:  # not built: the Python walk is used
    _cwalk = None  # type: ignore[assignment]
#: Whether :func:`skeleton` uses the compiled walk when it is built.
USE_C: bool = os.environ.get("VIGIL_PURE_PYTHON", "") in ("", "0")
_C_MAX: Final = 2**50  # larger bounds (never met in practice) take the Python walk


def _long_path(path: str) -> str:
    """An ancestor chain over ``_MAX_PATH`` characters: a hash of it and its tail."""
    digest = xxhash.xxh3_64_hexdigest(path.encode("utf-8", "replace"))
    return f"~{digest[:8]}~{path[-(_MAX_PATH // 2) :]}"


def _element(token: _Token) -> str:
    """Fill in the label and features of a start tag (attribute names, classes, id...)."""
    tag, attr_text = token.tag, token.attr_text
    attrs = attributes(attr_text, max_attrs=_MAX_ATTRS, max_chars=_MAX_ATTR_TEXT) if attr_text else _NO_ATTRS
    key = _element_key(tag, attrs)
    found = _ELEMENTS.get(key)
    if found is None:
        found = _element_features(tag, attrs)
        if len(_ELEMENTS) >= _TOKENS_MAX:
            _ELEMENTS.clear()
        _ELEMENTS[key] = found
    token.label, token.features = found
    return found[0]


def _element_key(tag: str, attrs: dict[str, str]) -> tuple[object, ...]:
    """What the features depend on, with rotating parts of id and class squashed (which
    _normalise turns into "#" anyway): tags of one template share it across pages. The C
    walk computes the same key (``_walk.element_key``) to read :data:`_ELEMENTS`."""
    get = attrs.get
    return (
        tag,
        tuple(attrs),
        _squash(get("id", "")),
        _squash(get("class", "")),
        tuple(map(get, _SPECIAL_ATTRS)) if tag in _SPECIAL else (),  # map: no generator frame
    )


_NO_ATTRS: Final[dict[str, str]] = {}  # never written to
_ELEMENTS: dict[tuple[object, ...], tuple[str, tuple[str, ...]]] = {}
_SPECIAL_ATTRS: Final = ("type", "name", "method", "src", "rel", "href", "property", "http-equiv", "itemprop")
# A whole run of non-separators (no separator before it) holding a digit: _normalise makes
# its segment "#" whatever else the run holds. Possessive, tried once per run: linear.
_DIGIT_RUN: Final = re.compile(r"(?<![^-_:.\s])[^-_:.\s0-9]*+[0-9][^-_:.\s]*+")


def _squash(value: str) -> str:
    """``value`` with each digit-bearing run cut to ``0``, for short values only (a long
    one is cut to 256 characters before normalising, and would be cut elsewhere)."""
    return _DIGIT_RUN.sub("0", value) if value and len(value) <= 256 else value


def _element_features(tag: str, attrs: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The label and features of a start tag with these attributes."""
    typed = attrs.get("type", "")[:_MAX_TOKEN] if tag in _TYPED else ""
    label, classes = _label(tag, attrs.get("id", "")[:256], attrs.get("class", "")[:1024], typed)
    found: list[str] = []
    if attrs:
        found.extend(_attr_features(tag, tuple(attrs)))
        found.extend(classes)
        if "id" in attrs:
            found.append("id:" + normalise_token(attrs["id"]))
    if tag in _ROOTS:
        found.append("root:" + label)
    elif tag in _SPECIAL:
        _special(tag, attrs, found.append)
    return label, tuple(found)


def _special(tag: str, attrs: dict[str, str], add: Callable[[str], None]) -> None:
    """The features of a form, form field, script, link or meta element."""
    if tag == "form":
        add("form:method=" + (attrs.get("method", "get").strip().lower()[:_MAX_TOKEN] or "get"))
    elif tag in _FIELDS:
        typed = f"[type={attrs.get('type', '').strip().lower()[:_MAX_TOKEN]}]" if "type" in attrs else ""
        named = f"[name={normalise_token(attrs['name'])}]" if "name" in attrs else ""
        add(f"field:{tag}{typed}{named}")
    elif tag == "script" and "src" in attrs:
        add("script:" + reference_name(attrs["src"]))
    elif tag == "link":
        rels = attrs.get("rel", "")[:256].lower().split()[:4]
        for rel in rels:
            add("rel:" + normalise_token(rel))
        if "stylesheet" in rels and "href" in attrs:
            add("style:" + reference_name(attrs["href"]))
    elif tag == "meta":
        for key in ("name", "property", "http-equiv", "itemprop"):
            if key in attrs:
                add(f"meta:{key}={normalise_token(attrs[key].lower())}")
        if "charset" in attrs:
            add("meta:charset")


def _code(tag: str, body: str, add: Callable[[str], None]) -> None:
    """Hash an inline script or style, with whitespace, strings and numbers masked."""
    text = _WS.sub(" ", _DIGITS.sub("0", _CODE_STRING.sub('""', body[:_MAX_CODE]))).strip()
    if text:
        kind = "inline-script" if tag == "script" else "inline-style"
        add(f"{kind}:{xxhash.xxh3_64_hexdigest(text.encode('utf-8', 'replace'))}")


def normalise_token(token: str) -> str:
    """A class, id, name or file-name token with its rotating parts replaced by ``#``.

    Split at ``-``, ``_``, ``:`` and ``.``; a segment that holds a digit, or looks
    random (long without vowels, six or more hex digits, or camel-case humps packed
    into a short segment),
    becomes ``#``; runs of ``#`` collapse: ``item-83721`` → ``item-#``,
    ``c-9f3a2b`` → ``c-#``, ``sc-bdVaJa`` → ``sc-#``, ``app.3f9a2b.js`` → ``app.#.js``.
    """
    return _normalise(token.strip()[:256])


@lru_cache(maxsize=16_384)
def _normalise(token: str) -> str:
    parts = _SEGMENT.split(token)
    for i in range(0, len(parts), 2):
        part = parts[i]
        if part and _random_looking(part):
            parts[i] = "#"
    return _HASHES.sub("#", "".join(parts)).lower()[:_MAX_TOKEN]


def _random_looking(part: str) -> bool:
    if part.isascii():  # ASCII digits are the only ASCII characters str.isdigit accepts
        if _ASCII_DIGIT.search(part):
            return True
    elif any(map(str.isdigit, part)):
        return True
    n = len(part)
    if n >= 5 and not _VOWEL.search(part):
        return True
    if n >= 6 and _HEX.fullmatch(part):
        return True
    return 5 <= n <= 10 and not part.isupper() and sum(map(str.isupper, part[1:])) >= 2


def reference_name(url: str) -> str:
    """The file name a script or stylesheet URL points at, without host, query or fragment.

    ``https://cdn.a.test/js/app.js?v=123`` → ``app.js``; rotating parts are
    normalised like any token; a ``data:`` URL gives its media type.
    """
    url = url.strip()[:2048]
    if url[:5].lower() == "data:":
        return "data:" + url[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()[:_MAX_TOKEN]
    path = url.split("#", 1)[0].split("?", 1)[0].replace("\\", "/")
    scheme = _SCHEME.match(path)
    if scheme:
        path = path[scheme.end() :]
    if path.startswith("//"):
        path = path[2:].partition("/")[2]  # drop the host
    segments = [s for s in path.split("/") if s]
    return normalise_token(segments[-1]) if segments else "/"


@lru_cache(maxsize=8192)
def _attr_features(tag: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"attr:{tag}@{normalise_token(name)}" for name in names)


@lru_cache(maxsize=8192)
def _label(tag: str, id_: str, classes: str, typed: str) -> tuple[str, tuple[str, ...]]:
    """``tag[type]#id.class.class`` and its ``class:`` features (``>`` and ``.`` kept out of names)."""
    label = tag
    if typed.strip():
        label += f"[{_safe(typed.strip().lower())}]"
    if id_.strip():
        label += "#" + _safe(normalise_token(id_))
    tokens = sorted({_safe(normalise_token(c)) for c in classes.split()[:_MAX_CLASSES]})
    return label + "".join("." + t for t in tokens), tuple("class:" + t for t in tokens)


def _safe(token: str) -> str:
    return token.replace(".", "_").replace(">", "_").replace(" ", "_")


def _top(by_kind: dict[str, list[str]]) -> tuple[str, ...]:
    """The features a person recognises a template by, most telling kinds first."""
    top: list[str] = []
    for kind in _TOP_KINDS:
        top.extend(by_kind.get(kind, ())[: TOP_FEATURES - len(top)])
    return tuple(top)


def _configure_c() -> None:
    """Hand the C walk what it reads tokens and elements with (also after a test changed it)."""
    if _cwalk is not None:
        callbacks = {"_Token": _Token, "_element": _element, "raw_text_end": raw_text_end, "_code": _code}
        sets = {"VOID": VOID, "RAW_TEXT": RAW_TEXT, "_ROOTS": _ROOTS, "_CLOSES": _CLOSES, "_SPECIAL": _SPECIAL}
        bounds = {"_MAX_PATH": _MAX_PATH, "_MAX_TOKEN": _MAX_TOKEN, "_TOKENS_MAX": _TOKENS_MAX,
                  "_TOKEN_CACHED": _TOKEN_CACHED, "_TAGS_PER_ELEMENT": _TAGS_PER_ELEMENT,
                  "_MAX_ATTRS": _MAX_ATTRS, "_MAX_ATTR_TEXT": _MAX_ATTR_TEXT}  # fmt: skip
        more = {"_long_path": _long_path, "_SPECIAL_ATTRS": _SPECIAL_ATTRS, "_ELEMENTS": _ELEMENTS}
        _cwalk.configure({**callbacks, **sets, **bounds, **more})


_configure_c()
