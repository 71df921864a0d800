"""Per-page work, once per distinct page: skeleton (fingerprint) and key identifiers.

Both are pure functions of the page (and the fingerprint version), so their results are
cached by page SHA-256 in ``page_skeletons`` / ``page_identifiers`` and only new pages are
read. Pages are decompressed one at a time; nothing is rendered.
"""

from __future__ import annotations

import hashlib
import zlib
from importlib import resources
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from vigil.attribute.fingerprint import FINGERPRINT_VERSION, fingerprint
from vigil.attribute.identifiers import KINDS, extract_identifiers
from vigil.attribute.processors import Processors
from vigil.store import Store

_BATCH = 500


def analyse_pages(store: Store, *, processors: Sequence[Path] = (), progress: Callable[[int, int], None] | None = None) -> int:
    """Fingerprint and extract identifiers from every page not yet analysed; returns how many."""
    tick = progress or (lambda done, total: None)
    procs = Processors.load(processors)
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
    for start in range(0, total, _BATCH):
        chunk = todo[start : start + _BATCH]
        shas = [sha for sha, _ in chunk]
        blobs = dict(con.execute("SELECT page_sha256, html_zlib FROM pages WHERE page_sha256 IN (SELECT unnest(?))", [shas]).fetchall())
        skel: dict[str, list[object]] = {k: [] for k in ("page_sha256", "skeleton_id", "minhash", "features", "version")}
        ids: dict[str, list[object]] = {k: [] for k in ("page_sha256", "kind", "value", "where_found", "raw", "is_pivot")}
        for sha, url in chunk:
            html = zlib.decompress(blobs[sha])
            template = fingerprint(html)
            for key, value in zip(skel, (sha, template.template_id, template.signature_bytes(), template.features, FINGERPRINT_VERSION)):
                skel[key].append(value)
            for found in extract_identifiers(html, base_url=url, processors=procs):
                kind = KINDS.get(found.kind)
                for key, value in zip(ids, (sha, found.kind, found.value, found.where, found.raw, bool(kind and kind.pivot))):
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
    return total
