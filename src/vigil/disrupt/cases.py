"""The takedown case: one URL and what is known about who can act on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Case:
    """One URL under notice-and-takedown, with its hosting, domain, brand and payment context.

    ``owner_org`` and ``marking`` are the need-to-know of the evidence behind it (the strictest
    of its reports); ``dedicated`` says the whole domain serves the site (so a filtering feed
    may list the domain instead of the URL).
    """

    url: str
    host: str
    owner_org: str
    marking: str
    domain: str | None = None
    suffix: str | None = None
    ip: str | None = None
    asn: int | None = None
    country: str | None = None
    hosting_org: str | None = None
    upstream_asn: int | None = None
    registrar: str | None = None
    registry: str | None = None
    brand: str | None = None
    distributor: str | None = None
    processor: str | None = None
    merchant_account: str | None = None
    wallets: tuple[str, ...] = field(default_factory=tuple)  # "btc:ADDRESS", "eth:ADDRESS"
    emails: tuple[str, ...] = field(default_factory=tuple)
    payment_forms: tuple[str, ...] = field(default_factory=tuple)
    prices: tuple[str, ...] = field(default_factory=tuple)  # "29.95 EUR" as the page asked
    evidence_ref: str | None = None  # the capture (page wording) the identifiers were read from
    dedicated: bool = False
    source: str = ""

    def group(self, by: str) -> str | None:
        """The case's value for a league-table grouping."""
        if by == "asn":
            return f"AS{self.asn}" if self.asn is not None else None
        value: str | None = getattr(self, _GROUP_FIELDS[by])
        return value


_GROUP_FIELDS = {"host": "hosting_org", "country": "country", "registrar": "registrar", "processor": "processor"}

COLUMNS: tuple[str, ...] = (
    "url", "host", "domain", "suffix", "ip", "asn", "country", "hosting_org", "upstream_asn", "registrar",
    "registry", "brand", "distributor", "processor", "merchant_account", "wallets", "emails", "payment_forms",
    "prices", "evidence_ref", "dedicated", "owner_org", "marking", "source",
)  # fmt: skip
_LISTS = {"wallets", "emails", "payment_forms", "prices"}


_INTS = {"asn", "upstream_asn"}


def case_from_row(row: dict[str, Any]) -> Case:
    """A case from a store row or an import record (values coerced; ``ValueError`` when unusable)."""
    values: dict[str, Any] = {}
    for key in COLUMNS:
        value = row.get(key)
        if key in _LISTS:
            if isinstance(value, str) or not isinstance(value, list | tuple | type(None)):
                raise ValueError(f"{key} must be a list")
            values[key] = tuple(str(v) for v in value or ())
        elif key in _INTS:
            values[key] = None if value is None else int(str(value).upper().removeprefix("AS"))
        elif key == "dedicated":
            values[key] = bool(value)
        else:
            values[key] = None if value is None else str(value)
    for key in ("url", "host", "owner_org", "marking"):
        if not values[key]:
            raise ValueError(f"{key} is missing")
    values["source"] = values["source"] or ""
    return Case(**values)


def case_to_row(case: Case) -> list[object]:
    return [list(getattr(case, k)) if k in _LISTS else getattr(case, k) for k in COLUMNS]
