"""Incremental attribution: N new captures arrive as one batch on a store already
attributed; ``vigil attribute`` (incremental) beside ``vigil attribute --full``.

    python benchmarks/bench_incremental.py --worlds 10 [--new 1000] [--workdir DIR [--reuse]] [--ingested STORE]
        [--batches latest,one_world] [--modes incremental,full] [--steps N]

The store holds the captures of K namespaced s4 worlds side by side (seeds 1..K, namespace
seed - 1, as bench_attribution.py; about 4,000 captures each; the worlds share only their
decoys, which the guard flags generic). Two batches are set aside: ``latest``, the last N
captures of the whole store by time (they touch the active distributors of every world),
and ``one-world``, the last N captures of world 1 (they touch one world's distributors).
The rest is attributed in full once (``base``). For each batch, the base store is copied
twice, the batch added as a new ingest batch, and one copy attributed incrementally, the
other with ``--full``, each timed in a fresh process (peak RSS with it); every derived table
of the two is then compared row for row (in DuckDB: both differences empty, as multisets).
Prints one JSON line.

``--ingested STORE``: a store holding exactly the captures of those worlds (as the 1M run of
docs/benchmarks.md builds with ``vigil ingest captures``) is copied instead of ingesting them
again; the worlds are looked for in ``--workdir`` as ``s4n-SEED`` (a link to a world
generated elsewhere will do).

``--steps N`` adds each run's N slowest engine steps (seconds by step name) to its figures;
``--modes incremental`` times the incremental run alone (with ``--reuse``, to try a change
against the same base store; nothing is compared then).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = ("capture_attribution", "skeleton_links", "templates", "brands", "distributors", "identifier_values",
          "disguised_urls", "attribution_components", "attribution_bands")  # fmt: skip

PREPARE = r"""
import sys
from pathlib import Path
from vigil.ingest.captures import CaptureIngest
from vigil.store import Store
db, new, ingested, worlds = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], [Path(p) for p in sys.argv[4:]]
with Store(db) as store:
    if not ingested:
        CaptureIngest(store).run([w / "captures" for w in worlds])
    store.con.execute(f'''CREATE TABLE bench_latest AS SELECT * REPLACE ('bench-new' AS batch_id) FROM captures
                          ORDER BY captured_at DESC, capture_key DESC LIMIT {new}''')
    store.con.execute(f'''CREATE TABLE bench_one_world AS SELECT * REPLACE ('bench-new' AS batch_id) FROM captures
                          WHERE starts_with(source_file, $w) OR starts_with(source_file, $r)
                          ORDER BY captured_at DESC, capture_key DESC LIMIT {new}''',
                      {"w": str(worlds[0]) + "/", "r": str(worlds[0].resolve()) + "/"})  # a linked world: its real path
    assert store.con.execute("SELECT count(*) FROM bench_one_world").fetchone()[0] == new, "world 1 not found in the store"
    store.con.execute("DELETE FROM captures WHERE capture_key IN (SELECT capture_key FROM bench_latest "
                      "UNION SELECT capture_key FROM bench_one_world)")
"""

RUN = r"""
import json, resource, sys, time
from pathlib import Path
from vigil.attribute.run import attribute_store
from vigil.store import Store
from vigil.store.engine import DuckDBEngine
db, mode, batch, steps = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
spent = {}
if steps:  # the time of each engine statement, by step name (--steps)
    plain = DuckDBEngine._run
    def timed(self, step, sql, params):
        t = time.perf_counter()
        try:
            return plain(self, step, sql, params)
        finally:
            spent[step] = spent.get(step, 0.0) + time.perf_counter() - t
    DuckDBEngine._run = timed
