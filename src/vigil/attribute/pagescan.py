"""The page walk behind :func:`~vigil.attribute.identifiers.extract_identifiers`.

:func:`scan_page` yields candidates ``(kind, candidate, where, raw)`` from one page, running
the finders the kinds declare (:mod:`~vigil.attribute.kindspec`); no kind is named here:

* **forms** (roles of :class:`~vigil.attribute.kindspec.PageFinder`) — a form is a payment
  form when its action host is a known processor, when it asks for a card (field names
  or ``autocomplete="cc-*"``), or when it posts off-site with a hidden merchant field.
  Its action URL is a ``form_action`` (a ``shared_checkout`` for a processor's shared
  checkout), a known processor a ``processor``, and its hidden merchant fields and the
  same fields in its action's query are ``merchant`` (scoped by processor slug or action
  host) and ``merchant_field`` (as written); on a processor's host, the path segment after
  a ``merchant_path`` segment (``/m/AB12345/checkout``) is a ``merchant`` too;
* **links and embeds** — processor hosts and their merchant parameters and path accounts, affiliate
  parameters on outbound links, analytics IDs in ``src``/``href`` URLs (roles again);
  URIs of a scheme a :class:`~vigil.attribute.kindspec.LinkFinder` reads (``mailto:``,
  ``tel:``, ``bitcoin:``...), ``where`` labelled by the scheme (``a[href=sms]``);
* **text** — visible text, comments, inline scripts and text-like attributes, each searched
  by each :class:`~vigil.attribute.kindspec.TextFinder` that names it as a source
  (analytics IDs, a role, in scripts and comments only).

Nothing is validated here: the kinds' ``clean`` decides. Each finder stops after
:data:`MAX_CANDIDATES` candidates per source, so a hostile page costs bounded work.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import phonenumbers

from vigil.attribute.kindspec import (
    MAX_CANDIDATES,
    Finder,
    LinkFinder,
    PageFinder,
    TextFinder,
)
from vigil.attribute.markup import Element, PageView, decode_html, field_name, read_page
from vigil.attribute.processors import Processor, Processors
from vigil.errors import InvalidURL
from vigil.urls import canonicalize_url

__all__ = ["MAX_CANDIDATES", "Candidate", "scan_page"]

Candidate = tuple[str, str, str, str]  # kind, candidate, where, raw

_URL_ATTRS: Final = {
    "a": "href", "area": "href", "iframe": "src", "frame": "src", "embed": "src", "script": "src",
    "img": "src", "link": "href", "object": "data", "input": "src",
}  # fmt: skip
_MAX_URL: Final = 8192
_PAGE_TAGS: Final = frozenset(("a", "area", "iframe", "frame"))  # links that lead to another page
_TAB_NEWLINE: Final = str.maketrans("", "", "\t\n\r")
_ABSOLUTE: Final = re.compile(r"[\t\n\r ]*(?:[Hh][Tt][Tt][Pp][Ss]?:|//|\\\\)")
# A plain absolute http(s) link: an ASCII host of letters, digits, dots and hyphens, an
# optional port, then a path/query/fragment free of whitespace, controls and backslashes.
# ``urljoin`` keeps such a link's scheme and network location as written, so its host can
# be read without resolving it (tests/test_identifiers.py checks this against urljoin).
_PLAIN_ABSOLUTE: Final = re.compile(r"(?i:https?)://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:[/?#][!-\[\]-~]*)?")
_CCTLD_REGION: Final = {"uk": "GB"}


@dataclass(frozen=True)
class _Plan:
    """Declared finders, arranged for the walk: by role, by URI scheme, and text finders."""

    roles: dict[str, tuple[str, ...]]
    schemes: dict[str, tuple[tuple[str, str, LinkFinder], ...]]
    texts: tuple[tuple[str, TextFinder], ...]


@lru_cache(maxsize=16)
def _plan(finders: tuple[tuple[str, Finder], ...]) -> _Plan:
    roles: dict[str, list[str]] = {}
    schemes: dict[str, list[tuple[str, str, LinkFinder]]] = {}
    texts: list[tuple[str, TextFinder]] = []
    for kind, finder in finders:
        if isinstance(finder, PageFinder):
            roles.setdefault(finder.role, []).append(kind)
        elif isinstance(finder, LinkFinder):
            for scheme, label in finder.schemes:
                schemes.setdefault(scheme, []).append((kind, label, finder))
        else:
            texts.append((kind, finder))
    return _Plan({r: tuple(k) for r, k in roles.items()}, {s: tuple(f) for s, f in schemes.items()}, tuple(texts))


class _Page:
    """What resolving and classifying URLs needs to know about the page."""

    def __init__(self, base_url: str | None, base_href: str | None, processors: Processors) -> None:
        self.processors = processors
        self._hosts: dict[str, str | None] = {}
        self._processors: dict[str, Processor | None] = {}
        self.base = _absolute(base_url.strip()) if base_url else None
        self.host = _host(self.base) if self.base else None
        if base_href:
            self.base = self.resolve(base_href) or self.base
        self.region = _region(self.host)

    def resolve(self, ref: str) -> str | None:
        """``ref`` made absolute against the page's base; ``None`` unless http(s)."""
        ref = ref.strip().translate(_TAB_NEWLINE)[:_MAX_URL]
        try:
            return _absolute(urljoin(self.base, ref) if self.base else ref)
        except ValueError:
            return None

    def host_of(self, url: str) -> str | None:
        """The canonical host of an absolute URL, cached per page."""
        netloc = url.split("/", 3)[2] if url.count("/") >= 2 else url
        if netloc not in self._hosts:
            self._hosts[netloc] = _host(url)
        return self._hosts[netloc]

    def processor(self, host: str) -> Processor | None:
        """The processor whose hosts include ``host``, cached per page."""
        if host not in self._processors:
            self._processors[host] = self.processors.match_host(host)
        return self._processors[host]

    def is_quiet_plain(self, ref: str, tag: str) -> bool:
        """True when :func:`_web_link` yields nothing for ``ref``, a plain absolute link
        (``_PLAIN_ABSOLUTE``): no host, or no processor's host and either no query or not an
        outbound page link (the only links whose query is read for affiliate IDs)."""
        host = self.host_of(ref)
        if host is None:
            return True
        if self.processor(host) is not None:
            return False
        return "?" not in ref or not (tag in _PAGE_TAGS and self.is_outbound(host))

    def is_outbound(self, host: str) -> bool:
        """True when ``host`` is not the page's own site (unknown page: every absolute link)."""
        if self.host is None:
            return True
        own, other = self.host.removeprefix("www."), host.removeprefix("www.")
        return not (own == other or own.endswith("." + other) or other.endswith("." + own))


