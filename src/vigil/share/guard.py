"""Partner files are hostile input: bounded reading of JSON bundles and events.

A file is refused whole (one quarantine row, nothing stored) when it is bigger than
:data:`MAX_FILE_BYTES`, is not UTF-8 JSON, or nests deeper than :data:`MAX_DEPTH`; an
object inside it is refused alone when it holds a string longer than
:data:`MAX_STRING_CHARS` or more than :data:`MAX_ITEMS` values. Nothing here recurses on
the input: a 100,000-deep nesting costs a bounded scan, never the interpreter's stack
(CPython's parser raises RecursionError, and the depth check after it is iterative).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from vigil.errors import InvalidRecord
from vigil.model import QuarantineReason

MAX_FILE_BYTES: Final = 256 * 1024 * 1024
MAX_DEPTH: Final = 32
MAX_STRING_CHARS: Final = 65_536
MAX_ITEMS: Final = 100_000


def nesting_depth(value: Any, *, limit: int = MAX_DEPTH) -> int:
    """The deepest list/object nesting of a parsed value, stopping once it passes ``limit`` (iterative)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((sub, depth + 1) for sub in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The parsed file, or :class:`InvalidRecord` with a code and a reason a person understands."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidRecord(f"cannot read: {exc.strerror or exc}", code=QuarantineReason.UNREADABLE) from None
    if size > max_bytes:
        raise InvalidRecord(f"file of {size:,} bytes is larger than the {max_bytes:,}-byte limit", code=QuarantineReason.TOO_LARGE)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"not UTF-8 at byte {exc.start}", code=QuarantineReason.BAD_ENCODING) from None
    return parse_json(text)


def parse_json(text: str) -> Any:
    """Parse bounded JSON text. CPython's parser stops a deep nesting with RecursionError long
    before the stack is at risk; anything deeper than :data:`MAX_DEPTH` is refused after."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", code=QuarantineReason.BAD_JSON) from None
    except RecursionError:
        raise InvalidRecord(f"JSON nested deeper than {MAX_DEPTH} levels", code=QuarantineReason.TOO_DEEP) from None
    if nesting_depth(value) > MAX_DEPTH:
        raise InvalidRecord(f"JSON nested deeper than {MAX_DEPTH} levels", code=QuarantineReason.TOO_DEEP)
    return value


def check_bounds(value: Any) -> None:
    """Refuse one object holding an over-long string or too many values (iterative walk)."""
    stack = [value]
    items = 0
    while stack:
        item = stack.pop()
        items += 1
        if items > MAX_ITEMS:
            raise InvalidRecord(f"object holds more than {MAX_ITEMS:,} values", code=QuarantineReason.TOO_LARGE)
        if isinstance(item, str):
            if len(item) > MAX_STRING_CHARS:
                raise InvalidRecord(f"string of {len(item):,} characters is longer than {MAX_STRING_CHARS:,}",
                                    code=QuarantineReason.STRING_TOO_LONG)  # fmt: skip
        elif isinstance(item, dict):
            for key, sub in item.items():
                if len(key) > 256:
                    raise InvalidRecord("property name longer than 256 characters", code=QuarantineReason.STRING_TOO_LONG)
                stack.append(sub)
        elif isinstance(item, list):
            stack.extend(item)
