"""Template candidates in isolation: one index's LSH band rows, K copies side by side.

    python benchmarks/bench_candidates.py --from STORE --times K [--lsh 1] [--out SCRATCH] [--estimates]

``STORE`` is an attributed store (its ``attribution_bands``: ``--lsh 0`` the main index over
every skeleton, window 10; ``--lsh 1`` the lineage index over founders, window 50). A scratch
store (``--out``, default next to ``STORE``) gets K copies of that index's band rows, copy r
with every skeleton ID suffixed ``~r`` and every band key XOR-ed with a constant of the copy
(so a copy's buckets are the source's and no two copies share one), then
``templates.candidates`` runs on it under the store's settings (DuckDB's default memory cap
unless ``VIGIL_MEMORY_LIMIT`` says otherwise; what passes it spills to ``<scratch>.tmp``).
Prints one JSON line: rows, the lagged rows the pass feeds its ``DISTINCT``, pairs,
seconds, peak RSS and the largest spill seen. The pairs must be K times the source's.

With ``--estimates`` the step timed is ``templates.estimated_pairs`` instead: the candidates
with their MinHash estimates, those below the index's floor left out, deduplicated where the
pipeline does it for that index (first in the main index, after the floor in the lineage
index); every copy of a skeleton carries the source skeleton's signature (the copies' keys
keep their buckets apart). ``pairs`` are then the pairs kept, again K times the source's.
``--distinct-first`` deduplicates before the estimates in either index (to compare).
"""

from __future__ import annotations

import argparse
import json
import resource
import threading
import time
from pathlib import Path


def _spill(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--times", type=int, default=1)
    parser.add_argument("--lsh", type=int, choices=(0, 1), default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--estimates", action="store_true", help="time the estimates and the floor too")
    parser.add_argument("--distinct-first", action="store_true", help="with --estimates: deduplicate before them")
    args = parser.parse_args()

    from vigil.attribute.templates import EXACT_MARGIN, TemplateSettings, candidates, estimated_pairs, lineage_floor
    from vigil.store import Store
    from vigil.store.engine import DuckDBEngine

    window = TemplateSettings().window * (5 if args.lsh else 1)
    out = args.out or args.source.with_name(f"cand-{args.lsh}-x{args.times}.duckdb")
    out.unlink(missing_ok=True)
    with Store(out) as store:
        con = store.con
        con.execute("SET enable_progress_bar = false")
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(args.source)])
        con.execute("CREATE TEMP TABLE _bands (skeleton_id VARCHAR, band INTEGER, key BIGINT)")
        con.execute("CREATE TEMP TABLE _skeletons (skeleton_id VARCHAR, first_seen TIMESTAMP, minhash BLOB)")
        if args.estimates:
            con.execute("""CREATE TEMP TABLE _sig AS SELECT skeleton_id, any_value(minhash) AS minhash FROM src.page_skeletons
                           WHERE skeleton_id IN (SELECT skeleton_id FROM src.attribution_bands WHERE lsh = ?)
                           GROUP BY skeleton_id""", [args.lsh])  # fmt: skip
        sig = "(SELECT g.minhash FROM _sig g WHERE g.skeleton_id = a.skeleton_id)" if args.estimates else "NULL"
        for r in range(args.times):
            suffix, xor = (f" || '~{r}'", f"xor(key, {(0x9E3779B97F4A7C15 * r) & 0x7FFFFFFFFFFFFFFF})") if r else ("", "key")
            con.execute(f"INSERT INTO _bands SELECT skeleton_id{suffix}, band, {xor} FROM src.attribution_bands WHERE lsh = ?",
                        [args.lsh])  # fmt: skip
            con.execute(f"INSERT INTO _skeletons SELECT skeleton_id{suffix}, first_seen, {sig} FROM (SELECT DISTINCT "
                        "skeleton_id, first_seen FROM src.attribution_bands WHERE lsh = ?) a", [args.lsh])  # fmt: skip
        con.execute("DETACH src")
        rows = con.execute("SELECT count(*) FROM _bands").fetchone()[0]
        lagged = con.execute(f"""SELECT sum(CASE WHEN c <= {window} THEN c * (c - 1) / 2
                                 ELSE {window} * ({window} - 1) / 2 + (c - {window}) * {window} END)
                                 FROM (SELECT count(*) AS c FROM _bands GROUP BY band, key)""").fetchone()[0]  # fmt: skip
        peak_spill, done = [0], threading.Event()

        def watch() -> None:
            while not done.wait(2):
                peak_spill[0] = max(peak_spill[0], _spill(out.with_name(out.name + ".tmp")))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        start = time.perf_counter()
        if args.estimates:
            settings = TemplateSettings()
            floor = lineage_floor(settings) if args.lsh else settings.same - EXACT_MARGIN
            estimated_pairs(DuckDBEngine(con), "_bands", window, floor, distinct_first=args.distinct_first or not args.lsh)
            table = "_pairs"
        else:
            candidates(DuckDBEngine(con), "_bands", window)
            table = "_cand_pairs"
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
        pairs = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    out.unlink(missing_ok=True)
    print(json.dumps({"lsh": args.lsh, "times": args.times, "estimates": args.estimates,
                      "distinct_first": args.estimates and (args.distinct_first or not args.lsh),
                      "window": window, "rows": rows, "lagged_rows": int(lagged),
                      "pairs": pairs, "s": round(seconds, 1), "peak_spill_mb": round(peak_spill[0] / 2**20),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))  # fmt: skip


if __name__ == "__main__":
    main()
