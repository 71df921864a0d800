"""Attribution's set steps at K times a store's size, without its page work.

    python benchmarks/bench_setsteps.py --from STORE --times K --out STORE2 [--run]

``STORE`` is a store whose pages were analysed (``vigil attribute`` ran on it; its page cache
must match this code, or the copied pages would be read again). ``STORE2`` gets K copies of
its captures and of their analysed pages (``page_skeletons``, ``page_identifiers``, and one
page body a skeleton: the one templates read when a pair's similarity lies near the
threshold and its exact Jaccard is computed): copy 0 as it is, copy r with every key,
page hash and skeleton ID replaced by a hash of the copy and itself, its URLs and hosts its own
``rN-`` host prefix, its identifier values a ``~r`` suffix, and its MinHash signatures each
value XOR-ed with a constant of the copy. XOR keeps which signature positions are equal
within a copy (so its templates, cover pages and LSH buckets are those of the original) and
makes two copies agree on a position by chance only (2^-32), so no copy links to another.

``--run`` then times ``vigil attribute --full`` on it in a fresh process (``VIGIL_*`` as
set; DuckDB under the default memory cap unless ``VIGIL_MEMORY_LIMIT`` says otherwise; with the
``--processors`` files the source was attributed with, whose page cache is theirs) and
checks what the copies promise: K times the source's templates, brands, distributors, cover
pages, captures attributed and generic values (the source must have been attributed in full
with the same settings). No page is analysed, so the time is the set steps' and the store's
writes alone. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

COUNTS = {
    "captures_attributed": "SELECT count(*) FROM capture_attribution",
    "cover_pages": "SELECT count(*) FROM capture_attribution WHERE cover",
    "templates": "SELECT count(*) FROM templates",
    "brands": "SELECT count(*) FROM brands",
    "distributors": "SELECT count(*) FROM distributors",
    "generic_values": "SELECT count(*) FROM identifier_values WHERE status = 'generic'",
}

RUN = r"""
import json, resource, sys, time
from pathlib import Path
from vigil.attribute.run import attribute_store
from vigil.store import Store
with Store(Path(sys.argv[1])) as store:
    t = time.perf_counter()
    s = attribute_store(store, full=True, processors=[Path(a) for a in sys.argv[2:]], progress=lambda stage, done, total: print(
        f"{time.strftime('%H:%M:%S')} {stage} {done}/{total}", file=sys.stderr, flush=True))
    print(json.dumps({"s": round(time.perf_counter() - t, 1), "pages_analysed": s.pages_analysed,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def _key(column: str, r: int) -> str:
    """A hex key of copy ``r`` (SQL): a hash of the copy and the key, of the key's length."""
    return f"(CASE WHEN length({column}) = 64 THEN sha256('{r}:' || {column}) ELSE md5('{r}:' || {column}) END)" if r else column


def _key_py(key: str, r: int) -> str:
    """:func:`_key` in Python."""
    if not r:
        return key
    digest = hashlib.sha256 if len(key) == 64 else hashlib.md5
    return digest(f"{r}:{key}".encode()).hexdigest()


def build(source: Path, times: int, out: Path) -> tuple[dict[str, int], int]:
    from vigil.store import Store

    out.unlink(missing_ok=True)
    with Store(out) as store:
        con = store.con
        con.execute("SET enable_progress_bar = false")
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(source)])
        con.execute("DELETE FROM page_cache")
        con.execute("INSERT INTO page_cache SELECT * FROM src.page_cache")
        skeletons = con.sql("SELECT * FROM src.page_skeletons").to_arrow_table()  # read once (a connection streams one query)
        for r in range(times):
            host = f"'r{r}-' || " if r else ""
            url = f"regexp_replace(url, '^([A-Za-z]+://)', '\\1r{r}-')" if r else "url"
            con.execute(f"""INSERT INTO captures SELECT * REPLACE (
                {_key("capture_key", r)} AS capture_key, capture_id || '{f"~{r}" if r else ""}' AS capture_id,
                {url} AS url, {host}host AS host, {_key("page_sha256", r)} AS page_sha256)
                FROM src.captures""")  # fmt: skip
            # one stored page per skeleton, the one templates would read for an exact Jaccard
            # (the least page hash of the skeleton, as the copy names its pages)
            con.execute(f"""INSERT INTO pages SELECT * REPLACE ({_key("page_sha256", r)} AS page_sha256) FROM src.pages
                WHERE page_sha256 IN (SELECT arg_min(page_sha256, {_key("page_sha256", r)}) FROM src.page_skeletons
                                      GROUP BY skeleton_id)""")  # fmt: skip
            suffix = f" || '~{r}'" if r else ""
            con.execute(f"""INSERT INTO page_identifiers SELECT * REPLACE (
                {_key("page_sha256", r)} AS page_sha256, value{suffix} AS value) FROM src.page_identifiers""")
            xor = np.uint32(0 if r == 0 else (0x9E3779B9 * r) & 0xFFFFFFFF)
            for batch in skeletons.to_batches(max_chunksize=100_000):
                signatures = batch.column("minhash").to_pylist()
                width = len(signatures[0]) if signatures else 0
                flat = np.frombuffer(b"".join(signatures), dtype="<u4") ^ xor
                raw = flat.astype("<u4").tobytes()
                table = pa.table({
                    "page_sha256": [_key_py(p, r) for p in batch.column("page_sha256").to_pylist()],
                    "skeleton_id": [_key_py(k, r) for k in batch.column("skeleton_id").to_pylist()],
                    "minhash": pa.array([raw[i:i + width] for i in range(0, len(raw), width)], pa.binary()),
                    "features": batch.column("features"), "version": batch.column("version")})  # fmt: skip
                con.register("_copy", table)
                con.execute("INSERT INTO page_skeletons SELECT * FROM _copy")
                con.unregister("_copy")
            print(f"{time.strftime('%H:%M:%S')} copy {r + 1} of {times}", file=sys.stderr, flush=True)
        con.execute("DETACH src")
    return _expected(source, times, out)


def _expected(source: Path, times: int, out: Path) -> tuple[dict[str, int], int]:
    """K times the source's counts, and how many skeletons of the copy share the first 10 hex
    digits of their ID with another (brand IDs are longer for templates among them)."""
    import duckdb

    con = duckdb.connect(str(out), read_only=True)
    con.execute("ATTACH ? AS src (READ_ONLY)", [str(source)])
    expected = {name: times * int(con.execute(sql.replace("FROM ", "FROM src.", 1)).fetchone()[0])
                for name, sql in COUNTS.items()}  # fmt: skip
    clashes = int(con.execute("""SELECT count(*) - count(DISTINCT substr(skeleton_id, 1, 10))
        FROM (SELECT DISTINCT skeleton_id FROM page_skeletons)""").fetchone()[0])  # fmt: skip
    con.close()
    return expected, clashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--times", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--run", action="store_true", help="time attribute --full on the copy and check its counts")
    parser.add_argument("--reuse", action="store_true", help="keep --out when it exists (built by an earlier run)")
    parser.add_argument("--processors", type=Path, action="append", default=[],
                        help="the processors file(s) the source was attributed with (its page cache is theirs)")
    args = parser.parse_args()
    if not 1 <= args.times <= 255:
        parser.error(f"--times: from 1 to 255 copies, not {args.times}")
    t = time.perf_counter()
    if args.reuse and args.out.exists():
        expected, clashes = _expected(args.source, args.times, args.out)
    else:
        expected, clashes = build(args.source, args.times, args.out)
    result: dict[str, object] = {"times": args.times, "build_s": round(time.perf_counter() - t, 1), "expected": expected,
                                 "brand_prefix_clashes": clashes}  # fmt: skip
    if args.run:
        done = subprocess.run([sys.executable, "-c", RUN, str(args.out), *map(str, args.processors)], check=True, stdout=subprocess.PIPE, text=True)
        result["attribute"] = json.loads(done.stdout.strip().splitlines()[-1])
        import duckdb

        con = duckdb.connect(str(args.out), read_only=True)
        got = {name: int(con.execute(sql).fetchone()[0]) for name, sql in COUNTS.items()}
        con.close()
        result["got"] = got
        result["as_expected"] = got == expected
    result["children_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
