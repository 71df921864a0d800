"""Exchange rates to EUR: a dated table the user supplies (a CSV), never fetched at run time.

The file has a header and three columns: ``date`` (ISO 8601, ``2012-10-01``), ``currency``
(ISO 4217, three letters; ``XBT`` for bitcoin) and ``eur`` (how many euros one unit was worth
on that date, a positive number). An offer seen on day *d* converts at its currency's rate
of the latest date on or before *d*; with no such rate it stays *unconverted* (and is
counted as such). EUR is always 1. A bad file fails at once, naming the file, the line and
what is wrong.
"""

from __future__ import annotations

import bisect
import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from vigil.errors import ConfigError

__all__ = ["Rates", "load_rates"]

MAX_RATES = 1_000_000


@dataclass(frozen=True)
class Rates:
    """Dated rates per currency, ordered by date."""

    by_currency: dict[str, tuple[tuple[date, ...], tuple[Decimal, ...]]] = field(default_factory=dict)
    source: str | None = None

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == "EUR":
            return Decimal(1)
        found = self.by_currency.get(currency)
        if found is None:
            return None
        days, values = found
        i = bisect.bisect_right(days, day)
        return values[i - 1] if i else None

    def to_eur(self, amount: float, currency: str, day: date) -> float | None:
        """``amount`` in EUR at the rate in force on ``day``, to the cent (half up), or None."""
        rate = self.rate(currency, day)
        if rate is None:
            return None
        return float((Decimal(repr(amount)) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def load_rates(path: Path | None) -> Rates:
    """The rates in ``path`` (None: no rates, only EUR prices convert)."""
    if path is None:
        return Rates()
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the exchange-rate file: {exc.strerror}") from None
    rows: dict[str, dict[date, Decimal]] = {}
    with handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"date", "currency", "eur"} <= {f.strip().lower() for f in reader.fieldnames}:
            raise ConfigError(f"{path}, line 1: the header must name the columns date, currency, eur")
        for n, raw in enumerate(reader, start=2):
            if n > MAX_RATES:
                raise ConfigError(f"{path}, line {n}: more than {MAX_RATES:,} rates")
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
            try:
                day = date.fromisoformat(row.get("date", ""))
            except ValueError:
                raise ConfigError(f"{path}, line {n}: date {row.get('date', '')[:30]!r} is not an ISO date (2012-10-01)") from None
            currency = row.get("currency", "").upper()
            if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
                raise ConfigError(f"{path}, line {n}: currency {currency[:30]!r} is not a three-letter ISO 4217 code")
            try:
                value = Decimal(row.get("eur", ""))
            except InvalidOperation:
                value = Decimal(0)
            if not value.is_finite() or value <= 0:
                raise ConfigError(f"{path}, line {n}: eur {row.get('eur', '')[:30]!r} is not a positive number")
            if day in rows.setdefault(currency, {}) and rows[currency][day] != value:
                raise ConfigError(f"{path}, line {n}: a second, different {currency} rate for {day.isoformat()}")
            rows[currency][day] = value
    table = {c: (tuple(sorted(d)), tuple(d[k] for k in sorted(d))) for c, d in rows.items()}
    return Rates(table, str(path))
