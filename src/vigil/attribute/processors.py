"""Payment processors and page-identifier patterns, read from TOML (docs/identifiers.md).

The bundled ``data/processors.toml`` holds generic entries only: field names in common
use (merchant, card and affiliate fields) and the documented formats of common
analytics IDs. It lists no processor: a hotline or a payment provider lists the
processors it knows in its own file (a synthetic world brings its own
``processors.toml``), given with ``--processors``; :meth:`Processors.load` reads those
first (their processors are matched before any bundled one) and adds their field
names and patterns.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from vigil.errors import ConfigError
from vigil.model import PAYMENT_TYPES

__all__ = ["AnalyticsPattern", "Processor", "Processors", "slug"]

_BUNDLED: Final = "data/processors.toml"
_PROCESSOR_KEYS: Final = frozenset({"name", "hosts", "merchant_fields", "payment_type", "shared_checkout"})
_FIELD_KEYS: Final = frozenset({"merchant", "merchant_path", "card", "card_autocomplete", "affiliate"})
_ANALYTICS_KEYS: Final = frozenset({"name", "pattern", "prefix"})
_SLUG: Final = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """``"Example Card Gateway"`` -> ``"example-card-gateway"``: scopes merchant accounts."""
    return _SLUG.sub("-", name.lower()).strip("-") or "processor"


@dataclass(frozen=True, slots=True)
class Processor:
    """A payment provider: where its forms post and which hidden fields name the merchant."""

    name: str
    hosts: tuple[str, ...]  # lower-case; each also matches its subdomains
    merchant_fields: tuple[str, ...] = ()
    payment_type: str = "unknown"
    shared_checkout: bool = True  # one checkout URL for all merchants: the URL links nothing

    @property
    def slug(self) -> str:
        """The processor's name as a scope for its merchant accounts."""
        return slug(self.name)

    def matches(self, host: str) -> bool:
        """True when ``host`` is one of :attr:`hosts` or a subdomain of one."""
        return any(host == h or host.endswith("." + h) for h in self.hosts)


@dataclass(frozen=True, slots=True)
class AnalyticsPattern:
    """An analytics or counter ID: a regular expression whose first group is the ID."""

    name: str
    regex: re.Pattern[str]
    prefix: str = ""  # value "prefix:ID"; empty: the ID upper-cased

    def value(self, found: str) -> str:
        """The identifier value for an ID this pattern found."""
        return f"{self.prefix}:{found}" if self.prefix else found.upper()


class _FieldNames:
    """Case-insensitive field names, with ``*`` wildcards."""

    def __init__(self, names: Iterable[str]) -> None:
        self.exact = frozenset(n.lower() for n in names if "*" not in n)
        globs = [fnmatch.translate(n.lower()) for n in names if "*" in n]
        self.glob = re.compile("|".join(globs)) if globs else None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lower = name.lower()
        return lower in self.exact or bool(self.glob and self.glob.match(lower))


