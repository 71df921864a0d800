"""The hotline files under reports/: which file a report goes to, and how it is spelt there.

Each source sends several files, split by time, in its own habits: CSV with columns in
its own order (one with a UTF-8 byte-order mark and CRLF line ends, one with an extra
``analyst`` column, one without ``report_id``), gzip or not, JSON Lines with booleans or
strings. A writer keeps a bounded shuffle buffer (so rows are not in generation order),
tracks physical line numbers and records where each bad row landed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from vigil.model import REPORT_FIELDS
from vigil.synth import dirt
from vigil.synth.truth import Rec

_Y2012 = int(datetime(2012, 1, 1, tzinfo=UTC).timestamp())
_H2_2012 = int(datetime(2012, 7, 1, tzinfo=UTC).timestamp())
_Y2013 = int(datetime(2013, 1, 1, tzinfo=UTC).timestamp())
_FOREVER = 1 << 40

_B1 = ("source", "report_id", "reported_at", "url", "commercial", "site_type", "payment_types", "ip", "notes", "analyst")
_B2 = ("reported_at", "source", "url", "report_id", "ip", "site_type", "commercial", "payment_types", "analyst", "notes")
_X1 = ("url", "reported_at", "source", "ip", "commercial", "site_type", "payment_types", "notes")
_X2 = ("report_id", "url", "reported_at", "source", "ip", "commercial", "site_type", "payment_types", "notes")


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One input file: its source, the reports it holds (``ts < until``) and its habits."""

    name: str
    source: str
    until: int
    columns: tuple[str, ...] | None = None  # CSV header; None for JSON Lines
    bom: bool = False
    crlf: bool = False
    booleans: tuple[str, str] = ("true", "false")  # CSV spelling of commercial
    json_bools: float = 0.9  # JSON Lines: share of commercial values written as JSON booleans
    json_lists: float = 0.8  # JSON Lines: share of payment_types written as JSON lists
    json_actioned: bool = True  # JSON Lines: the source states `actioned`

    @property
    def jsonl(self) -> bool:
        return self.columns is None

    @property
    def actioned(self) -> bool:
        """Whether this file states `actioned` (a CSV column, or a JSON Lines habit)."""
        return self.json_actioned if self.columns is None else "actioned" in self.columns

    @property
    def has_ids(self) -> bool:
        return self.jsonl or "report_id" in (self.columns or ())


FILES: tuple[FileSpec, ...] = (
    FileSpec("hl-a-2011.csv", "HL-A", _Y2012, REPORT_FIELDS),
    FileSpec("hl-a-2012h1.csv", "HL-A", _H2_2012, REPORT_FIELDS),
    FileSpec("hl-a-2012h2.csv.gz", "HL-A", _Y2013, REPORT_FIELDS),
    FileSpec("hl-a-2013q1.csv", "HL-A", _FOREVER, REPORT_FIELDS),
    FileSpec("hl-b-2011.csv", "HL-B", _Y2012, _B1, crlf=True, booleans=("yes", "no")),
    FileSpec("hl-b-2012.csv", "HL-B", _Y2013, _B2, bom=True, crlf=True, booleans=("yes", "no")),
    FileSpec("hl-b-2013q1.csv.gz", "HL-B", _FOREVER, _B2, booleans=("yes", "no")),
    FileSpec("hl-c-2011.jsonl", "HL-C", _Y2012),
    FileSpec("hl-c-2012.jsonl.gz", "HL-C", _Y2013),
    FileSpec("hl-c-2013q1.jsonl", "HL-C", _FOREVER),
    FileSpec("partner-x-2011-2012.csv", "PARTNER-X", _Y2013, _X1, booleans=("1", "0")),
    FileSpec("partner-x-2013q1.csv.gz", "PARTNER-X", _FOREVER, _X2, booleans=("1", "0")),
    FileSpec("partner-y-2012.jsonl", "PARTNER-Y", _Y2013, json_bools=0.2, json_lists=0.2, json_actioned=False),
    FileSpec("partner-y-2013q1.jsonl.gz", "PARTNER-Y", _FOREVER, json_bools=0.2, json_lists=0.2, json_actioned=False),
)

