"""Reading a generated Markdown report back, for tests that check its figures."""

from __future__ import annotations

import re


def sections(markdown: str) -> dict[str, str]:
    """Markdown text by ``## `` heading (title text)."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def tables(text: str) -> dict[str, list[list[str]]]:
    """Markdown tables by their ``### `` title: rows of cells, header first."""
    found: dict[str, list[list[str]]] = {}
    for block in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        rows = [
            [c.strip() for c in line.strip().strip("|").split(" | ")]
            for line in body.splitlines()
            if line.startswith("|")
        ]
        found[title.strip()] = [rows[0]] + rows[2:]
    return found


def pct(share: float) -> str:
    """A share as the report writes it."""
    return f"{share * 100:.1f}%"
