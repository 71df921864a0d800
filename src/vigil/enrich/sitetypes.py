"""Site-type rules: an ordered list, first match wins (docs/domains.md, docs/analysis.md).

Each rule has a ``site_type`` (one of :data:`vigil.model.SITE_TYPES`), a human ``reason``
and exactly one matcher:

* ``host_suffix = ".onion"`` — the host ends with that suffix (on a label boundary);
* ``shared_service = true`` — the host's identity domain is under a shared service;
* ``hosts = ["locker.example", ...]`` — the host or any parent domain is listed;
* ``url_regex = '...'`` — a Python regular expression found in the canonical URL.

The user's rule files come first, in the order given, then the bundled
``data/site_type_rules.toml``. A report that states a site type overrides all rules;
that is the caller's business, not this module's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Final

from vigil.enrich.domains import DomainInfo, normalize_hostname
from vigil.errors import ConfigError
from vigil.model import SITE_TYPES

__all__ = ["MATCHERS", "PLACEHOLDERS", "Rule", "SiteTypeDecision", "SiteTypeRules", "parse_rules"]

#: The matcher keys; a rule has exactly one of them.
MATCHERS: Final = ("host_suffix", "shared_service", "hosts", "url_regex")
#: Placeholders a rule's ``reason`` may use; filled in when the rule matches.
PLACEHOLDERS: Final = ("host", "identity", "service", "url", "matched")

_BUNDLED: Final = "data/site_type_rules.toml"
_RULE_KEYS: Final = frozenset({"name", "site_type", "reason", *MATCHERS})
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FALLBACK_TYPE: Final = "other"
_FALLBACK_REASON: Final = "no rule matched"


@dataclass(frozen=True, slots=True)
class SiteTypeDecision:
    """The site type chosen for a URL and why."""

    site_type: str
    reason: str  # e.g. "host is a Tor hidden service (.onion)", or "no rule matched"
    rule: str | None  # the rule's name; None when no rule matched


@dataclass(frozen=True, slots=True)
class Rule:
    """One site-type rule; ``matcher`` is one of :data:`MATCHERS`."""

    name: str
    site_type: str
    reason: str  # may hold {host}, {identity}, {service}, {url}, {matched}
    matcher: str
    suffix: str | None = None  # host_suffix, without its leading dot
    hosts: frozenset[str] = frozenset()
    regex: re.Pattern[str] | None = None
    source: str = ""  # "FILE, rule N"

    def match(self, *, url: str, host: str, domain: DomainInfo) -> str | None:
        """What matched, or ``None``.

        That is the suffix, the listed host, the service, or for ``url_regex`` the
        text of its first group (the whole match when it has no group).
        """
        if self.matcher == "host_suffix":
            assert self.suffix is not None
            if host == self.suffix or host.endswith("." + self.suffix):
                return "." + self.suffix
            return None
        if self.matcher == "shared_service":
            return domain.service
        if self.matcher == "hosts":
            return _listed_parent(host, self.hosts)
        assert self.regex is not None
        found = self.regex.search(url)
        if found is None:
            return None
        return (found.group(1) or "") if self.regex.groups else found.group(0)

    def explain(self, *, url: str, host: str, domain: DomainInfo, matched: str) -> str:
        """The rule's reason with its placeholders filled in."""
        values = {
            "host": host,
            "identity": domain.identity or "",
            "service": domain.service or "",
            "url": url,
            "matched": matched,
        }
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.reason)


def _listed_parent(host: str, hosts: frozenset[str]) -> str | None:
    """The host itself or its nearest parent domain that is in ``hosts``."""
    if not hosts or not host:
        return None
    candidate = host
    while True:
        if candidate in hosts:
            return candidate
        dot = candidate.find(".")
        if dot == -1:
            return None
        candidate = candidate[dot + 1 :]


