"""Vigil's environment settings, read and checked in one place.

Every ``VIGIL_*`` value that tunes a run (not a path: paths are checked where they are
opened) is parsed here, and :func:`check_environment` reads them all so that the command
line rejects a bad value in one line *before* any work starts, instead of a traceback half
way through. Each reader raises :class:`~vigil.errors.ConfigError` naming the variable, the
value and what would be accepted.
"""

from __future__ import annotations

import os
import re

from vigil.errors import ConfigError

#: DuckDB's memory cap when ``VIGIL_MEMORY_LIMIT`` is not set.
DEFAULT_MEMORY_LIMIT = "3GB"
MEMORY_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([KMGT]i?B|B|bytes)", re.IGNORECASE)
_SPARK_SIZE = re.compile(r"[0-9]+[kmgtp]?b?", re.IGNORECASE)
PROGRESS_MODES = ("auto", "log", "none")
ENGINES = ("duckdb", "spark")


def _get(name: str) -> str:
    return os.environ.get(name, "").strip()


def _count(name: str) -> int | None:
    raw = _get(name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number (say {name}=4, or unset it)") from None
    if value < 1:
        raise ConfigError(f"{name}={raw!r} must be at least 1 (or unset it)")
    return value


def threads() -> int | None:
    """``VIGIL_THREADS``: DuckDB's thread count, or None for DuckDB's default."""
    return _count("VIGIL_THREADS")


def workers() -> int | None:
    """``VIGIL_WORKERS``: worker processes for per-page work and capture parsing, or None for one per core."""
    return _count("VIGIL_WORKERS")


def worker_count() -> int:
    """Worker processes to use: ``VIGIL_WORKERS``, else one per core."""
    return workers() or os.cpu_count() or 1


def memory_limit() -> str | None:
    """``VIGIL_MEMORY_LIMIT``: a DuckDB memory size (``3GB``, ``2.5GiB``), ``duckdb`` for
    DuckDB's own default, or None when unset (the store then applies its default cap)."""
    raw = _get("VIGIL_MEMORY_LIMIT")
    if not raw:
        return None
    if raw.lower() == "duckdb":
        return "duckdb"
    if not MEMORY_SIZE.fullmatch(raw):
        raise ConfigError(f"VIGIL_MEMORY_LIMIT={raw!r} is not a memory size (say 3GB or 2.5GiB, or duckdb)")
    return raw


def progress_mode() -> str:
    """``VIGIL_PROGRESS``: ``auto`` (default), ``log`` or ``none``."""
    raw = _get("VIGIL_PROGRESS").lower() or "auto"
    if raw not in PROGRESS_MODES:
        raise ConfigError(f"VIGIL_PROGRESS={raw!r} must be one of {', '.join(PROGRESS_MODES)}")
    return raw


def spark_driver_memory() -> str:
    """``VIGIL_SPARK_DRIVER_MEMORY``: a Spark size such as ``4g`` (default)."""
    raw = _get("VIGIL_SPARK_DRIVER_MEMORY") or "4g"
    if not _SPARK_SIZE.fullmatch(raw):
        raise ConfigError(f"VIGIL_SPARK_DRIVER_MEMORY={raw!r} is not a Spark memory size (say 4g or 512m)")
    return raw


def check_environment() -> None:
    """Read every setting once, so that a bad value stops the run before it starts."""
    threads()
    workers()
    memory_limit()
    progress_mode()
    spark_driver_memory()


__all__ = [
    "DEFAULT_MEMORY_LIMIT", "ENGINES", "MEMORY_SIZE", "PROGRESS_MODES", "check_environment", "memory_limit",
    "progress_mode", "spark_driver_memory", "threads", "workers",
]  # fmt: skip
