"""Analyst commentary for the report: a Markdown file with ``## <section-id>`` headings.

The text under each heading is kept as plain paragraphs (blank-line separated; lines
joined). It is never rendered as Markdown or HTML: the report templates escape it, and
show it apart from the generated text as the analyst's own words.
"""

from __future__ import annotations

import re
from pathlib import Path

from vigil.errors import ConfigError

#: Section ids, in report order, that commentary may address (docs/report.md).
SECTION_IDS = (
    "summary",
    "recommendations",
    "market",
    "channels",
    "hosting",
    "brands",
    "payments",
    "emerging",
    "estimates",
    "takedown",
    "annex",
    "methods",
)

_HEADING = re.compile(r"##\s+([A-Za-z0-9_-]+)\s*")
_MAX_BYTES = 1_000_000


def read_commentary(path: Path) -> dict[str, list[str]]:
    """Section id → paragraphs. Raises ConfigError for an unknown id or an unreadable file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read commentary {path}: {exc.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise ConfigError(f"commentary {path} is larger than {_MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"commentary {path} is not UTF-8: {exc}") from None
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if m := _HEADING.fullmatch(line.strip()):
            section = m[1].lower()
            if section not in SECTION_IDS:
                raise ConfigError(
                    f"commentary {path}, line {number}: unknown section {section!r}; use one of {', '.join(SECTION_IDS)}"
                )
            current = sections.setdefault(section, [[]])
            continue
        if current is None:
            continue  # text before the first heading (a title, say) belongs to no section
        if line.strip():
            current[-1].append(line.strip())
        elif current[-1]:
            current.append([])
    return {
        sid: [" ".join(p) for p in paras if p]
        for sid, paras in sections.items()
        if any(paras)
    }
