"""Per-page work, once per distinct page: skeleton (fingerprint) and key identifiers.

Both are pure functions of the page (given the code and the processor files), so their
results are cached by page SHA-256 in ``page_skeletons`` / ``page_identifiers`` and only new
pages are read; the cache's key covers the code (:func:`code_digest`:
every identifier kind's declaration and source, the scan and fingerprint modules) and the
processor files, and the cache is emptied when the key changes. Pages are decompressed one at a time; nothing is rendered. Big runs spread the pages
over worker processes (``VIGIL_WORKERS``, default one per core) on DuckDB, over Spark's
Python workers on Spark: the same function either way (:class:`AnalysePages`).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Final

import pyarrow as pa

from vigil import settings
from vigil.attribute.fingerprint import FINGERPRINT_VERSION, fingerprint
from vigil.attribute.identifiers import KINDS, IdentifierKind, extract_identifiers
from vigil.attribute.processors import Processors
from vigil.store.handle import StoreHandle
from vigil.store.stages import stage

_BATCH = 500

#: Modules whose code decides what the per-page work finds, besides each kind's own module.
_PAGE_CODE: Final = (
    "vigil.attribute.pages", "vigil.attribute.identifiers", "vigil.attribute.kindspec", "vigil.attribute.pagescan",
    "vigil.attribute.textscan",
    "vigil.attribute.markup", "vigil.attribute.tokens", "vigil.attribute.crypto", "vigil.attribute.processors",
    "vigil.attribute.fingerprint", "vigil.attribute.minhash", "vigil.enrich.accounts", "vigil.urls",
)  # fmt: skip
_PAGE_LIBRARIES: Final = ("lxml", "phonenumbers", "schwifty", "idna")


def code_digest(kinds: Iterable[IdentifierKind] | None = None) -> str:
    """A digest of everything besides the page that per-page results depend on: each kind's
    declaration (name, pivot, version) and the source of its module and finders, the scan,
    parse and fingerprint modules, and the versions of the parsing libraries. The page cache
    is keyed by it, so a changed kind or finder can never leave stale identifiers behind."""
    digest = hashlib.sha256()
    modules = set(_PAGE_CODE)
    for kind in KINDS.values() if kinds is None else kinds:
        digest.update(f"kind {kind.name} pivot={kind.pivot} version={kind.version}\n".encode())
        modules.add(type(kind).__module__)
        for finder in kind.finders:
            find = getattr(finder, "find", None)
            modules.add(getattr(find, "__module__", None) or type(finder).__module__)
    for name in sorted(modules):
        module = sys.modules.get(name) or importlib.import_module(name)
        try:
            source = Path(inspect.getfile(module)).read_bytes()
        except (OSError, TypeError):
            source = b"<no source>"
        digest.update(f"module {name}\n".encode() + source)
    # The compiled skeleton walk gives the Python walk's features (tests/test_fingerprint_cwalk.py),
    # but its source is covered too: a changed walk must never leave cached skeletons behind.
    walk_c = Path(__file__).with_name("_walk.c")
    digest.update(b"module vigil.attribute._walk\n" + (walk_c.read_bytes() if walk_c.is_file() else b"<no source>"))
    for library in _PAGE_LIBRARIES:
        try:
            digest.update(f"library {library} {metadata.version(library)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"library {library} absent\n".encode())
    return digest.hexdigest()


_WORK_SCHEMA = pa.schema([
    ("page_sha256", pa.string()), ("skeleton_id", pa.string()), ("minhash", pa.binary()), ("features", pa.int32()),
    ("version", pa.int32()), ("kind", pa.string()), ("value", pa.string()), ("where_found", pa.string()),
    ("raw", pa.string()), ("is_pivot", pa.bool_()),
])  # fmt: skip


@stage(reads=("captures", "pages", "page_skeletons", "page_cache"), writes=("_page_urls", "_page_work"))
def analyse_pages(store: StoreHandle, *, processors: Sequence[Path] = (), progress: Callable[[int, int], None] | None = None) -> int:
    """Fingerprint and extract identifiers from every page not yet analysed; returns how many."""
    tick = progress or (lambda done, total: None)
    engine = store.engine
    # Results depend on the page, the code (the identifier kinds, their finders, the scan and
    # the fingerprint) and the processor files: when either of the last two changes,
    # everything cached is recomputed, so a changed kind never leaves stale identifiers.
    digest = hashlib.sha256(f"fingerprint v{FINGERPRINT_VERSION}\ncode {code_digest()}\n".encode())
    digest.update((resources.files("vigil.attribute") / "data" / "processors.toml").read_bytes())
    for path in processors:
        digest.update(Path(path).read_bytes())
    Processors.load(list(processors))  # a bad processor file fails here, once, with its name
    cached = engine.rows("page cache", "SELECT digest FROM page_cache WHERE name = 'pages'")
    if not cached or cached[0]["digest"] != digest.hexdigest():
        engine.replace("page_identifiers", "SELECT * FROM page_identifiers WHERE false")
        engine.replace("page_skeletons", "SELECT * FROM page_skeletons WHERE false")
        engine.replace("page_cache", "SELECT name, digest FROM page_cache WHERE name <> 'pages' "
                       "UNION ALL SELECT 'pages', $digest", {"digest": digest.hexdigest()})  # fmt: skip
    # A page's base URL for relative links: the smallest URL it was captured at.
    engine.materialise("_page_urls", "SELECT page_sha256, min(url) AS url FROM captures GROUP BY page_sha256")
    todo = ("FROM pages p JOIN _page_urls u ON u.page_sha256 = p.page_sha256 "
            "WHERE p.page_sha256 NOT IN (SELECT page_sha256 FROM page_skeletons)")  # fmt: skip
    total = int(engine.scalar("pages to analyse", f"SELECT count(*) {todo}"))
    done = 0
    tick(0, total)

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        tick(done, total)

    engine.map_batches("_page_work", f"SELECT p.page_sha256, u.url, p.html_zlib {todo}", AnalysePages(tuple(str(p) for p in processors)), _WORK_SCHEMA,
        batch_rows=_BATCH, workers=_workers(total), progress=advance)  # fmt: skip
    with engine.transaction():
        engine.insert("page_skeletons", "SELECT page_sha256, skeleton_id, minhash, features, version FROM _page_work WHERE kind IS NULL")
        engine.insert("page_identifiers", "SELECT page_sha256, kind, value, where_found, raw, is_pivot FROM _page_work WHERE kind IS NOT NULL")
    tick(total, total)
    return total


def _workers(pages: int) -> int:
    """Worker processes for the per-page work: ``VIGIL_WORKERS``, else one per core."""
    wanted = settings.worker_count()
    return 1 if pages < 200 or wanted < 2 else wanted


_PROCESSORS: dict[tuple[str, ...], Processors] = {}


def analyse_page(item: tuple[str, str, bytes], processors: Processors | None = None) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    """One page's skeleton row and identifier rows (pure)."""
    sha, url, blob = item
    html = zlib.decompress(blob)
    template = fingerprint(html)
    skeleton: tuple[object, ...] = (sha, template.template_id, template.signature_bytes(), template.features, FINGERPRINT_VERSION)
    found = extract_identifiers(html, base_url=url, processors=processors)
    ids: list[tuple[object, ...]] = [
        (sha, f.kind, f.value, f.where, f.raw, bool(KINDS.get(f.kind) and KINDS[f.kind].pivot)) for f in found
    ]
    return skeleton, ids


@dataclass(frozen=True)
class AnalysePages:
    """:func:`analyse_page` over a batch of ``(page_sha256, url, html_zlib)``: one skeleton row
    per page (``kind`` NULL) and one row per identifier found."""

    processors: tuple[str, ...] = ()

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.processors not in _PROCESSORS:
            _PROCESSORS[self.processors] = Processors.load([Path(p) for p in self.processors])
        chosen = _PROCESSORS[self.processors]
        cols: dict[str, list[object]] = {name: [] for name in _WORK_SCHEMA.names}
        for item in zip(*(batch.column(n).to_pylist() for n in ("page_sha256", "url", "html_zlib"))):
            skeleton, found = analyse_page(item, chosen)
            for row in [(*skeleton, None, None, None, None, None)] + [(*r[:1], None, None, None, None, *r[1:]) for r in found]:
                for name, value in zip(cols, row):
                    cols[name].append(value)
        return pa.RecordBatch.from_pydict(cols, schema=_WORK_SCHEMA)
