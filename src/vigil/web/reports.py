"""The report library: assessments generated for one account, from what it may see, to download.

A report is written by :func:`vigil.publish.report.render_report` on a store scoped to the
account that asked (so it holds only what that account may see) into a folder of that
account's own beside the store; nobody else can list or download it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from vigil.access.policy import Actor
from vigil.access.scope import ScopedStore
from vigil.periods import Period
from vigil.publish.report import render_report
from vigil.store.handle import DuckStoreHandle, StoreHandle

FORMATS: Final = ("html", "md")
_NAME: Final = re.compile(r"[A-Za-z0-9._-]{1,120}(/[A-Za-z0-9._-]{1,120})?")


def library_dir(store: StoreHandle, actor: Actor) -> Path:
    return Path(str(store.path) + ".reports") / actor.user_id


def library(store: StoreHandle, actor: Actor) -> list[dict[str, Any]]:
    """The account's generated files, newest first (``name`` is relative to its folder)."""
    root = library_dir(store, actor)
    if not root.is_dir():
        return []
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".html", ".md")]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [{"name": str(p.relative_to(root)), "bytes": p.stat().st_size} for p in files[:200]]


def library_file(store: StoreHandle, actor: Actor, name: str) -> Path | None:
    """The file ``name`` of the account's library, or ``None`` (also for any path that leaves it)."""
    if not _NAME.fullmatch(name):
        return None
    root = library_dir(store, actor).resolve()
    path = (root / name).resolve()
    return path if path.is_file() and root in path.parents else None


def generate(store: DuckStoreHandle, actor: Actor, period: Period, *, stamp: str, processors: Any = None) -> dict[str, str]:
    """Write the assessment for ``period`` from what ``actor`` may see; returns format → file name.

    ``processors``: as for :func:`vigil.publish.report.render_report`."""
    out = library_dir(store, actor) / f"{period}-{stamp}"
    view: Any = ScopedStore(store.con, actor, path=store.path)  # store-like: con, engine, path
    try:
        written = render_report(view, period, out=out, formats=FORMATS, processors=processors)
    finally:
        view.close()
    root = library_dir(store, actor)
    return {kind: str(Path(path).relative_to(root)) for kind, path in written.items() if kind in FORMATS}
