"""``vigil attribute``: captures → templates → distributors → brands, with evidence.

Derived: the same evidence, data files and analysts' judgements give the same result and
the same IDs. Per-page work is cached by page (``pages.py``). A run after a new batch of
captures recomputes only what the batch touches (``incremental.py``), with exactly the
result of a full rerun; ``full=True`` (``vigil attribute --full``) rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.attribute import incremental
from vigil.attribute.derive import (
    component_rows,
    covers,
    derive,
    derive_rows,
    pivots,
    template_captures,
)
from vigil.attribute.evidence import evidence_paths
from vigil.attribute.linking import link
from vigil.attribute.pages import analyse_pages
from vigil.attribute.templates import TemplateSettings, build_templates
from vigil.attribute.warninglists import WarningLists
from vigil.defaults import MAX_GROUPS, MIN_STRENGTH
from vigil.store.engine import Engine
from vigil.store.handle import StoreHandle
from vigil.store.stages import stage


@dataclass(frozen=True)
class AttributeSummary:
    pages_analysed: int
    captures: int
    cover_pages: int
    templates: int
    brands: int
    distributors: int
    generic_values: int
    full: bool = True  # False: only what a new batch touched was recomputed
    why_full: str = ""
    recomputed_templates: int = 0  # templates whose captures were linked and derived again


def attribute_store(
    store: StoreHandle,
    *,
    settings: TemplateSettings = TemplateSettings(),
    max_groups: int = MAX_GROUPS,
    min_strength: float = MIN_STRENGTH,
    processors: Sequence[Path] = (),
    warninglists: Sequence[Path] = (),
    progress: Callable[[str, int, int], None] | None = None,
    full: bool = False,
) -> AttributeSummary:
    """Attribute the store's captures; only what a new batch touches unless ``full`` (docs/attribution.md)."""
    tick = progress or (lambda stage, done, total: None)
    tick("pages", 0, 1)  # before the page cache is checked: the bar shows at once
    analysed = analyse_pages(store, processors=processors, progress=lambda d, t: tick("pages", d, t))
    engine = store.engine
    release_pages(engine)
    warnings = WarningLists.load(warninglists)
    digest = incremental.config_digest(store, settings=settings, max_groups=max_groups, min_strength=min_strength,
                                       warninglists=warninglists)  # fmt: skip
    outcome = "asked for (--full)" if full else incremental.attribute_increment(
        store, digest=digest, settings=settings, max_groups=max_groups, min_strength=min_strength, warnings=warnings, tick=tick)  # fmt: skip
    reason = outcome if isinstance(outcome, str) else ""
    if reason:
        tick("templates", 0, 2)
        covers(store, settings.altered)
        tick("templates", 1, 2)
        build_templates(engine, settings)
        tick("templates", 2, 2)
        template_captures(engine)
        pivots(engine, min_strength)
        derive(store, max_groups=max_groups, warnings=warnings, tick=tick)
        _store_full(store, digest)
        tick("brands and evidence", 2, 2)
    summary = engine.rows("attribution summary", """SELECT (SELECT count(*) FROM capture_attribution) AS a,
        (SELECT count(*) FROM capture_attribution WHERE cover) AS b, (SELECT count(*) FROM templates) AS c,
        (SELECT count(*) FROM brands) AS d, (SELECT count(*) FROM distributors) AS e,
        (SELECT count(*) FROM identifier_values WHERE status = 'generic') AS f""")[0]  # fmt: skip
    a, b, c, d, e, f = (int(n) for n in summary.values())
    return AttributeSummary(analysed, a, b, c, d, e, f, full=bool(reason), why_full=reason,
                            recomputed_templates=c if reason else int(outcome))  # fmt: skip


@stage(reads=("captures", "page_skeletons", "attribution_state", "_attr", "_cover", "_disguised", "_links", "_lineage",
              "_dist_rows", "_brand_rows", "_ev_path", "_values", "_bands", "_founder_bands", "_skeletons", "_comp_rows",
              "_lk_hist", "_lk_pages"))  # fmt: skip
def _store_full(store: StoreHandle, digest: str) -> None:
    """Rebuild every stored attribution table from the derived rows, with the bookkeeping for the next run."""
    engine = store.engine
    with engine.transaction():
        incremental.forget(engine)
        engine.replace("capture_attribution", """
            SELECT * FROM _attr
            UNION ALL
            SELECT c.capture_key, s.skeleton_id, NULL, NULL, NULL, true FROM captures c
            JOIN page_skeletons s ON s.page_sha256 = c.page_sha256 WHERE c.capture_key IN (SELECT capture_key FROM _cover)""")
        engine.replace("skeleton_links", "SELECT skeleton_id, parent_id, similarity, root_id, first_seen FROM _links")
        engine.replace("templates", """
            SELECT l.root_id, min(l.first_seen), count(*), any_value(g.lineage_skeleton), any_value(g.lineage_similarity)
            FROM _links l LEFT JOIN _lineage g ON g.template_id = l.root_id GROUP BY l.root_id""")
        engine.replace("distributors", "SELECT * FROM _dist_rows")
        engine.replace("brands", "SELECT b.*, e.evidence FROM _brand_rows b LEFT JOIN _ev_path e ON e.brand = b.brand_id")
        engine.replace("identifier_values", "SELECT * FROM _values")
        engine.replace("disguised_urls", "SELECT * FROM _disguised")
        incremental.record_full(engine, digest)


@stage(reads=("_page_urls", "_page_work"), drops=("_page_urls", "_page_work"))
def release_pages(engine: Engine) -> None:
    """Drop the page analysis' scratch: a signature and the features of each page analysed,
    held until the connection closes otherwise (``analyse_pages`` is page code: the page
    cache is keyed by its source, so its scratch is released here)."""
    engine.drop("_page_work", "_page_urls")


#: A full run's stages in the order ``attribute_store`` runs them (``derive`` is link, the
#: derived rows, the evidence paths and the components); tests/test_stages.py checks that each
#: reads only what an earlier one wrote, and that a run leaves exactly the declared tables.
FULL_RUN: tuple[Callable[..., Any], ...] = (
    analyse_pages, release_pages, covers, build_templates, template_captures, pivots, link, derive_rows, evidence_paths,
    component_rows, _store_full,
)  # fmt: skip

#: An incremental run's stages, in order (when no check sends it back to a full run).
INCREMENTAL_RUN: tuple[Callable[..., Any], ...] = (
    analyse_pages, release_pages, incremental.new_captures, incremental.new_urls, covers, incremental.recovered, incremental.redo_skeletons,
    incremental.scope,
    incremental.scope_captures, pivots, incremental.outside, link, derive_rows, evidence_paths, component_rows,
    incremental.dropped_values, incremental.store_increment,
)  # fmt: skip