_Y2011 = int(datetime(2011, 1, 1, tzinfo=UTC).timestamp())
_S4_A = ("report_id", "source", "reported_at", "url", "ip", "commercial", "site_type", "payment_types", "notes", "actioned")
#: The §4 world (June 2009 - December 2012): HL-A, HL-B and HL-C state `actioned`, partners never.
FILES_S4: tuple[FileSpec, ...] = (
    FileSpec("hl-a-2009-2010.csv", "HL-A", _Y2011, _S4_A),
    FileSpec("hl-a-2011.csv", "HL-A", _Y2012, _S4_A),
    FileSpec("hl-a-2012h1.csv", "HL-A", _H2_2012, _S4_A),
    FileSpec("hl-a-2012h2.csv.gz", "HL-A", _FOREVER, _S4_A),
    FileSpec("hl-b-2009-2011.csv", "HL-B", _Y2012, (*_B1, "actioned"), crlf=True, booleans=("yes", "no")),
    FileSpec("hl-b-2012.csv", "HL-B", _FOREVER, (*_B2, "actioned"), bom=True, crlf=True, booleans=("yes", "no")),
    FileSpec("hl-c-2009-2011.jsonl", "HL-C", _Y2012),
    FileSpec("hl-c-2012.jsonl.gz", "HL-C", _FOREVER),
    FileSpec("partner-x-2009-2012.csv", "PARTNER-X", _FOREVER, _X1, booleans=("1", "0")),
    FileSpec("partner-y-2012.jsonl", "PARTNER-Y", _FOREVER, json_bools=0.2, json_lists=0.2, json_actioned=False),
)

#: Sources that start sending later than the world's start (epoch seconds).
SOURCE_SINCE = {"PARTNER-Y": _Y2012}


class FileSet:
    """A world's report files, and which one a report goes to."""

    def __init__(self, specs: tuple[FileSpec, ...]) -> None:
        self.specs = specs
        self.by_source: dict[str, list[FileSpec]] = {}
        for spec in specs:
            self.by_source.setdefault(spec.source, []).append(spec)

    def route(self, source: str, ts: int) -> FileSpec:
        """The file a report of ``source`` at ``ts`` is in."""
        for spec in self.by_source[source]:
            if ts < spec.until:
                return spec
        raise ValueError(f"no file for {source} at {ts}")


S3_FILES = FileSet(FILES)
S4_FILES = FileSet(FILES_S4)


def route(source: str, ts: int) -> FileSpec:
    """The file a report of ``source`` at ``ts`` is in (the §3 world)."""
    return S3_FILES.route(source, ts)


@dataclass(slots=True)
class Row:
    """A report as it will be written: its fields, or one problem (``reason``)."""

    fields: dict[str, Any]
    reason: str | None = None
    raw: str | None = None  # a whole JSON Lines line (bad_json)
    extra: tuple[str, ...] = ()  # CSV fields beyond the header (bad_row)


_CSV_ALTERNATIVES = (("true", "false"), ("yes", "no"), ("1", "0"))


def prepare(rec: Rec, spec: FileSpec, url: str, reported_at: str, rng: random.Random) -> Row:
    """Spell ``rec`` the way ``spec``'s source writes its files."""
    if spec.jsonl:
        return Row(_json_fields(rec, spec, url, reported_at, rng))
    booleans = spec.booleans if rng.random() < 0.9 else rng.choice(_CSV_ALTERNATIVES)
    commercial = "" if rec.commercial is None else booleans[0] if rec.commercial else booleans[1]
    fields: dict[str, Any] = {
        "report_id": rec.report_id,
        "source": rec.source,
        "reported_at": reported_at,
        "url": url,
        "ip": rec.ip or "",
        "commercial": commercial,
        "site_type": rec.site_type or "",
        "payment_types": ";".join(rec.payment_types),
        "notes": rec.notes or "",
        "actioned": "" if rec.actioned is None or not spec.actioned else booleans[0] if rec.actioned else booleans[1],
    }
    if "analyst" in (spec.columns or ()):
        fields["analyst"] = rng.choice(("A-01", "A-02", "A-03", "A-07", "A-11", ""))
    return Row(fields)


