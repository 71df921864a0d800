"""Optional DNS resolution of hosts to IP addresses: off by default, pluggable.

Vigil normally takes the IP a host resolved to from the analyst's own network
observation (what the host resolved to *at the time*). Resolving today is a
different, weaker fact, so it happens only when the user asks (``--dns``) and
goes through a :class:`DnsResolver`:

    DnspythonResolver   real look-ups with dnspython (``pip install vigil[dns]``)
    RecordedResolver    a fixed host → addresses table: tests and replays, no network

A host that does not exist resolves to ``[]``. A look-up that fails (time-out,
no answer from any server) raises :class:`~vigil.errors.InvalidRecord` with the
reason, so the record goes to quarantine and the batch goes on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from vigil.errors import ConfigError, InvalidRecord

__all__ = ["NEVER_QUERIED", "DnsResolver", "DnspythonResolver", "RecordedResolver"]

#: Special-use names (RFC 6761, RFC 7686) that must never reach a DNS server.
#: ``.onion`` especially: asking public DNS for a hidden service leaks the analyst's
#: interest to every resolver on the way.
NEVER_QUERIED = ("onion", "test", "example", "invalid", "localhost", "local")


class DnsResolver(Protocol):
    """Resolves one host name to its IPv4 and IPv6 addresses (``[]`` when none)."""

    def resolve(self, host: str) -> list[str]: ...


def _normalise(host: str) -> str:
    return host.strip().rstrip(".").lower()


def _literal(host: str) -> str | None:
    """The address itself when ``host`` is an IP literal (``[2001:db8::1]`` too)."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _ordered(addresses: Iterable[str]) -> list[str]:
    """Distinct addresses, IPv4 first, each family in numeric order."""
    parsed = {ipaddress.ip_address(address) for address in addresses}
    return [str(a) for a in sorted(parsed, key=lambda a: (a.version, int(a)))]


class RecordedResolver:
    """Answers from a fixed table; never touches the network.

    ``queries`` lists every host asked, in order, so a test can check what was
    (or was not) looked up.
    """

    def __init__(self, mapping: Mapping[str, list[str]]) -> None:
        self.mapping = {_normalise(host): _ordered(ips) for host, ips in mapping.items()}
        self.queries: list[str] = []

    def resolve(self, host: str) -> list[str]:
        self.queries.append(host)
        literal = _literal(host)
        if literal is not None:
            return [literal]
        return list(self.mapping.get(_normalise(host), []))


class DnspythonResolver:
    """A and AAAA look-ups through dnspython, each bounded by ``timeout`` seconds.

    ``nameservers`` replaces the system's resolver configuration; by default it is
    read from ``/etc/resolv.conf`` (or the platform's equivalent). Names under
    :data:`NEVER_QUERIED` and IP literals are answered without any query.
    """

    def __init__(self, timeout: float = 2.0, *, nameservers: list[str] | None = None) -> None:
        try:
            import dns.exception
            import dns.resolver
        except ImportError:
            raise ConfigError("DNS resolution needs dnspython: pip install vigil[dns]") from None
        if timeout <= 0:
            raise ConfigError(f"DNS timeout must be positive, not {timeout}")
        self.timeout = timeout
        self._errors = dns.exception.DNSException
        self._nxdomain = dns.resolver.NXDOMAIN
        try:
            resolver = dns.resolver.Resolver(configure=nameservers is None)
        except dns.exception.DNSException as exc:
            raise ConfigError(f"no usable system DNS configuration: {exc}") from None
        if nameservers is not None:
            resolver.nameservers = list(nameservers)
        resolver.lifetime = timeout
        self._resolver: Any = resolver

    def resolve(self, host: str) -> list[str]:
        literal = _literal(host)
        if literal is not None:
            return [literal]
        name = _normalise(host)
        if not name or name.rsplit(".", 1)[-1] in NEVER_QUERIED:
            return []
        addresses: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = self._resolver.resolve(
                    name, rdtype, lifetime=self.timeout, search=False, raise_on_no_answer=False
                )
            except self._nxdomain:
                return []
            except self._errors as exc:
                raise InvalidRecord(f"DNS look-up of {name} ({rdtype}) failed: {exc}") from None
            addresses.extend(rdata.address for rdata in answer)
        return _ordered(addresses)