def scan_page(
    html: str | bytes,
    *,
    base_url: str | None,
    processors: Processors,
    max_bytes: int,
    finders: Sequence[tuple[str, Finder]],
) -> Iterator[Candidate]:
    """Every candidate identifier on the page, in page order per source (see module doc).

    ``finders`` are ``(kind, finder)`` pairs, in the kinds' order; each candidate a
    finder finds is one of its kind's.
    """
    plan = _plan(tuple(finders))
    view = read_page(decode_html(html, max_bytes=max(0, max_bytes)))
    page = _Page(base_url, view.base_href, processors)
    for role, candidate, where, raw in _roles(view, page, plan):
        for kind in plan.roles.get(role, ()):
            yield kind, candidate, where, raw
    yield from _schemes(view, page, plan)
    yield from _texts(view, page, plan)


def _roles(view: PageView, page: _Page, plan: _Plan) -> Iterator[Candidate]:
    """``(role, candidate, where, raw)`` from forms, then from links and embeds (except
    those with a scheme a :class:`LinkFinder` reads: ``mailto:`` is no web link)."""
    yield from _forms(view, page)
    for tag, ref, where, scheme in _link_refs(view):
        if scheme not in plan.schemes:
            yield from _web_link(tag, ref, where, page)


def _forms(view: PageView, page: _Page) -> Iterator[Candidate]:
    fields: dict[int, list[Element]] = {}
    for el in view.elements:
        if el.form is not None and el.tag in ("input", "select", "button"):
            fields.setdefault(el.form, []).append(el)
    procs = page.processors
    for index, form in enumerate(view.forms):
        action = form.attrs.get("action", "").strip()
        target = page.resolve(action) if action else page.base
        host = page.host_of(target) if target else None
        proc = page.processor(host) if host else None
        own = fields.get(index, [])
        card = any(procs.is_card_field(e.attrs.get("name", ""), e.attrs.get("autocomplete", "")) for e in own)
        merchant = [
            (e.attrs["name"], e.attrs.get("value", ""))
            for e in own
            if e.tag == "input"
            and e.attrs.get("type", "").strip().lower() == "hidden"
            and e.attrs.get("name")
            and procs.is_merchant_field(e.attrs["name"].strip(), proc)
        ]
        # The action's own query carries merchant fields as a GET form's hidden inputs would.
        in_query = [(n, v) for n, v in _query(target) if procs.is_merchant_field(n, proc)] if target else []
        offsite = host is not None and page.is_outbound(host)
        if not (proc or card or ((merchant or in_query) and offsite)):
            continue
        if target:
            role = "shared_checkout" if proc and proc.shared_checkout else "form_action"
            yield role, target, "form[action]", action or target
        if proc:
            yield "processor", proc.name, "form[action]", action
        scope = proc.slug if proc else (host or "self")
        for name, value in merchant:
            where = f"input[name={field_name(name)}]"
            yield "merchant", f"{scope}/{value}", where, value
            yield "merchant_field", value, where, value
        for name, value in in_query:
            yield "merchant", f"{scope}/{value}", "form[action]", f"{name}={value}"
            yield "merchant_field", value, "form[action]", f"{name}={value}"
        if proc and target:
            for account, raw in _path_accounts(target, procs.merchant_path):
                yield "merchant", f"{scope}/{account}", "form[action]", raw


