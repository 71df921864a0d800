"""Shared test fixtures: outside vectors read in place, and a passes/total scoreboard."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

#: ../shared/vectors from the project root (CI has a copy of shared/ beside the clone).
VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"

_SCORES: list[tuple[str, int, int]] = []


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The outside test vectors; tests using them skip, saying why, when absent."""
    if not VECTORS.is_dir():
        pytest.skip(f"outside test vectors not found at {VECTORS} (shared/ is not beside the clone)")
    return VECTORS


@pytest.fixture(scope="session")
def vector_score() -> Callable[[str, int, int], None]:
    """Record ``passes/total`` for an outside suite; printed at the end of the run."""

    def record(name: str, passed: int, total: int) -> None:
        _SCORES.append((name, passed, total))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _SCORES:
        return
    terminalreporter.section("outside test vectors (passes/total)")
    for name, passed, total in sorted(_SCORES):
        terminalreporter.write_line(f"{name}: {passed}/{total}")


@pytest.fixture(scope="session")
def marked_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A small world whose sources carry TLP markings and owners, with accounts (tests/webworld.py)."""
    from webworld import build_marked_world

    return build_marked_world(tmp_path_factory.mktemp("marked"))
