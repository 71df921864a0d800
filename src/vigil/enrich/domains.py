"""Registrable domains, shared services and identity domains of hosts.

A host's **registrable domain** comes from the Public Suffix List snapshot bundled in
the ``publicsuffixlist`` package (ICANN and private sections; unknown TLDs follow the
implicit ``*`` rule). The list is never fetched at run time.

A host's **identity domain** is its registrable domain, except under a **shared
service** (a free subdomain registrar or free host, listed in ``shared_services.csv``
and the user's own files), where it is the label directly below the service plus the
service: ``a.b.name.cu.cc`` → ``name.cu.cc``. See docs/domains.md and docs/analysis.md.

Hosts are expected canonical (``vigil.urls``): lower-case, punycode, no trailing
dot. Nothing here canonicalises; every domain returned is a literal suffix of the host
given, and junk gets ``None`` fields, never an exception.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Final

import idna
import publicsuffixlist
from publicsuffixlist import PublicSuffixList

from vigil.errors import ConfigError

__all__ = [
    "SERVICE_KINDS",
    "DomainClassifier",
    "DomainInfo",
    "PslSnapshot",
    "SharedService",
    "SharedServices",
    "load_shared_services",
    "normalize_hostname",
    "parse_shared_services",
    "psl_snapshot",
    "public_suffix",
    "registrable_domain",
]

#: The kinds a shared service can be (the ``kind`` column of shared_services.csv).
SERVICE_KINDS: Final = ("free_subdomain", "free_host")

_BUNDLED_SERVICES: Final = "data/shared_services.csv"
_SERVICES_HEADER: Final = ("service", "kind", "note")

#: Characters that never occur in a canonical domain host (the WHATWG URL standard's
#: forbidden domain code points); IPv6 literals and ports are caught by ``:`` and ``[``.
_NOT_IN_HOST: Final = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")
#: A last label that makes the WHATWG URL parser read the host as IPv4.
_NUMERIC_LABEL: Final = re.compile(r"(?:[0-9]+|0[xX][0-9a-fA-F]*)")
#: One LDH label of a host name written in a data file (underscore tolerated).
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


@dataclass(frozen=True, slots=True)
class DomainInfo:
    """What Vigil knows about one host's domain (all ``None`` for IPs and junk)."""

    host: str
    registrable: str | None  # PSL registrable domain (None for IPs / bare public suffixes)
    public_suffix: str | None
    service: str | None  # the shared service the host is under, if any
    identity: str | None  # identity domain (see docs/analysis.md)
    label: str | None  # first label of identity
    suffix: str | None  # identity minus its first label (a public suffix or a service)


@dataclass(frozen=True, slots=True)
class PslSnapshot:
    """Provenance of the bundled Public Suffix List (for reports and docs)."""

    package_version: str  # the publicsuffixlist package version
    list_version: str | None  # the list's own ``// VERSION:`` header
    list_commit: str | None  # the publicsuffix/list commit in its ``// COMMIT:`` header
    path: str


# --------------------------------------------------------------------------- PSL


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    """The bundled list, parsed once (about 0.15 s) on first use."""
    return PublicSuffixList(accept_unknown=True)


def psl_snapshot() -> PslSnapshot:
    """The bundled PSL's package version and the list's VERSION/COMMIT headers."""
    version: str | None = None
    commit: str | None = None
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if line.startswith("// VERSION:"):
                version = line.split(":", 1)[1].strip()
            elif line.startswith("// COMMIT:"):
                commit = line.split(":", 1)[1].strip()
            if number > 50:
                break
    return PslSnapshot(publicsuffixlist.__version__, version, commit, publicsuffixlist.PSLFILE)


def _is_domain_name(host: str) -> bool:
    """False for IP addresses, empty labels and characters no domain host has."""
    if not host or _NOT_IN_HOST.search(host):
        return False
    if host[0] == "." or host[-1] == "." or ".." in host:
        return False
    last = host.rpartition(".")[2]
    return _NUMERIC_LABEL.fullmatch(last) is None  # dotted IPv4 and its numeric forms


def _split_uncached(host: str) -> tuple[str | None, str | None]:
    """``(registrable domain, public suffix)`` of a host."""
    if not _is_domain_name(host):
        return None, None
    psl = _psl()
    registrable = psl.privatesuffix(host, keep_case=True)
    if registrable is not None:
        return registrable, registrable.partition(".")[2]
    return None, psl.publicsuffix(host, keep_case=True)


#: The cached form, for callers outside a classifier (which has its own cache).
_split = lru_cache(maxsize=1 << 16)(_split_uncached)


def registrable_domain(host: str) -> str | None:
    """The PSL registrable domain of a canonical host; ``None`` for IPs and bare suffixes.

    >>> registrable_domain("www.example.co.uk")
    'example.co.uk'
    >>> registrable_domain("name.test") is None, registrable_domain("co.uk") is None
    (False, True)
    """
    return _split(host)[0]


def public_suffix(host: str) -> str | None:
    """The PSL public suffix of a canonical host (``co.uk``, ``test``); ``None`` for IPs."""
    return _split(host)[1]


# ------------------------------------------------------------ shared services


