"""Per-page work, once per distinct page: skeleton (fingerprint) and key identifiers.

Both are pure functions of the page (and the fingerprint version), so their results are
cached by page SHA-256 in ``page_skeletons`` / ``page_identifiers`` and only new pages are
read. Pages are decompressed one at a time; nothing is rendered. Big runs spread the pages
over worker processes (``VIGIL_WORKERS``, default one per core); results keep page order.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.attribute.fingerprint import FINGERPRINT_VERSION, fingerprint
from vigil.attribute.identifiers import KINDS, extract_identifiers
from vigil.attribute.processors import Processors
from vigil.store import Store

_BATCH = 500


def analyse_pages(store: Store, *, processors: Sequence[Path] = (), progress: Callable[[int, int], None] | None = None) -> int:
    """Fingerprint and extract identifiers from every page not yet analysed; returns how many."""
    tick = progress or (lambda done, total: None)
    con = store.con
    # Results depend on the page, the fingerprint version and the processor files: when the
    # last two change, everything cached is recomputed.
    digest = hashlib.sha256(f"fingerprint v{FINGERPRINT_VERSION}\n".encode())
    digest.update((resources.files("vigil.attribute") / "data" / "processors.toml").read_bytes())
    for path in processors:
        digest.update(Path(path).read_bytes())
    cached = con.execute("SELECT digest FROM page_cache WHERE name = 'pages'").fetchone()
    if not cached or cached[0] != digest.hexdigest():
        con.execute("DELETE FROM page_identifiers")
        con.execute("DELETE FROM page_skeletons")
        con.execute("INSERT OR REPLACE INTO page_cache VALUES ('pages', ?)", [digest.hexdigest()])
    todo = con.execute(
        "SELECT p.page_sha256, min(c.url) FROM pages p JOIN captures c ON c.page_sha256 = p.page_sha256 "
        "WHERE p.page_sha256 NOT IN (SELECT page_sha256 FROM page_skeletons) GROUP BY p.page_sha256 ORDER BY 1"
    ).fetchall()
    total = len(todo)
    workers = _workers(total)
    pool = None
    if workers > 1:
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=([str(p) for p in processors],))
    else:
        _start_worker([str(p) for p in processors])
    try:
        _analyse_all(con, todo, pool, tick)
    finally:
        if pool is not None:
            pool.shutdown()
    return total


def _workers(pages: int) -> int:
    """Worker processes for the per-page work: ``VIGIL_WORKERS``, else one per core."""
    wanted = int(os.environ.get("VIGIL_WORKERS") or os.cpu_count() or 1)
    if pages < 200 or wanted < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return wanted


_PROCESSORS: Processors | None = None


def _start_worker(processors: list[str]) -> None:
    global _PROCESSORS
    _PROCESSORS = Processors.load([Path(p) for p in processors])


def analyse_page(item: tuple[str, str, bytes]) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    """One page's skeleton row and identifier rows (pure; runs in a worker process)."""
    sha, url, blob = item
    html = zlib.decompress(blob)
    template = fingerprint(html)
    skeleton: tuple[object, ...] = (sha, template.template_id, template.signature_bytes(), template.features, FINGERPRINT_VERSION)
    found = extract_identifiers(html, base_url=url, processors=_PROCESSORS)
    ids: list[tuple[object, ...]] = [
        (sha, f.kind, f.value, f.where, f.raw, bool(KINDS.get(f.kind) and KINDS[f.kind].pivot)) for f in found
    ]
    return skeleton, ids


def _analyse_all(con: Any, todo: list[tuple[str, str]], pool: ProcessPoolExecutor | None,
                 tick: Callable[[int, int], None]) -> None:  # fmt: skip
    total = len(todo)
    for start in range(0, total, _BATCH):
        chunk = todo[start : start + _BATCH]
        shas = [sha for sha, _ in chunk]
        blobs = dict(con.execute("SELECT page_sha256, html_zlib FROM pages WHERE page_sha256 IN (SELECT unnest(?))", [shas]).fetchall())
        items = [(sha, url, blobs[sha]) for sha, url in chunk]
        results = list(pool.map(analyse_page, items, chunksize=8)) if pool else [analyse_page(i) for i in items]
        skel: dict[str, list[object]] = {k: [] for k in ("page_sha256", "skeleton_id", "minhash", "features", "version")}
        ids: dict[str, list[object]] = {k: [] for k in ("page_sha256", "kind", "value", "where_found", "raw", "is_pivot")}
        for skeleton, found in results:
            for key, value in zip(skel, skeleton):
                skel[key].append(value)
            for row in found:
                for key, value in zip(ids, row):
                    ids[key].append(value)
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_skel", pa.table({**skel, "minhash": pa.array(skel["minhash"], pa.binary())}))
            con.execute("INSERT INTO page_skeletons SELECT * FROM _skel")
            con.register("_ids", pa.table(ids, schema=pa.schema([(k, pa.bool_() if k == "is_pivot" else pa.string()) for k in ids])))
            con.execute("INSERT INTO page_identifiers SELECT * FROM _ids")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_skel")
            con.unregister("_ids")
        tick(min(start + _BATCH, total), total)
