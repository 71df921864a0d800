"""Attribution cost: per-page work (fingerprint + identifiers) and the set steps (templates,
distributors, evidence), with peak memory; distributor grouping beside networkx.

    python benchmarks/bench_attribution.py --worlds 1 3 [--workdir DIR]

Each size ingests the captures of K synthetic s4 worlds (seeds 1..K, each in namespace
seed - 1 so that no two share a key identifier but the deliberate decoys; about 4,000
captures each; K at most 500) into one store, then times ``analyse_pages`` (per page, cached) and ``attribute_store``
(the set steps, pages already analysed) in a fresh process, then scores the attribution
against every world's truth at once (B-cubed F1 for brands and distributors, and for the
naive baseline of ``vigil eval``). Prints one JSON line per size.
``--reuse`` keeps the store of an earlier run, so only the set steps are measured afresh.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = r"""
import json, resource, sys, time
from pathlib import Path
from vigil.attribute.pages import analyse_pages
from vigil.attribute.run import attribute_store
from vigil.ingest.captures import CaptureIngest
from vigil.store import Store

worlds, db = [Path(p) for p in sys.argv[2:]], Path(sys.argv[1])
out = {}
with Store(db) as store:
    t = time.perf_counter()
    summary = CaptureIngest(store).run([w / "captures" for w in worlds])
    out["ingest_s"] = time.perf_counter() - t
    out["captures"] = summary.total("stored")
    t = time.perf_counter()
    out["pages"] = analyse_pages(store)
    out["pages_s"] = time.perf_counter() - t
    t = time.perf_counter()
    result = attribute_store(store)
    out["set_steps_s"] = time.perf_counter() - t
    out.update(templates=result.templates, brands=result.brands, distributors=result.distributors)
    # quality at this size: every world's truth at once (namespaced worlds keep their labels apart)
    from vigil.attribute.evaluate import evaluate
    scored = evaluate(store, [w / "truth" / "captures.jsonl" for w in worlds])
    for name in ("brands", "distributors", "baseline_brands", "baseline_distributors"):
        out[f"bcubed_f1_{name}"] = scored[name]["bcubed_f1"]
    # distributor grouping (SQL, level by level) beside networkx's connected components on
    # the same page-value graph (attribute_store left _lk_pages and _lk_pivots in the session)
    import networkx as nx
    from vigil.attribute.linking import link
    t = time.perf_counter()
    out["link_levels"] = link(store.engine)
    out["link_s"] = time.perf_counter() - t
    pages = [r[0] for r in store.con.execute("SELECT page FROM _lk_pages").fetchall()]
    values = store.con.execute("SELECT page, kind, value FROM _lk_pivots").fetchall()
    t = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(pages)
    graph.add_edges_from((p, f"{k}:{v}") for p, k, v in values)
    out["networkx_components"] = sum(1 for _ in nx.connected_components(graph))
    out["networkx_s"] = time.perf_counter() - t
out["pages_per_s"] = out["pages"] / out["pages_s"] if out["pages_s"] else 0
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="keep a store left by an earlier run in --workdir: ingest and per-page work are then cached, "
                             "and only the set steps are measured afresh")
    args = parser.parse_args()
    base = args.workdir or Path(tempfile.mkdtemp(prefix="vigil-bench-attr-"))
    from vigil.synth import generate_world

    for k in args.worlds:
        worlds = []
        if not 0 < k <= 500:
            parser.error(f"--worlds: from 1 to 500 worlds, not {k}")
        for seed in range(1, k + 1):
            world = base / f"s4n-{seed}"
            if not (world / "captures").exists():
                generate_world(world, seed=seed, profile="s4", namespace=seed - 1)
            worlds.append(world)
        truth = sum(json.loads((w / "truth" / "world.json").read_text())["captures"]["distributors"] for w in worlds)
        db = base / f"attr-{k}.duckdb"
        if not args.reuse:
            db.unlink(missing_ok=True)
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", STAGES, str(db), *map(str, worlds)], check=True, capture_output=True, text=True)
        result = {"worlds": k, "wall_s": round(time.perf_counter() - t, 1), **json.loads(done.stdout.strip().splitlines()[-1]),
                  "truth_distributors": truth}
        print(json.dumps({key: round(v, 2) if isinstance(v, float) else v for key, v in result.items()}), flush=True)


if __name__ == "__main__":
    main()