def normalize_hostname(raw: str) -> str | None:
    """A host name written in a data file, as a canonical host; ``None`` if it is not one.

    Lower-cases, drops one trailing dot and encodes Unicode labels as punycode.
    """
    value = raw.strip().lower()
    if value.endswith("."):
        value = value[:-1]
    if not value.isascii():
        try:
            value = idna.encode(value, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    if not value or len(value) > 253:
        return None
    labels = value.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None  # an IPv4 address, not a name
    return value


@dataclass(frozen=True, slots=True)
class SharedService:
    """One row of a shared services file."""

    service: str  # canonical host of the service, e.g. "cu.cc"
    kind: str  # one of SERVICE_KINDS
    note: str
    source: str  # "FILE, line N": where the row came from


class SharedServices:
    """The merged set of shared services; ``match`` finds the one a host is under.

    Later entries override earlier ones with the same service (user files after the
    bundled file), so a user can change a bundled service's kind or note.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[SharedService] = ()) -> None:
        self._entries: dict[str, SharedService] = {}
        for entry in entries:
            self._entries[entry.service] = entry

    def match(self, host: str) -> str | None:
        """The longest service that ``host`` is strictly under, or ``None``.

        A host that is itself a listed service is the service's own site: no match.
        """
        if not host or host in self._entries:
            return None
        entries = self._entries
        dot = host.find(".")
        while dot != -1:  # longest proper suffix first
            if dot > 0 and host[dot + 1 :] in entries:
                return host[dot + 1 :]
            dot = host.find(".", dot + 1)
        return None

    def get(self, service: str) -> SharedService | None:
        """The entry of one service (kind, note, where it came from)."""
        return self._entries.get(service)

    def __contains__(self, service: object) -> bool:
        return service in self._entries

    def __iter__(self) -> Iterator[SharedService]:
        return iter(sorted(self._entries.values(), key=lambda entry: entry.service))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"SharedServices({len(self)} services)"


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read {what}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: {what} is not UTF-8 text ({error.reason})") from error


def parse_shared_services(text: str, source: str) -> list[SharedService]:
    """Rows of one shared services file; ``source`` names the file in errors."""
    rows: list[SharedService] = []
    header: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{source}, line {number}"
        try:
            fields = [field.strip() for field in next(csv.reader([stripped]))]
        except csv.Error as error:
            raise ConfigError(f"{where}: not a CSV row ({error})") from error
        if header is None:
            if tuple(fields) not in (_SERVICES_HEADER, _SERVICES_HEADER[:2]):
                raise ConfigError(
                    f"{where}: expected the header 'service,kind,note', found {stripped!r}"
                )
            header = fields
            continue
        if len(fields) > len(header) or len(fields) < 2:
            raise ConfigError(
                f"{where}: expected {len(header)} fields ({','.join(header)}), "
                f"found {len(fields)}"
            )
        service = normalize_hostname(fields[0])
        if service is None:
            raise ConfigError(f"{where}: {fields[0]!r} is not a host name")
        kind = fields[1]
        if kind not in SERVICE_KINDS:
            raise ConfigError(
                f"{where}: unknown kind {kind!r} (expected one of: {', '.join(SERVICE_KINDS)})"
            )
        note = fields[2] if len(fields) > 2 else ""
        rows.append(SharedService(service, kind, note, where))
    if header is None:
        raise ConfigError(f"{source}: no header line 'service,kind,note'")
    return rows


def load_shared_services(extra: Sequence[Path] = ()) -> SharedServices:
    """The bundled shared services merged with the user's files (later files win)."""
    bundled = resources.files("vigil.enrich").joinpath(_BUNDLED_SERVICES)
    entries = parse_shared_services(
        bundled.read_text(encoding="utf-8"), f"vigil/enrich/{_BUNDLED_SERVICES}"
    )
    for path in extra:
        path = Path(path)
        entries.extend(parse_shared_services(_read_text(path, "shared services file"), str(path)))
    return SharedServices(entries)


# ------------------------------------------------------------------ identity


class DomainClassifier:
    """Classifies hosts into :class:`DomainInfo`; results are cached per instance."""

    __slots__ = ("_cached", "services")

    def __init__(self, services: SharedServices, *, cache_size: int = 1 << 16) -> None:
        self.services = services
        self._cached = lru_cache(maxsize=cache_size)(self._classify)

    def classify(self, host: str) -> DomainInfo:
        """Registrable domain, service and identity of one canonical host; never raises."""
        return self._cached(host)

    def _classify(self, host: str) -> DomainInfo:
        registrable, suffix_of_psl = _split_uncached(host)
        if registrable is None and suffix_of_psl is None:
            return DomainInfo(host, None, None, None, None, None, None)  # IP or junk
        service = self.services.match(host)
        if service is not None:
            below = host[: -len(service) - 1]
            label = below.rpartition(".")[2]
            return DomainInfo(
                host, registrable, suffix_of_psl, service, f"{label}.{service}", label, service
            )
        if registrable is None:  # a bare public suffix such as "co.uk"
            return DomainInfo(host, None, suffix_of_psl, None, None, None, None)
        label, _, suffix = registrable.partition(".")
        return DomainInfo(host, registrable, suffix_of_psl, None, registrable, label, suffix)
