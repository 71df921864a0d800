"""Synthetic worlds and the pipelines over them, built once per test run (tests/conftest.py).

Building the default (§3) and the §4 worlds and running a pipeline over them took most of the
suite's time when every module built its own. The session fixtures in conftest.py call these
helpers once per (profile, seed, options) and per pipeline; what they return is read-only to
tests: a test that changes a store works on a copy (``copy_duckdb``).
"""

from __future__ import annotations

import inspect
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from vigil.cli import app
from vigil.synth import WorldSummary, generate_world

#: generate_world's own defaults, so that ``seed=2012`` and no seed name one world.
_DEFAULTS = {name: p.default for name, p in inspect.signature(generate_world).parameters.items()
             if p.kind is p.KEYWORD_ONLY and name != "progress"}  # fmt: skip


@dataclass(frozen=True)
class World:
    """A written world: its directory, the generator's summary and its progress calls."""

    path: Path
    summary: WorldSummary
    progress: tuple[int, ...]


def world_key(**knobs: Any) -> tuple[tuple[str, Any], ...]:
    unknown = set(knobs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"generate_world takes no {sorted(unknown)}")
    return tuple(sorted({**_DEFAULTS, **knobs}.items()))


def build_world(out: Path, **knobs: Any) -> World:
    calls: list[int] = []
    summary = generate_world(out, progress=calls.append, **knobs)
    return World(out, summary, tuple(calls))


def copy_duckdb(src: Path, dst: Path) -> Path:
    """A private copy of a shared DuckDB store (and its WAL, if one was left)."""
    shutil.copy(src, dst)
    wal = Path(str(src) + ".wal")
    if wal.exists():
        shutil.copy(wal, str(dst) + ".wal")
    return dst


def vigil_cli(engine: str, where: Path, *args: str) -> str:
    """Run one command on an engine; the store is ``where`` (a DuckDB file or a data directory)."""
    if engine == "spark":
        argv = ["--engine", "spark", "--data", str(where), *args]
    else:
        argv = ["--engine", "duckdb", *args, "--db", str(where)]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, f"{engine}: vigil {' '.join(args)} failed:\n{result.output}"
    return result.stdout


def cli_summary(text: str) -> dict[str, Any]:
    got = json.loads(text)
    got.pop("batch_id")
    return dict(got)


def s4_load(engine: str, world: Path, where: Path) -> dict[str, Any]:
    """The §4 world's raw inputs through the command line: every ingest, enrich, attribute.

    Returns the ingest summaries (JSON, less the batch ID) that the commands printed."""
    got: dict[str, Any] = {
        "reports": cli_summary(vigil_cli(engine, where, "ingest", "reports", str(world / "reports"), "--json")),
        "captures": cli_summary(vigil_cli(engine, where, "ingest", "captures", str(world / "captures"), "--json")),
    }
    for kind, path in (("purchases", world / "purchases"), ("estimates", world / "estimates"),
                       ("search", world / "search" / "volumes.csv")):  # fmt: skip
        got[f"ingest {kind}"] = cli_summary(vigil_cli(engine, where, "ingest", kind, str(path), "--json"))
    vigil_cli(engine, where, "enrich", "--ip-db", str(world / "iptoasn.tsv"), "--shared-services", str(world / "shared_services.csv"))
    vigil_cli(engine, where, "attribute", "--processors", str(world / "processors.toml"))  # the world's own, given explicitly
    return got
