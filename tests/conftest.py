"""Shared test fixtures: outside vectors read in place, a passes/total scoreboard, and the
synthetic worlds and their pipelines, each built once per test run (tests/worlds.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from worlds import World, build_world, s4_load, world_key

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


@pytest.fixture(scope="session")
def synth_world(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., World]:
    """``synth_world(**knobs)``: the world ``generate_world(out, **knobs)`` writes, written once
    per test run for each (profile, seed, options). Read-only: copy it to change it."""
    built: dict[tuple[tuple[str, Any], ...], World] = {}

    def get(**knobs: Any) -> World:
        key = world_key(**knobs)
        if key not in built:
            built[key] = build_world(tmp_path_factory.mktemp("world") / "world", **knobs)
        return built[key]

    return get


@pytest.fixture(scope="session")
def s4_attributed(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The §4 world (seed 2012) through report ingest, capture ingest and attribution, on DuckDB.

    Read-only (open it with ``read_only=True``); a test that changes it works on a copy
    (``worlds.copy_duckdb``)."""
    from vigil.attribute.run import attribute_store
    from vigil.ingest.captures import CaptureIngest
    from vigil.ingest.reports import ReportIngest
    from vigil.store import Store

    world = synth_world(profile="s4").path
    db = tmp_path_factory.mktemp("s4-attributed") / "v.duckdb"
    with Store(db) as store:
        ReportIngest(store).run([world / "reports"])
        captured = CaptureIngest(store).run([world / "captures"])
        attribute_store(store, processors=[world / "processors.toml"])  # the world's own, as --processors
    return {"world": world, "db": db, "captured": captured}


@pytest.fixture(scope="session")
def s4_loaded(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The §4 world (seed 2012) with every input (reports, captures, purchases, estimates,
    search volumes) ingested, enriched and attributed through the command line on DuckDB;
    ``ingest`` holds what the ingest commands printed. Read-only, as above."""
    world = synth_world(profile="s4").path
    db = tmp_path_factory.mktemp("s4-loaded") / "v.duckdb"
    return {"world": world, "db": db, "ingest": s4_load("duckdb", world, db)}


@pytest.fixture(scope="session")
def noisy_attributed(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, Any]]:
    """``noisy_attributed(**knobs)``: the noisy world (``profile="noisy"`` and ``knobs``) with its
    captures ingested and attributed on DuckDB, built once per test run for each knobs.
    Returns ``{"world", "db", "captured"}``; read-only, as above."""
    from vigil.attribute.run import attribute_store
    from vigil.ingest.captures import CaptureIngest
    from vigil.store import Store

    built: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

    def get(**knobs: Any) -> dict[str, Any]:
        key = world_key(profile="noisy", **knobs)
        if key not in built:
            world = synth_world(profile="noisy", **knobs).path
            db = tmp_path_factory.mktemp("noisy-attributed") / "v.duckdb"
            with Store(db) as store:
                captured = CaptureIngest(store).run([world / "captures"])
                attribute_store(store, processors=[world / "processors.toml"])
            built[key] = {"world": world, "db": db, "captured": captured}
        return built[key]

    return get
