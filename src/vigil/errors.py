"""Vigil's exceptions, all in one place.

    VigilError                 anything Vigil reports to a user in one line
    ├── ConfigError            bad option, data file or environment setting
    ├── InputError             an input file cannot be read at all (not one bad row)
    ├── OutputError            an output file or folder cannot be written (nothing half-written is left)
    ├── InvalidRecord          one record is unusable; carries the reason for quarantine
    │   └── InvalidURL         a URL that cannot be canonicalised
    ├── StoreError             the evidence store failed (wraps the step name and its SQL)
    └── PeriodError            a period string that is not a quarter, year, month or range

Per-record functions raise ``InvalidRecord`` subclasses with a reason a person
understands; the batch goes on and the record goes to quarantine.
"""

from __future__ import annotations

from vigil.model import QuarantineReason


class VigilError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits non-zero."""


class ConfigError(VigilError):
    """A bad option, data file or environment setting."""


class InputError(VigilError):
    """An input file that cannot be read at all."""


class OutputError(VigilError):
    """An output file or folder that cannot be written; no partial output is left behind."""


class InvalidRecord(VigilError):
    """One unusable record; ``code`` (a :class:`QuarantineReason`) and ``reason`` go to quarantine.

    Outside ingest (a failed DNS look-up, a bad IP database row) the generic code is ``invalid``.
    """

    code: str = "invalid"

    def __init__(self, reason: str, *, code: QuarantineReason | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if code is not None:
            self.code = code.value


class InvalidURL(InvalidRecord):
    """A URL that cannot be canonicalised."""

    code = QuarantineReason.BAD_URL.value


class StoreError(VigilError):
    """A store step failed; names the step and keeps its SQL for ``--debug``."""

    def __init__(self, step: str, sql: str, cause: BaseException) -> None:
        super().__init__(f"store step {step!r} failed: {cause}")
        self.step = step
        self.sql = sql
        self.cause = cause


class PeriodError(VigilError):
    """A period string Vigil cannot read."""