with Store(db) as store:
    if mode != "base":
        store.con.execute(f"INSERT INTO captures SELECT * FROM bench_{batch}")
    t = time.perf_counter()
    s = attribute_store(store, full=mode != "incremental")
    out = {"s": time.perf_counter() - t, "full": s.full, "why_full": s.why_full, "captures": s.captures,
           "templates": s.templates, "recomputed_templates": s.recomputed_templates, "brands": s.brands,
           "distributors": s.distributors, "pages": s.pages_analysed}
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if steps:
    out["steps"] = {k: round(v, 2) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])[:steps]}
print(json.dumps(out))
"""

COMPARE = r"""
import json, sys
import duckdb
tables = sys.argv[3:]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it writes to stdout, which carries the result
con.execute("ATTACH ? AS a (READ_ONLY)", [sys.argv[1]])
con.execute("ATTACH ? AS b (READ_ONLY)", [sys.argv[2]])
differ = [t for t in tables if con.execute(f'''SELECT (SELECT count(*) FROM (FROM a.{t} EXCEPT ALL FROM b.{t}))
                                                 + (SELECT count(*) FROM (FROM b.{t} EXCEPT ALL FROM a.{t}))''').fetchone()[0]]
print(json.dumps({"differ": differ}))
"""


def _run(script: str, *args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", type=int, default=10)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep the base store of an earlier run in --workdir")
    parser.add_argument("--ingested", type=Path, default=None, help="copy this store of the worlds' captures, ingested")
    parser.add_argument("--batches", default="latest,one_world", help="which batches, comma-separated")
    parser.add_argument("--steps", type=int, default=0, metavar="N",
                        help="also report the N engine steps that took longest in each run")
    parser.add_argument("--modes", default="incremental,full",
                        help="incremental, full or both; the tables are compared only when both run")
    args = parser.parse_args()
    if not 0 < args.worlds <= 500:
        parser.error(f"--worlds: from 1 to 500 worlds, not {args.worlds}")
    modes = [m for m in ("incremental", "full") if m in args.modes.split(",")]
    if not modes:
        parser.error(f"--modes: incremental, full or both, not {args.modes!r}")
    base = args.workdir or Path(tempfile.mkdtemp(prefix="vigil-bench-inc-"))
    from vigil.synth import generate_world

    worlds = []
    for seed in range(1, args.worlds + 1):
        world = base / f"s4n-{seed}"
        if not (world / "captures").exists():
            generate_world(world, seed=seed, profile="s4", namespace=seed - 1)
        worlds.append(world)
    db = base / f"inc-{args.worlds}.duckdb"
    result: dict[str, object] = {"worlds": args.worlds, "new": args.new}
    if not (args.reuse and db.exists()):
        db.unlink(missing_ok=True)
        t = time.perf_counter()
        if args.ingested:
            shutil.copy(args.ingested, db)
        subprocess.run([sys.executable, "-c", PREPARE, str(db), str(args.new), str(args.ingested or ""), *map(str, worlds)],
                       check=True)  # fmt: skip
        result["ingest_s"] = time.perf_counter() - t
        result["base"] = _run(RUN, str(db), "base", "-", str(args.steps))
        print(json.dumps(_rounded({"base": result["base"]})), file=sys.stderr, flush=True)
    for batch in args.batches.split(","):
        copies = {mode: base / f"inc-{args.worlds}-{batch}-{mode}.duckdb" for mode in modes}
        got: dict[str, object] = {}
        for mode, path in copies.items():
            shutil.copy(db, path)
            got[mode] = _run(RUN, str(path), mode, batch, str(args.steps))
            print(json.dumps(_rounded({batch: {mode: got[mode]}})), file=sys.stderr, flush=True)
        if len(copies) == 2:
            got["tables_differing"] = _run(COMPARE, *map(str, copies.values()), *TABLES)["differ"]
        result[batch] = got
        print(json.dumps(_rounded(got)), file=sys.stderr, flush=True)
        for path in copies.values():
            path.unlink()
    print(json.dumps(_rounded(result)), flush=True)


def _rounded(value: object) -> object:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 2) if isinstance(value, float) else value


if __name__ == "__main__":
    main()
