"""Sharing throughput: STIX export of an N-report store, and an N-row keyed match run.

    python benchmarks/bench_share.py --reports 1000000 --rows 1000000 [--workdir DIR]

The store's reports are written straight into DuckDB with SQL (distinct URLs on
``.example`` hosts, documentation IPs, five sources, three TLP levels): the export reads
evidence, it does not care how it arrived, and this keeps the benchmark about sharing.
The partner file holds ``--rows`` HMAC digests, 50 of them of URLs in the store. Each
step runs in a fresh subprocess so that its peak RSS is its own. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD = r"""
import sys
from vigil.share.marks import set_source_marking
from vigil.store import Store
n = int(sys.argv[2])
with Store(sys.argv[1]) as store:
    store.con.execute(f'''
        INSERT INTO reports SELECT
            'S' || (i % 5) || ':' || i, 'r' || i, 'HL-' || (i % 5),
            TIMESTAMP '2012-01-01' + INTERVAL (i % 31536000) SECOND,
            'http://site' || (i % {n * 6 // 10}) || '.host' || (i % 5000) || '.example/p' || (i % 7),
            'http://site' || (i % {n * 6 // 10}) || '.host' || (i % 5000) || '.example/p' || (i % 7),
            'site' || (i % {n * 6 // 10}) || '.host' || (i % 5000) || '.example',
            '198.51.100.' || (i % 250), i % 3 = 0, 'pay_per_view', ['credit_card'], NULL,
            'bench', i, 'sha', 'b0', TIMESTAMP '2013-01-01', NULL
        FROM range({n}) t(i)''')
    store.con.execute("INSERT INTO ip_info SELECT '198.51.100.' || i, 'ZZ', 64496 + i % 16, 'Fictional Hosting ' || i % 16, 'bench' FROM range(250) t(i)")
    for source, level in (("HL-0", "GREEN"), ("HL-1", "GREEN"), ("HL-2", "AMBER"), ("HL-3", "AMBER+STRICT")):
        set_source_marking(store, source, level)
"""

EXPORT = r"""
import json, resource, sys, time
from datetime import date
from vigil.share.facts import Scope
from vigil.share.stix import write_stix
from vigil.store import Store
t = time.perf_counter()
with Store(sys.argv[1], read_only=True) as store, open(sys.argv[2], "wb") as out:
    summary = write_stix(store, Scope(date(2012, 1, 1), date(2013, 1, 1), "AMBER"), out)
print(json.dumps({"export_s": time.perf_counter() - t, "objects": summary.total,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

HASHES = r"""
import random, sys
from vigil.share.matching import create_key
from vigil.share.recipe import digest, normalise
from vigil.store import Store
db, out, rows, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with Store(db) as store:
    key_id, secret = create_key(store, "PSP-BENCH")
key = bytes.fromhex(secret)
rng = random.Random(1)
with open(out, "w") as f:
    f.write(f"# vigil-match 1 key_id={key_id}\nkind,hash\n")
    for i in range(rows - 50):
        f.write(f"merchant_account,{digest(key, 'merchant_account', f'acq/DECOY{i}')}\n")
    for i in range(50):  # URLs reported by GREEN sources (HL-0: i % 5 == 0)
        j = rng.randrange(n // 10) * 5
        url = f"http://site{j % (n * 6 // 10)}.host{j % 5000}.example/p{j % 7}"
        f.write(f"url,{digest(key, 'url', normalise('url', url))}\n")
"""

MATCH = r"""
import json, resource, sys, time
from pathlib import Path
from vigil.share.matching import run_match
from vigil.store import Store
t = time.perf_counter()
with Store(sys.argv[1]) as store:
    result = run_match(store, "PSP-BENCH", Path(sys.argv[2]), marking="AMBER")
print(json.dumps({"match_s": time.perf_counter() - t, "rows": result.rows_read, "matched": len(result.matches),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def _run(code: str, *args: str) -> str:
    got = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    # DuckDB may draw progress bars (with carriage returns) on the same stream
    lines = [line[line.index("{"):] for line in got.stdout.replace("\r", "\n").splitlines() if "{" in line]
    return lines[-1] if lines else "{}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="vigil-bench-share-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "share.duckdb"
    if not db.exists():
        _run(BUILD, str(db), str(args.reports))
    result: dict[str, object] = {"reports": args.reports}
    result.update(json.loads(_run(EXPORT, str(db), str(work / "bundle.json"))))
    result["bundle_mb"] = round((work / "bundle.json").stat().st_size / 1e6, 1)
    print(json.dumps(result), flush=True)
    _run(HASHES, str(db), str(work / "hashes.csv"), str(args.rows), str(args.reports))
    match = json.loads(_run(MATCH, str(db), str(work / "hashes.csv")))
    result.update({f"match_{k}" if not k.startswith("match") else k: v for k, v in match.items()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
