"""Ingest + enrich + §3 throughput and peak memory on synthetic worlds.

    python benchmarks/bench_pipeline.py --reports 100000 1000000 [--workdir DIR] [--dirt 3]

For each size: writes a synthetic world (timed apart), then runs ingest, enrich and
``stats hosting --period 2012Q4`` in a fresh subprocess so that its peak RSS is the
pipeline's own. Prints one JSON line per size; record the figures in docs/benchmarks.md.
``--dirt`` writes the dirtier feed (``vigil synth --dirt``: more URL spellings per URL, more
re-sends and bad rows). ``cpu_s`` is the subprocess's user + system time.
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
from vigil.analyse.hosting import hosting_stats
from vigil.enrich.ip import open_ip_provider
from vigil.enrich.run import enrich_store
from vigil.ingest.reports import ReportIngest
from vigil.periods import Period
from vigil.store import Store

world, db = Path(sys.argv[1]), Path(sys.argv[2])
out = {}
with Store(db) as store:
    t, c = time.perf_counter(), time.process_time()
    summary = ReportIngest(store).run([world / "reports"])
    out["ingest_s"], out["ingest_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    out["rows_read"] = summary.total("rows_read")
    out["stored"] = summary.total("stored")
    t, c = time.perf_counter(), time.process_time()
    enrich_store(store, provider=open_ip_provider(world / "iptoasn.tsv"), shared_services=[world / "shared_services.csv"])
    out["enrich_s"], out["enrich_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    stats = hosting_stats(store.engine, Period.parse("2012Q4"))
    out["stats_s"] = time.perf_counter() - t
    out["urls_2012Q4"] = stats["urls"]
out["total_s"] = out["ingest_s"] + out["enrich_s"] + out["stats_s"]
usage = resource.getrusage(resource.RUSAGE_SELF)
out["cpu_s"] = usage.ru_utime + usage.ru_stime
out["rows_per_s"] = out["rows_read"] / out["total_s"]
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["db_mb"] = db.stat().st_size / 1e6
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--dirt", type=float, default=1.0, help="vigil synth --dirt (1: the default world)")
    args = parser.parse_args()
    base = args.workdir or Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    for n in args.reports:
        tag = f"{n}" if args.dirt == 1.0 else f"{n}-dirt{args.dirt:g}"
        world = base / f"world-{tag}"
        db = base / f"bench-{tag}.duckdb"
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)
        t = time.perf_counter()
        if not (world / "reports").exists():
            from vigil.synth import generate_world

            generate_world(world, seed=args.seed, reports=n, dirt=args.dirt)
        synth_s = time.perf_counter() - t
        done = subprocess.run([sys.executable, "-c", STAGES, str(world), str(db)], check=True, capture_output=True, text=True)
        result = {"reports": n, "dirt": args.dirt, "synth_s": round(synth_s, 1), **json.loads(done.stdout.strip().splitlines()[-1])}
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}), flush=True)


if __name__ == "__main__":
    main()
