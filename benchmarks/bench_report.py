"""Time ``vigil report`` on an existing store.

    python benchmarks/bench_report.py --db /tmp/bench/bench-1000000.duckdb --period 2012Q4

(``bench_pipeline.py --reports 1000000 --workdir /tmp/bench`` leaves such a store.)
Prints one JSON line: seconds for each format and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from vigil.periods import Period
from vigil.publish.report import render_report
from vigil.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--period", default="2012Q4")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="vigil-report-"))
    result: dict[str, object] = {"db": str(args.db), "period": args.period}
    with Store(args.db, read_only=True) as store:
        result["reports"] = store.scalar("SELECT count(*) FROM reports")
        for formats in (("md",), ("html",), ("pdf",), ("html", "md", "pdf")):
            t = time.perf_counter()
            render_report(store, Period.parse(args.period), out=out / "-".join(formats), formats=formats)
            result["+".join(formats) + "_s"] = round(time.perf_counter() - t, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
