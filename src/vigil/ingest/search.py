"""Search-volume ingest: aggregated ``period, country, term, volume`` exports → ``search_volumes``.

A period is a month (``2012-10``), a quarter (``2012Q4``) or a year (``2012``); it is stored
as its normal label with its first day as ``period_start``. A country is an ISO 3166-1
alpha-2 code. The natural key is ``(period, country, term)``: a key already stored counts
as a duplicate, so re-ingesting changes nothing. Batches, checkpoints and quarantine are
those of :class:`vigil.ingest.rows.RowIngest`.

Quarantine codes: missing_field, field_too_long, bad_period, bad_country, bad_value (plus
bad_row, bad_json, truncated_file and bad_file from the readers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.errors import InvalidRecord, PeriodError
from vigil.ingest.checkpoint import IngestSummary
from vigil.ingest.estimates import field_number, field_text
from vigil.ingest.rows import DEFAULT_BATCH, RowIngest, RowSpec
from vigil.model import QuarantineReason
from vigil.periods import Period
from vigil.store.handle import StoreHandle

SEARCH_FIELDS = ("period", "country", "term", "volume")
MAX_TERM_CHARS = 200
_COUNTRY = re.compile(r"[A-Z]{2}")


def parse_period(text: str) -> Period:
    """A month, quarter or year (not a date range); raises InvalidRecord."""
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        raise InvalidRecord(str(exc), code=QuarantineReason.BAD_PERIOD) from None
    if period.kind == "range":
        raise InvalidRecord(f"period {text!r}: use a month (2012-10), quarter (2012Q4) or year (2012)", code=QuarantineReason.BAD_PERIOD)
    return period


def parse_search_volume(fields: dict[str, Any]) -> tuple[str, date, str, str, float]:
    """One export row → ``(period, period_start, country, term, volume)``; raises InvalidRecord."""
    period = parse_period(field_text(fields, "period", limit=40))
    country = field_text(fields, "country", limit=40).upper()
    if not _COUNTRY.fullmatch(country):
        raise InvalidRecord(f"country {country[:40]!r} is not an ISO 3166-1 alpha-2 code (e.g. BR)", code=QuarantineReason.BAD_COUNTRY)
    term = field_text(fields, "term", limit=MAX_TERM_CHARS)
    volume, percent = field_number(fields, "volume")
    if percent or volume < 0:
        raise InvalidRecord("volume must be a number of at least 0", code=QuarantineReason.BAD_VALUE)
    return period.label, period.start, country, term, volume


SEARCH_VOLUMES = RowSpec(
    kind="search_volumes",
    quarantine_kind="search_volume",
    table="search_volumes",
    schema=pa.schema([("period", pa.string()), ("period_start", pa.date32()), ("country", pa.string()),
                      ("term", pa.string()), ("volume", pa.float64())]),  # fmt: skip
    key=("period", "country", "term"),
    required=SEARCH_FIELDS,
    parse=parse_search_volume,
)


def ingest_search_volumes(store: StoreHandle, paths: Sequence[Path], *, batch_size: int = DEFAULT_BATCH) -> IngestSummary:
    """Ingest search-volume exports (CSV/TSV/JSONL, plain or gzip) into ``search_volumes``."""
    return RowIngest(store, SEARCH_VOLUMES, batch_size=batch_size).run(paths)