def _json_fields(rec: Rec, spec: FileSpec, url: str, reported_at: str, rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {"report_id": rec.report_id, "source": rec.source, "reported_at": reported_at, "url": url}
    null_style = rng.random() < 0.4  # write absent values as null (else leave them out)
    if rec.ip or null_style:
        fields["ip"] = rec.ip
    if rec.commercial is not None:
        if rng.random() < spec.json_bools:
            fields["commercial"] = rec.commercial
        else:
            fields["commercial"] = rng.choice(("yes", "true")) if rec.commercial else rng.choice(("no", "false"))
    elif null_style:
        fields["commercial"] = None
    if rec.site_type or null_style:
        fields["site_type"] = rec.site_type
    if rec.payment_types:
        lists = rng.random() < spec.json_lists
        fields["payment_types"] = list(rec.payment_types) if lists else ";".join(rec.payment_types)
    if rec.notes:
        fields["notes"] = rec.notes
    if rec.actioned is not None and spec.actioned:
        fields["actioned"] = rec.actioned if rng.random() < spec.json_bools else ("true" if rec.actioned else "false")
    return fields


@dataclass
class Writer:
    """Streams one file: shuffle buffer, line numbers, where the bad rows went."""

    path: Path
    spec: FileSpec
    rng: random.Random
    buffer_size: int = 512
    rows: int = 0
    line: int = 0
    quarantine: list[tuple[int, str]] = field(default_factory=list)
    _buffer: list[Row] = field(default_factory=list)
    _pending: list[bytes] = field(default_factory=list)
    _pending_size: int = 0
    _handle: IO[bytes] | None = None
    _raw: IO[bytes] | None = None
    _text: io.StringIO = field(default_factory=io.StringIO)

    def __post_init__(self) -> None:
        self._raw = open(self.path, "wb")  # noqa: SIM115 - open for the writer's life, closed by close()
        if self.path.name.endswith(".gz"):
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=6)
            self._handle = cast(IO[bytes], gz)
        else:
            self._handle = self._raw
        terminator = "\r\n" if self.spec.crlf else "\n"
        self._csv = csv.writer(self._text, lineterminator=terminator)
        if self.spec.columns is not None:
            header = ",".join(self.spec.columns) + terminator
            self._emit(("\ufeff" if self.spec.bom else "") + header)

    def add(self, row: Row) -> None:
        if len(self._buffer) < self.buffer_size:
            self._buffer.append(row)
            return
        i = self.rng.randrange(self.buffer_size)
        out, self._buffer[i] = self._buffer[i], row
        self._write(out)

    def close(self) -> None:
        self.rng.shuffle(self._buffer)
        for row in self._buffer:
            self._write(row)
        self._buffer.clear()
        self._flush()
        assert self._handle is not None and self._raw is not None
        self._handle.close()
        if self._handle is not self._raw:
            self._raw.close()

    def _emit(self, text: str) -> None:
        data = text.encode("utf-8")
        if dirt.JUNK_MARKER in text:
            data = data.replace(dirt.JUNK_MARKER.encode("utf-8"), dirt.INVALID_UTF8)
        self.line += text.count("\n")
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size > 1 << 18:
            self._flush()

    def _flush(self) -> None:
        assert self._handle is not None
        self._handle.write(b"".join(self._pending))
        self._pending.clear()
        self._pending_size = 0

    def _write(self, row: Row) -> None:
        self.rows += 1
        if self.spec.jsonl and self.rng.random() < 0.004:
            self._emit("\n" if self.rng.random() < 0.5 else "   \n")  # blank lines are skipped by readers
        if row.reason is not None:
            self.quarantine.append((self.line + 1, row.reason))
        if self.spec.jsonl:
            self._emit((row.raw if row.raw is not None else json.dumps(row.fields, ensure_ascii=False)) + "\n")
            return
        columns = self.spec.columns or ()
        values = [str(row.fields.get(name) or "") for name in columns] + list(row.extra)
        self._text.seek(0)
        self._text.truncate()
        self._csv.writerow(values)
        self._emit(self._text.getvalue())
