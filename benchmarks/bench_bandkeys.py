"""LSH band keys of a store's skeletons: the compiled batch call against the Python loop.

    python benchmarks/bench_bandkeys.py --from STORE [--limit N]

``STORE`` is a store whose pages were analysed. Its distinct skeletons' signatures (at most
``--limit``) go through ``templates.BandKeys`` in batches of 50,000 rows, as
``build_templates`` sends them, for both of the template indexes (the main one tuned to
``same``, the lineage one to ``altered``): once with the C part (``vigil.attribute._bands``)
and once with the Python loop it replaces, each after one warm-up call. The two must give
the same rows. Prints one JSON
line: skeletons, band rows, microseconds a skeleton for each, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

from vigil.attribute import templates
from vigil.attribute.templates import BandKeys, TemplateSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=200_000)
    args = parser.parse_args()
    if templates._c_band_keys is None:
        raise SystemExit("the C band keys are not built (pip install -e . with gcc and the Python headers)")
    con = duckdb.connect(str(args.source), read_only=True)
    table = con.sql(f"""SELECT skeleton_id, any_value(minhash) AS minhash FROM page_skeletons WHERE features > 0
                        GROUP BY skeleton_id ORDER BY skeleton_id LIMIT {int(args.limit)}""").to_arrow_table()
    batches = table.to_batches(max_chunksize=50_000)
    settings = TemplateSettings()
    result: dict[str, object] = {"skeletons": table.num_rows}
    for name, threshold in (("same", settings.same), ("altered", settings.altered)):
        fn = BandKeys(threshold, settings.recall)
        fn(batches[0])  # warm: the index's banding is chosen once a process, and the first call loads the kernels
        fn.python(batches[0].slice(0, 100), templates._signatures(batches[0].column("minhash").slice(0, 100)))
        t = time.perf_counter()
        fast = [fn(b) for b in batches]
        c_s = time.perf_counter() - t
        t = time.perf_counter()
        slow = [fn.python(b, templates._signatures(b.column("minhash"))) for b in batches]
        py_s = time.perf_counter() - t
        same = all(a.to_pydict() == b.to_pydict() for a, b in zip(fast, slow))
        result[name] = {"band_rows": sum(b.num_rows for b in fast), "c_us": round(c_s / table.num_rows * 1e6, 2),
                        "python_us": round(py_s / table.num_rows * 1e6, 2), "ratio": round(py_s / c_s, 1), "equal": same}  # fmt: skip
        if not same:
            raise SystemExit(f"the C and Python band keys differ ({name})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