class SiteTypeRules:
    """An ordered list of rules; :meth:`decide` applies the first that matches."""

    __slots__ = ("rules",)

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)

    @classmethod
    def load(cls, extra: Sequence[Path] = ()) -> SiteTypeRules:
        """The user's rule files (in order), then the bundled rules."""
        rules: list[Rule] = []
        for path in extra:
            path = Path(path)
            rules.extend(parse_rules(_read_bytes(path), str(path)))
        bundled = resources.files("vigil.enrich").joinpath(_BUNDLED)
        rules.extend(parse_rules(bundled.read_bytes(), f"vigil/enrich/{_BUNDLED}"))
        return cls(rules)

    def decide(self, *, url: str, host: str, domain: DomainInfo) -> SiteTypeDecision:
        """The first matching rule's site type and reason; ``other`` when none matches."""
        for rule in self.rules:
            matched = rule.match(url=url, host=host, domain=domain)
            if matched is not None:
                reason = rule.explain(url=url, host=host, domain=domain, matched=matched)
                return SiteTypeDecision(rule.site_type, reason, rule.name)
        return SiteTypeDecision(_FALLBACK_TYPE, _FALLBACK_REASON, None)

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"SiteTypeRules({len(self.rules)} rules)"


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read site-type rules file: {error.strerror or error}"
        ) from error


def parse_rules(data: bytes, source: str) -> list[Rule]:
    """The rules of one TOML file; ``source`` names the file in errors."""
    try:
        document = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{source}: not UTF-8 text ({error.reason})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from error
    unknown = sorted(set(document) - {"rule"})
    if unknown:
        raise ConfigError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)} (rules go in [[rule]] tables)"
        )
    tables = document.get("rule", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{source}: 'rule' must be an array of tables ([[rule]])")
    rules = [_parse_rule(table, f"{source}, rule {n}", n) for n, table in enumerate(tables, 1)]
    names = [rule.name for rule in rules]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{source}: two rules are named {name!r}")
    return rules


def _parse_rule(table: Mapping[str, object], where: str, number: int) -> Rule:
    unknown = sorted(set(table) - _RULE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} "
            f"(expected name, site_type, reason and one of: {', '.join(MATCHERS)})"
        )
    name = table.get("name", f"rule-{number}")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    where = f"{where} ({name})"
    site_type = table.get("site_type")
    if site_type not in SITE_TYPES:
        raise ConfigError(
            f"{where}: unknown site type {site_type!r} (expected one of: {', '.join(SITE_TYPES)})"
        )
    assert isinstance(site_type, str)
    reason = table.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"{where}: 'reason' must be a non-empty string")
    for placeholder in _PLACEHOLDER.findall(reason):
        if placeholder not in PLACEHOLDERS:
            raise ConfigError(
                f"{where}: unknown placeholder {{{placeholder}}} in reason "
                f"(expected: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
            )
    present = [key for key in MATCHERS if key in table]
    if not present:
        raise ConfigError(f"{where}: no matcher (give one of: {', '.join(MATCHERS)})")
    if len(present) > 1:
        raise ConfigError(f"{where}: several matchers ({', '.join(present)}); give exactly one")
    matcher = present[0]
    value = table[matcher]
    base = Rule(name, site_type, reason, matcher, source=where)
    if matcher == "host_suffix":
        suffix = normalize_hostname(value.lstrip(".")) if isinstance(value, str) else None
        if suffix is None:
            raise ConfigError(f"{where}: host_suffix {value!r} is not a domain suffix")
        return replace(base, suffix=suffix)
    if matcher == "shared_service":
        if value is not True:
            raise ConfigError(f"{where}: shared_service must be true, found {value!r}")
        return base
    if matcher == "hosts":
        if not isinstance(value, list):
            raise ConfigError(f"{where}: hosts must be a list of host names")
        hosts: set[str] = set()
        for item in value:
            host = normalize_hostname(item) if isinstance(item, str) else None
            if host is None:
                raise ConfigError(f"{where}: {item!r} in hosts is not a host name")
            hosts.add(host)
        return replace(base, hosts=frozenset(hosts))
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: url_regex must be a non-empty string")
    try:
        regex = re.compile(value)
    except re.error as error:
        raise ConfigError(f"{where}: bad url_regex {value!r}: {error}") from error
    return replace(base, regex=regex)

