"""Template fingerprints: a capture's skeleton with its content stripped (docs/fingerprint.md).

A capture is hostile input, so it is read by a small linear tokenizer written here,
never by a browser engine and never recursively:

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

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import xxhash

from vigil.attribute.markup import decode_html
from vigil.attribute.minhash import DEFAULT_NUM_PERM, jaccard, signature, to_bytes

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

# One token at a "<": a tag (quotes count only after "=", the end of input ends it),
# a comment, or a doctype / processing instruction / bogus comment. Possessive
# quantifiers and "\Z" alternatives: every attempt succeeds without backtracking.
_TOKEN: Final = re.compile(
    r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)((?:[^>\"'=]++|=\s*+\"[^\"]*+(?:\"|\Z)|=\s*+'[^']*+(?:'|\Z)|[=\"'])*+)(?:>|\Z)"
    r"|!--(?:[^-]++|-(?!->))*+(?:-->|\Z)|[!?/][^>]*+(?:>|\Z))"
)
_ATTR: Final = re.compile(
    r"([^\t\n\f\r />\"'=][^\t\n\f\r />=]*+)(?:\s*+=\s*+(?:\"([^\"]*+)\"?|'([^']*+)'?|([^\t\n\f\r >]*+)))?"
)
_RAW: Final = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
_RAW_END: Final = {name: re.compile(rf"</{name}(?=[\t\n\f\r />]|\Z)", re.IGNORECASE) for name in _RAW}
_VOID: Final = frozenset("area base br col embed hr img input keygen link meta param source track wbr frame".split())
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
    digest = hashlib.blake2b(digest_size=16, person=b"vigil-template")
    digest.update(FINGERPRINT_VERSION.to_bytes(4, "little"))
    for feature in ordered:  # length-prefixed: no two feature sets hash the same text
        data = feature.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(4, "little") + data)
    kinds: dict[str, int] = {}
    for feature in ordered:
        kind = feature.partition(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return Template(
        template_id=digest.hexdigest(),
        minhash=signature(ordered, num_perm=num_perm),
        features=len(ordered),
        top_features=_top(ordered),
        kinds=tuple(sorted(kinds.items())),
        elements=page.elements,
        truncated=page.truncated,
        depth_limited=page.depth_limited,
    )


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
    return _Walk(features=set(), max_depth=max(1, max_depth), max_elements=max(0, max_elements)).run(text, cut)


class _Walk:
    """One pass over the tokens of a page, keeping a stack of open elements."""

    def __init__(self, *, features: set[str], max_depth: int, max_elements: int) -> None:
        self.features = features
        self.max_depth = max_depth
        self.max_elements = max_elements
        self.stack: list[tuple[str, str]] = []  # (tag, path)
        self.open: dict[str, int] = {}  # tag -> how many are on the stack
        self.overflow = 0  # elements opened beyond max_depth and not yet closed
        self.labels: list[str] = []
        self.elements = 0  # start tags seen
        self.read = 0  # start tags that added features (at most max_elements)
        self.depth_limited = False

    def run(self, text: str, truncated: bool) -> Skeleton:
        """Tokenize ``text`` in one forward pass: each step consumes what it matched."""
        search = _TOKEN.search  # a "<" that starts no token is text, skipped in C
        pos, end = 0, len(text)
        budget = _TAGS_PER_ELEMENT * self.max_elements  # start and end tags, read or not
        while pos < end:
            m = search(text, pos)
            if m is None:
                break
            pos = m.end()
            closing, tag, attr_text = m.group(1, 2, 3)
            if tag is None:
                continue  # comment, doctype, processing instruction
            budget -= 1
            if budget < 0 or self.read >= self.max_elements:
                truncated = True
                break
            tag = tag[:_MAX_TOKEN].lower()
            if closing:
                self._end(tag)
                continue
            self.elements += 1
            self._start(tag, attr_text)
            if tag in _RAW and not attr_text.endswith("/"):
                stop = _RAW_END[tag].search(text, pos)
                body_end = stop.start() if stop else end
                if tag == "script" or tag == "style":
                    self._code(tag, text[pos:body_end])
                pos = body_end
        labels = self.labels
        self.features.update("gram:" + " ".join(labels[i : i + SHINGLE]) for i in range(len(labels) - SHINGLE + 1))
        return Skeleton(frozenset(self.features), self.elements, truncated, self.depth_limited)

    def _start(self, tag: str, attr_text: str) -> None:
        stack = self.stack
        closes = _CLOSES.get(tag)
        while closes and stack and stack[-1][0] in closes:
            self._pop()
        opens = tag not in _VOID and not attr_text.endswith("/")
        if len(stack) >= self.max_depth or self.overflow:
            self.depth_limited = True
            self.overflow += opens
            return
        self.read += 1
        attrs = _attributes(attr_text) if attr_text else {}
        typed = attrs.get("type", "")[:_MAX_TOKEN] if tag in _TYPED else ""
        label, classes = _label(tag, attrs.get("id", "")[:256], attrs.get("class", "")[:1024], typed)
        features = self.features
        if attrs:
            features.update(_attr_features(tag, tuple(attrs)))
            features.update(classes)
            if "id" in attrs:
                features.add("id:" + normalise_token(attrs["id"]))
        if tag in _ROOTS:
            features.add("root:" + label)
            return
        if tag in _SPECIAL:
            self._special(tag, attrs)
        parent = stack[-1][1] if stack else ""
        path = f"{parent}>{label}" if parent else label
        if len(path) > _MAX_PATH:
            path = f"~{xxhash.xxh3_64_hexdigest(path.encode('utf-8', 'replace'))[:8]}~{path[-(_MAX_PATH // 2) :]}"
        features.add("path:" + path)
        self.labels.append(label)
        if opens:
            stack.append((tag, path))
            self.open[tag] = self.open.get(tag, 0) + 1

    def _end(self, tag: str) -> None:
        if self.overflow:
            self.overflow -= 1
        elif self.open.get(tag):
            while self._pop() != tag:
                pass

    def _pop(self) -> str:
        tag = self.stack.pop()[0]
        self.open[tag] -= 1
        return tag

    def _special(self, tag: str, attrs: dict[str, str]) -> None:
        add = self.features.add
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

    def _code(self, tag: str, body: str) -> None:
        """Hash an inline script or style, with whitespace, strings and numbers masked."""
        if self.overflow:
            return
        text = _WS.sub(" ", _DIGITS.sub("0", _CODE_STRING.sub('""', body[:_MAX_CODE]))).strip()
        if text:
            kind = "inline-script" if tag == "script" else "inline-style"
            self.features.add(f"{kind}:{xxhash.xxh3_64_hexdigest(text.encode('utf-8', 'replace'))}")


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
    if any(c.isdigit() for c in part):
        return True
    if len(part) >= 5 and not _VOWEL.search(part):
        return True
    if len(part) >= 6 and _HEX.fullmatch(part):
        return True
    humps = sum(1 for c in part[1:] if c.isupper())
    return 5 <= len(part) <= 10 and humps >= 2 and not part.isupper()


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


def _attributes(text: str) -> dict[str, str]:
    """Attribute names (lower-case, first wins) and raw values, from the first 64 KB."""
    attrs: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(text[:_MAX_ATTR_TEXT]):
        name = name.lower()
        if name not in attrs:
            attrs[name] = double or single or bare
            if len(attrs) >= _MAX_ATTRS:
                break
    return attrs


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


def _top(ordered: list[str]) -> tuple[str, ...]:
    """The features a person recognises a template by, most telling kinds first."""
    by_kind: dict[str, list[str]] = {}
    for feature in ordered:
        by_kind.setdefault(feature.partition(":")[0], []).append(feature)
    top: list[str] = []
    for kind in _TOP_KINDS:
        top.extend(by_kind.get(kind, ())[: TOP_FEATURES - len(top)])
    return tuple(top)