def _link_refs(view: PageView) -> Iterator[tuple[str, str, str, str]]:
    """``(tag, ref, where, scheme)`` of every link and embed with a URL."""
    for el in view.elements:
        attr = _URL_ATTRS.get(el.tag)
        ref = el.attrs.get(attr, "").strip()[:_MAX_URL] if attr else ""
        if ref:
            yield el.tag, ref, f"{el.tag}[{attr}]", ref.split(":", 1)[0].strip().lower() if ":" in ref else ""


def _schemes(view: PageView, page: _Page, plan: _Plan) -> Iterator[Candidate]:
    if not plan.schemes:
        return
    for _tag, ref, where, scheme in _link_refs(view):
        for kind, label, finder in plan.schemes.get(scheme, ()):
            for candidate, raw in finder.find(ref, page.region):
                yield kind, candidate, f"{where[:-1]}={label}]", raw


def _web_link(tag: str, ref: str, where: str, page: _Page) -> Iterator[Candidate]:
    if tag not in ("a", "area"):  # analytics tags and counters load as scripts, images, frames
        for pattern in page.processors.analytics:
            for match in pattern.regex.finditer(ref):
                yield "analytics", pattern.value(match.group(1)), where, ref
    if not _ABSOLUTE.match(ref):
        return  # a relative link stays on the page's own site: no processor, no affiliate
    if _PLAIN_ABSOLUTE.fullmatch(ref) and page.is_quiet_plain(ref, tag):
        return  # the commonest links, read without urljoin: they would yield nothing below
    target = page.resolve(ref)
    host = page.host_of(target) if target else None
    if not target or not host:
        return
    proc: Processor | None = page.processor(host)
    if proc is None and not (tag in _PAGE_TAGS and page.is_outbound(host)):
        return
    params = _query(target)
    if proc:
        yield "processor", proc.name, where, ref
        for name, value in params:
            if page.processors.is_merchant_field(name, proc):
                yield "merchant", f"{proc.slug}/{value}", where, f"{name}={value}"
        for account, raw in _path_accounts(target, page.processors.merchant_path):
            yield "merchant", f"{proc.slug}/{account}", where, raw
    elif tag in _PAGE_TAGS and page.is_outbound(host):
        for name, value in params:
            if name in page.processors.affiliate_params:
                yield "affiliate", f"{host.removeprefix('www.')}/{name}={value}", where, ref


