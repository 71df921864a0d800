"""Linking alone (identifiers → distributor groups) at K times an attributed store's pages.

    python benchmarks/bench_linking.py --from STORE --times K [--work FILE] [--digest]

``STORE`` is a store ``vigil attribute`` ran on (read only; never written). Its pages that
are not cover pages, with their templates, and their strong pivot values are copied K
times into a scratch store (``--work``, default ``STORE.linking.duckdb``, removed after):
copy 0 as it is, copy r with each page hash and template ID a hash of the copy and itself
and each value a ``~r`` suffix, so no copy shares a value with another and the copies'
groups, levels and decisions are the source's, K times over. Then
:func:`vigil.attribute.linking.link` runs on them as ``vigil attribute`` runs it (DuckDB
under the default memory cap unless ``VIGIL_MEMORY_LIMIT`` says otherwise, the bundled
warning list, the default guard; no judgements), and the script checks what the copies
promise (K times copy 0's linked pages and groups) and prints one JSON line: seconds for
the set-up and for linking, the spread levels, the seconds of the slowest level, peak RSS.

``--steps`` adds the seconds of each named engine step (summed over the levels), slowest
first. ``--digest`` adds an order-free digest of ``_decisions`` and ``_page_groups``, so two
versions of the linking code can be shown to give the same result on the same input.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path

from vigil.attribute.derive import strong_kinds
from vigil.attribute.linking import link
from vigil.attribute.warninglists import WarningLists
from vigil.defaults import MAX_GROUPS, MIN_STRENGTH
from vigil.store import Store


def _copy(column: str, digest: str) -> str:
    """Copy ``r``'s version of a key column (SQL; ``r`` from the copies' range)."""
    return f"CASE WHEN r = 0 THEN {column} ELSE {digest}(CAST(r AS VARCHAR) || ':' || {column}) END"


def setup(con, source: Path, times: int) -> None:  # type: ignore[no-untyped-def]
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _base_pages AS
        SELECT DISTINCT c.page_sha256 AS page, a.template_id FROM src.capture_attribution a
        JOIN src.captures c ON c.capture_key = a.capture_key WHERE NOT a.cover AND a.template_id IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _base_pivots AS
        SELECT DISTINCT i.page_sha256 AS page, i.kind, i.value FROM src.page_identifiers i
        WHERE i.is_pivot AND list_contains($strong, i.kind) AND i.page_sha256 IN (SELECT page FROM _base_pages)""",
                {"strong": strong_kinds(MIN_STRENGTH)})  # fmt: skip
    con.execute("DETACH src")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lk_pages AS
        SELECT {_copy("page", "sha256")} AS page, {_copy("template_id", "md5")} AS template_id
        FROM _base_pages, range({times}) t(r)""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lk_pivots AS
        SELECT {_copy("page", "sha256")} AS page, kind,
               CASE WHEN r = 0 THEN value ELSE value || '~' || CAST(r AS VARCHAR) END AS value
        FROM _base_pivots, range({times}) t(r)""")


DIGESTS = {
    "decisions": "SELECT kind, value, spread, status, groups_joined, reason, first_page FROM _decisions",
    "page_groups": "SELECT page_sha256, grp, identified, valued FROM _page_groups",
}


def _timed(engine: object) -> dict[str, float]:
    """Wrap the engine's table-making methods so each step's seconds add up by name (levels as one)."""
    spent: dict[str, float] = {}
    depth = [0]  # a step inside another (map_batches loads its output with put_arrow) counts once
    for method in ("materialise", "map_batches", "put_arrow", "rows", "scalar"):
        inner = getattr(engine, method)

        def timed(name: str, *rest: object, _inner=inner, **kw: object) -> object:  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            depth[0] += 1
            try:
                got = _inner(name, *rest, **kw)
            finally:
                depth[0] -= 1
            if not depth[0]:
                key = re.sub(r"_\d+$", "_N", name)
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - t
            return got

        setattr(engine, method, timed)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--times", type=int, required=True)
    parser.add_argument("--work", type=Path, help="the scratch store (default: STORE.linking.duckdb; removed after)")
    parser.add_argument("--digest", action="store_true", help="print an order-free digest of the results")
    parser.add_argument("--steps", action="store_true", help="print the seconds of each engine step, slowest first")
    args = parser.parse_args()
    work = args.work or args.source.with_suffix(".linking.duckdb")
    work.unlink(missing_ok=True)
    try:
        with Store(work) as store:
            t0 = time.perf_counter()
            setup(store.con, args.source.resolve(), args.times)
            pages, pivots = store.con.execute("SELECT (SELECT count(*) FROM _lk_pages), (SELECT count(*) FROM _lk_pivots)").fetchone()
            t1 = time.perf_counter()
            marks: list[float] = []
            steps = _timed(store.engine) if args.steps else {}

            def tick(done: int, total: int) -> None:
                marks.append(time.perf_counter())
                print(f"{time.strftime('%H:%M:%S')} level {done}/{total}", file=sys.stderr, flush=True)

            levels = link(store.engine, max_groups=MAX_GROUPS, warnings=WarningLists.load(), progress=tick)
            t2 = time.perf_counter()
            con = store.con
            linked, groups = con.execute("SELECT count(*) FILTER (WHERE identified), count(DISTINCT grp) FILTER (WHERE identified) FROM _page_groups").fetchone()
            copy0 = con.execute("""
                SELECT count(*) FILTER (WHERE identified), count(DISTINCT grp) FILTER (WHERE identified)
                FROM _page_groups WHERE page_sha256 IN (SELECT page FROM _base_pages)""").fetchone()  # fmt: skip
            out = {"times": args.times, "pages": pages, "pivot_rows": pivots, "setup_s": round(t1 - t0, 1),
                   "link_s": round(t2 - t1, 1), "levels": levels,
                   "slowest_level_s": round(max((b - a for a, b in zip(marks, marks[1:])), default=0.0), 2),
                   "linked_pages": linked, "groups": groups,
                   "copies_check": linked == copy0[0] * args.times and groups == copy0[1] * args.times,
                   "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}  # fmt: skip
            if args.steps:
                out["steps"] = {name: round(secs, 1) for name, secs in sorted(steps.items(), key=lambda kv: -kv[1])[:15]}
            if args.digest:
                for name, sql in DIGESTS.items():
                    out[name] = con.execute(f"SELECT count(*), sum(hash(x)) FROM ({sql}) x").fetchone()
                    out[name] = f"{out[name][0]}:{int(out[name][1] or 0) % (1 << 64):016x}"
    finally:
        work.unlink(missing_ok=True)
        Path(str(work) + ".wal").unlink(missing_ok=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