class Processors:
    """The processors and field patterns :func:`~vigil.attribute.identifiers.extract_identifiers` uses."""

    def __init__(
        self,
        processors: Iterable[Processor] = (),
        *,
        merchant_fields: Iterable[str] = (),
        card_fields: Iterable[str] = (),
        card_autocomplete: Iterable[str] = (),
        affiliate_params: Iterable[str] = (),
        analytics: Iterable[AnalyticsPattern] = (),
        merchant_path: Iterable[str] = (),
    ) -> None:
        self.processors: tuple[Processor, ...] = tuple(processors)
        self.merchant_fields = _FieldNames(merchant_fields)
        self.card_fields = _FieldNames(card_fields)
        self.card_autocomplete = frozenset(t.lower() for t in card_autocomplete)
        self.affiliate_params = _FieldNames(affiliate_params)
        self.analytics: tuple[AnalyticsPattern, ...] = tuple(analytics)
        #: Path segments of a processor URL whose next segment is the merchant's account
        #: (``/m/AB12345/checkout``), lower case.
        self.merchant_path = frozenset(s.lower() for s in merchant_path)
        self._own_fields = {p.name: _FieldNames(p.merchant_fields) for p in self.processors}

    @classmethod
    def load(cls, extra: Sequence[Path] = ()) -> Processors:
        """The user's files in ``extra`` (matched first), then the bundled file.

        Raises :class:`~vigil.errors.ConfigError` naming the file on a bad file.
        """
        documents: list[tuple[str, Mapping[str, Any]]] = []
        for path in extra:
            try:
                data = Path(path).read_bytes()
            except OSError as error:
                raise ConfigError(f"cannot read processors file {path}: {error.strerror or error}") from error
            documents.append((str(path), _parse(data, str(path))))
        bundled = resources.files("vigil.attribute").joinpath(_BUNDLED).read_bytes()
        documents.append((_BUNDLED, _parse(bundled, _BUNDLED)))
        return cls.from_documents(documents)

    @classmethod
    def from_documents(cls, documents: Sequence[tuple[str, Mapping[str, Any]]]) -> Processors:
        """Build from parsed TOML documents, earlier ones first; ``str`` names each source."""
        processors: list[Processor] = []
        fields: dict[str, list[str]] = {key: [] for key in _FIELD_KEYS}
        analytics: list[AnalyticsPattern] = []
        for source, doc in documents:
            unknown = set(doc) - {"fields", "processor", "analytics"}
            if unknown:
                raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}")
            section = doc.get("fields", {})
            _check_keys(section, _FIELD_KEYS, f"{source} [fields]")
            for key in _FIELD_KEYS:
                fields[key].extend(_strings(section.get(key, []), f"{source} [fields] {key}"))
            for i, entry in enumerate(_tables(doc.get("processor", []), f"{source} [[processor]]")):
                processors.append(_processor(entry, f"{source} [[processor]] #{i + 1}"))
            for i, entry in enumerate(_tables(doc.get("analytics", []), f"{source} [[analytics]]")):
                analytics.append(_analytics(entry, f"{source} [[analytics]] #{i + 1}"))
        return cls(
            processors,
            merchant_fields=fields["merchant"],
            card_fields=fields["card"],
            card_autocomplete=fields["card_autocomplete"],
            affiliate_params=fields["affiliate"],
            analytics=analytics,
            merchant_path=fields["merchant_path"],
        )

    def match_host(self, host: str) -> Processor | None:
        """The first processor whose hosts include ``host`` (or a parent of it)."""
        host = host.lower().rstrip(".")
        return next((p for p in self.processors if p.matches(host)), None)

    def is_merchant_field(self, name: str, processor: Processor | None = None) -> bool:
        """True for a generic merchant field name, or one of ``processor``'s own."""
        if name in self.merchant_fields:
            return True
        return processor is not None and name in self._own_fields.get(processor.name, _NO_FIELDS)

    def is_card_field(self, name: str, autocomplete: str = "") -> bool:
        """True for an input that asks for a card number, expiry or security code."""
        if name and name in self.card_fields:
            return True
        return any(token in self.card_autocomplete for token in autocomplete.lower().split())


_NO_FIELDS: Final = _FieldNames(())


@lru_cache(maxsize=1)
def default_processors() -> Processors:
    """The bundled processors file alone, read once: generic field names and analytics patterns, no processor."""
    return Processors.load()


def _parse(data: bytes, source: str) -> Mapping[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from error


def _check_keys(table: object, allowed: frozenset[str], where: str) -> None:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a list of non-empty strings")
    return list(value)


def _tables(value: object, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{where}: expected an array of tables")
    return list(value)


def _processor(entry: Mapping[str, Any], where: str) -> Processor:
    _check_keys(entry, _PROCESSOR_KEYS, where)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: needs a name")
    hosts = tuple(h.lower().strip(".") for h in _strings(entry.get("hosts", []), f"{where} hosts"))
    if not hosts:
        raise ConfigError(f"{where} ({name}): needs at least one host")
    payment_type = entry.get("payment_type", "unknown")
    if payment_type not in PAYMENT_TYPES:
        raise ConfigError(f"{where} ({name}): payment_type {payment_type!r} is not one of {', '.join(PAYMENT_TYPES)}")
    shared = entry.get("shared_checkout", True)
    if not isinstance(shared, bool):
        raise ConfigError(f"{where} ({name}): shared_checkout must be true or false")
    fields = tuple(_strings(entry.get("merchant_fields", []), f"{where} merchant_fields"))
    return Processor(name.strip(), hosts, fields, payment_type, shared)


def _analytics(entry: Mapping[str, Any], where: str) -> AnalyticsPattern:
    _check_keys(entry, _ANALYTICS_KEYS, where)
    name, pattern, prefix = entry.get("name"), entry.get("pattern"), entry.get("prefix", "")
    if not isinstance(name, str) or not isinstance(pattern, str) or not isinstance(prefix, str):
        raise ConfigError(f"{where}: needs a name and a pattern (strings)")
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"{where} ({name}): bad pattern: {error}") from error
    if regex.groups < 1:
        raise ConfigError(f"{where} ({name}): the pattern needs a group around the ID")
    return AnalyticsPattern(name, regex, prefix)
