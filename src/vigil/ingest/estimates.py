"""Expert-estimate ingest (§2.1): ``question, respondent, value, unit`` rows → ``expert_estimates``.

Rows go through :class:`vigil.ingest.rows.RowIngest`, the batch loop the tabular inputs
share (checkpoints, one transaction per batch, duplicates by natural key).

Quarantine codes: missing_field, field_too_long, bad_value, bad_unit (plus bad_row,
bad_json, truncated_file and bad_file from the readers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.errors import InvalidRecord
from vigil.ingest.checkpoint import IngestSummary
from vigil.ingest.rows import DEFAULT_BATCH, RowIngest, RowSpec
from vigil.model import QuarantineReason
from vigil.store.handle import StoreHandle

MAX_TEXT_CHARS = 500
_SPACE = re.compile(r"\s+")
_PERCENT_UNITS = {"%", "percent", "pct", "per cent"}


def field_text(fields: dict[str, Any], name: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    """A required text field, trimmed with inner whitespace collapsed; raises InvalidRecord."""
    value = fields.get(name)
    text = "" if value is None or isinstance(value, (dict, list)) else _SPACE.sub(" ", str(value)).strip()
    if not text:
        raise InvalidRecord(f"the {name} field is missing or empty", code=QuarantineReason.MISSING_FIELD)
    if len(text) > limit:
        raise InvalidRecord(f"the {name} field has {len(text)} characters (at most {limit})", code=QuarantineReason.FIELD_TOO_LONG)
    return text


def field_number(fields: dict[str, Any], name: str) -> tuple[float, bool]:
    """A required finite number, and whether it was written with a trailing ``%``."""
    value = fields.get(name)
    percent = False
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise InvalidRecord(f"the {name} field is missing or not a number", code=QuarantineReason.BAD_VALUE)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            percent, text = True, text[:-1].strip()
        if not text:
            raise InvalidRecord(f"the {name} field is missing or empty", code=QuarantineReason.MISSING_FIELD)
        try:
            number = float(text)
        except ValueError:
            raise InvalidRecord(f"{name} {value[:40]!r} is not a number", code=QuarantineReason.BAD_VALUE) from None
    else:
        number = float(value)
    if not math.isfinite(number):
        raise InvalidRecord(f"{name} must be a finite number", code=QuarantineReason.BAD_VALUE)
    return number, percent


# ---------------------------------------------------------------- expert estimates

ESTIMATE_FIELDS = ("question", "respondent", "value", "unit")


def parse_estimate(fields: dict[str, Any]) -> tuple[str, str, float, str]:
    """One answer → ``(question, respondent, value, unit)``; ``%`` units read as ``percent``
    (0–100); a value written ``7.5%`` may leave the unit empty. Raises InvalidRecord."""
    question = field_text(fields, "question")
    respondent = field_text(fields, "respondent")
    value, percent = field_number(fields, "value")
    raw_unit = fields.get("unit")
    unit = "" if raw_unit is None else _SPACE.sub(" ", str(raw_unit)).strip().lower()
    if unit in _PERCENT_UNITS or (percent and not unit):
        unit = "percent"
    if not unit:
        raise InvalidRecord("the unit field is missing or empty (e.g. percent)", code=QuarantineReason.MISSING_FIELD)
    if len(unit) > 40:
        raise InvalidRecord("the unit field is longer than 40 characters", code=QuarantineReason.FIELD_TOO_LONG)
    if percent and unit != "percent":
        raise InvalidRecord(f"value is written as a percentage but the unit is {unit!r}", code=QuarantineReason.BAD_UNIT)
    if unit == "percent" and not 0 <= value <= 100:
        raise InvalidRecord(f"a percentage must be between 0 and 100, not {value:g}", code=QuarantineReason.BAD_VALUE)
    return question, respondent, value, unit


ESTIMATES = RowSpec(
    kind="expert_estimates",
    quarantine_kind="expert_estimate",
    table="expert_estimates",
    schema=pa.schema([("question", pa.string()), ("respondent", pa.string()), ("value", pa.float64()), ("unit", pa.string())]),
    key=("question", "respondent"),
    required=ESTIMATE_FIELDS,
    parse=parse_estimate,
)


def ingest_estimates(store: StoreHandle, paths: Sequence[Path], *, batch_size: int = DEFAULT_BATCH) -> IngestSummary:
    """Ingest expert-estimate files (CSV/TSV/JSONL, plain or gzip) into ``expert_estimates``."""
    return RowIngest(store, ESTIMATES, batch_size=batch_size).run(paths)
