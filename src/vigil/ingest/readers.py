"""Streaming record readers for CSV and JSON Lines, plain or gzip, UTF-8 with or without BOM.

A reader yields :class:`RawRecord` one at a time, so memory stays flat whatever the file
size. Each record carries its line number (CSV: the physical line on which the record
starts, header = line 1; JSON Lines: the line) and either its fields or the problem that
makes it unreadable. Invalid UTF-8 is kept as surrogate escapes so validation can name the
record as binary junk instead of failing the whole file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from vigil.errors import InputError, InvalidRecord
from vigil.model import QuarantineReason

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_GZIP_MAGIC = b"\x1f\x8b"
EXCERPT_CHARS = 200


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: fields, or the problem that makes it unreadable.

    ``raw`` is the record's text (CSV fields joined, or the JSON line); :func:`excerpt`
    makes a safe excerpt of it only when the record is quarantined.
    """

    line: int
    fields: dict[str, Any] | None
    problem: InvalidRecord | None
    raw: str


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def excerpt(text: str) -> str:
    """A short, printable, escaped excerpt of hostile input (never rendered as markup)."""
    short = text[:EXCERPT_CHARS]
    safe = _UNPRINTABLE.sub(lambda m: m[0].encode("utf-8", "surrogateescape").decode("latin-1").encode("unicode_escape").decode("ascii"), short)
    return safe + ("…" if len(text) > EXCERPT_CHARS else "")


def detect_format(path: Path) -> str:
    """``csv``, ``tsv`` or ``jsonl`` from the name (ignoring ``.gz``), else by sniffing."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, kind in ((".csv", "csv"), (".tsv", "tsv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl")):
        if name.endswith(suffix):
            return kind
    with open_binary(path) as raw:
        head = raw.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonl" if head.startswith(b"{") else "csv"


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading, transparently un-gzipping by magic number."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}") from None
    magic = handle.read(2)
    handle.seek(0)
    if magic == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


def _text(raw: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def _header(names: list[str]) -> list[str]:
    return [n.strip().lstrip("\ufeff").strip().lower() for n in names]


def iter_csv(raw: IO[bytes], path: Path, *, delimiter: str = ",", required: Sequence[str] = ("url",)) -> Iterator[RawRecord]:
    """CSV records; the header names the fields (unknown columns are kept and ignored later)
    and must hold the ``required`` ones."""
    reader = csv.reader(_text(raw), delimiter=delimiter)
    try:
        header = _header(next(reader))
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{path}, line 1: cannot read the header: {exc}") from None
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path}, line 1: the header has no {', '.join(repr(m) for m in missing)} column (found: {', '.join(header)})"
        )
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield RawRecord(start, None, InvalidRecord(f"unreadable CSV: {exc}", code=QuarantineReason.BAD_ROW), "")
            continue
        end = reader.line_num
        if not row or row == [""]:
            continue
        if len(row) > len(header):
            problem = InvalidRecord(f"row has {len(row)} fields but the header has {len(header)}", code=QuarantineReason.BAD_ROW)
            yield RawRecord(start, None, problem, delimiter.join(row))
            continue
        yield RawRecord(start, dict(zip(header, row)), None, delimiter.join(row))


def iter_jsonl(raw: IO[bytes], path: Path) -> Iterator[RawRecord]:
    """JSON Lines records: one object per line; blank lines are skipped."""
    for number, line in enumerate(_text(raw), start=1):
        if not line.strip():
            continue
        text = line.rstrip("\r\n")
        try:
            value = json.loads(line)
        except ValueError as exc:
            yield RawRecord(number, None, InvalidRecord(f"not valid JSON: {exc}", code=QuarantineReason.BAD_JSON), text)
            continue
        if not isinstance(value, dict):
            problem = InvalidRecord(f"a JSON {type(value).__name__} where an object was expected", code=QuarantineReason.BAD_JSON)
            yield RawRecord(number, None, problem, text)
            continue
        yield RawRecord(number, {str(k).strip().lower(): v for k, v in value.items()}, None, text)


@dataclass
class RecordSource:
    """An opened input file: its records, and how far into the file we are (for progress)."""

    path: Path
    kind: str
    records: Iterator[RawRecord]
    position: Callable[[], int]
    handle: IO[bytes]

    def close(self) -> None:
        self.handle.close()


def open_records(path: Path, *, handle: IO[bytes] | None = None, required: Sequence[str] = ("url",)) -> RecordSource:
    """Open ``path`` (or read the already-open ``handle``, named ``path`` in messages) and return
    its records; truncated gzip surfaces as a final problem record."""
    if handle is not None:
        name = path.name.lower()
        kind = "jsonl" if name.endswith((".jsonl", ".ndjson", ".json", ".jsonl.gz")) else "csv"
        magic = handle.peek(2)[:2] if hasattr(handle, "peek") else b""
        raw: IO[bytes] = gzip.GzipFile(fileobj=handle, mode="rb") if magic == _GZIP_MAGIC else handle  # type: ignore[assignment]
    else:
        kind = detect_format(path)
        raw = open_binary(path)
    outer = raw.fileobj if isinstance(raw, gzip.GzipFile) else raw

    def position() -> int:
        try:
            return int(outer.tell())
        except (OSError, ValueError):
            return 0

    if kind == "jsonl":
        inner = iter_jsonl(raw, path)
    else:
        inner = iter_csv(raw, path, delimiter="\t" if kind == "tsv" else ",", required=required)
    return RecordSource(path, kind, _guard(inner, path), position, raw)


def _guard(records: Iterator[RawRecord], path: Path) -> Iterator[RawRecord]:
    """Turn a truncated or corrupt compressed stream into one last problem record."""
    last = 0
    try:
        for record in records:
            last = record.line
            yield record
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        reason = f"the file ends early or is corrupt after line {last}: {exc or 'unexpected end of data'}"
        yield RawRecord(last + 1, None, InvalidRecord(reason, code=QuarantineReason.TRUNCATED_FILE), "")