def _query(url: str) -> list[tuple[str, str]]:
    """The first 100 non-blank parameters of ``url``'s query."""
    if "?" not in url:
        return []
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return parse_qsl(query, keep_blank_values=False)[:100] if query else []


#: A merchant account in a processor's URL path: 3-64 letters, digits, ".", "_", "-" with
#: at least 3 digits (``AB12345``); a word (``checkout``, ``pay``) is not an account.
_PATH_ACCOUNT: Final = re.compile(r"(?=(?:[^0-9]*[0-9]){3})[A-Za-z0-9][A-Za-z0-9._-]{2,63}")


def _path_accounts(url: str, markers: frozenset[str]) -> Iterator[tuple[str, str]]:
    """``(account, raw)`` for each path segment of ``url`` that follows a ``merchant_path``
    segment (``/m/AB12345/checkout`` -> ``AB12345``), percent-decoded; at most 4."""
    if not markers:
        return
    try:
        path = urlsplit(url).path
    except ValueError:
        return
    segments = path.split("/")[1:40]
    found = 0
    for before, segment in itertools.pairwise(segments):
        value = unquote(segment)
        if before.lower() in markers and _PATH_ACCOUNT.fullmatch(value):
            yield value, f"{before}/{value}"
            found += 1
            if found >= 4:
                return


# --------------------------------------------------------------------------- free text


def _texts(view: PageView, page: _Page, plan: _Plan) -> Iterator[Candidate]:
    scripts = "\n".join(view.scripts)
    comments = "\n".join(view.comments)
    analytics = plan.roles.get("analytics", ())
    for where, text in (("script", scripts), ("comment", comments)):
        for pattern in page.processors.analytics if analytics else ():
            for count, match in enumerate(pattern.regex.finditer(text)):
                if count >= MAX_CANDIDATES:
                    break
                for kind in analytics:
                    yield kind, pattern.value(match.group(1)), where, match.group(0)
    sources = {"text": view.text, "comment": comments, "script": scripts}
    attributes = view.attr_texts[: MAX_CANDIDATES * 4]
    for kind, finder in plan.texts:
        for source in finder.sources:
            if source != "attribute":
                if sources[source]:
                    yield from _found(kind, finder, sources[source], source, page.region, MAX_CANDIDATES)
                continue
            for where, value in attributes:
                if len(value) >= finder.min_chars:
                    yield from _found(kind, finder, value, where, page.region, finder.attribute_limit)


def _found(kind: str, finder: TextFinder, text: str, where: str, region: str | None, limit: int) -> Iterator[Candidate]:
    found = finder.find(text, region=region, limit=limit) if finder.regional else finder.find(text, limit=limit)
    for candidate, raw in found:
        yield kind, candidate, where, raw


def _absolute(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else ``None``."""
    try:
        parts = urlsplit(url)
        return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None
    except ValueError:
        return None


def _host(url: str | None) -> str | None:
    """The canonical host of an absolute URL (lower-case IDNA), or ``None``."""
    if not url:
        return None
    try:
        return canonicalize_url(url).host
    except InvalidURL:
        return None


def _region(host: str | None) -> str | None:
    """The phone region a country-code TLD suggests (``.uk`` -> GB), for national numbers."""
    if not host or "." not in host:
        return None
    tld = host.rsplit(".", 1)[1]
    region = _CCTLD_REGION.get(tld, tld.upper())
    return region if len(tld) == 2 and region in phonenumbers.SUPPORTED_REGIONS else None
