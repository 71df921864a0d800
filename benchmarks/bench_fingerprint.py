"""Benchmark: template fingerprints and LSH candidates, beside datasketch.

    .venv/bin/python benchmarks/bench_fingerprint.py [--pages 1000] [--sizes 10000 100000] [--seed 7]

Four measurements, all on synthetic data (neutral pages under .test / .example):

1. **fingerprint** — captures/s of :func:`vigil.attribute.fingerprint.fingerprint` on
   typical pages (~19–38 KB, mean ~27 KB) from the template generator in
   ``tests/test_fingerprint.py``, split into tokenizing/features and MinHash.
2. **signature** — one 200-token MinHash: Vigil's numpy version, a pure-Python
   loop over the same definition, and ``datasketch.MinHash.update_batch``.
3. **LSH on planted sets** — for each ``--sizes`` n: n signatures of random token
   sets in clusters with known exact Jaccard; candidate generation time and recall
   (true pairs ≥ threshold that became candidates) for Vigil's :class:`LshIndex`
   and datasketch's ``MinHashLSH`` (insert + query) with the *same* bands and rows,
   so both find exactly the same candidates (equal recall) and only time differs.
4. **LSH on pages** — the same on fingerprints of ``--pages`` generated captures
   (families with rotations and redesigns), where unrelated templates share a
   generic skeleton (~0.2 similarity): what candidate volume looks like.

Needs numpy and xxhash (runtime) and datasketch (this script only). Prints a table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
try:
    import vigil  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from test_fingerprint import Family, altered  # the page generator

from vigil.attribute.fingerprint import fingerprint, skeleton
from vigil.attribute.minhash import (
    MAX_HASH,
    MERSENNE_PRIME,
    LshIndex,
    hash_token,
    permutations,
    signature,
    signature_of_hashes,
    similarities,
)

THRESHOLDS = ((0.8, "same template"), (0.5, "altered"))


def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_fingerprint(n: int, seed: int) -> None:
    rng = random.Random(seed)
    pages = [Family.make(seed * 10_000 + i % 200).capture(rng) for i in range(n)]
    size = sum(len(p) for p in pages) / n
    features = [sorted(skeleton(p).features) for p in pages[:200]]
    total = best_of(3, lambda: [fingerprint(p) for p in pages])
    walk = best_of(3, lambda: [skeleton(p) for p in pages])
    mh = best_of(3, lambda: [signature(f) for f in features]) / len(features) * n
    print(
        f"\n## fingerprint: {n} pages, mean {size / 1000:.1f} KB, mean {np.mean([len(f) for f in features]):.0f} features"
    )
    print(f"fingerprint       {n / total:8.0f} captures/s   {total / n * 1000:6.2f} ms/capture")
    print(f"  skeleton        {n / walk:8.0f} captures/s   {walk / n * 1000:6.2f} ms/capture")
    print(f"  minhash (128)   {n / mh:8.0f} captures/s   {mh / n * 1000:6.2f} ms/capture")


def bench_signature(seed: int) -> None:
    rng = random.Random(seed)
    tokens = [f"path:div.x{rng.randrange(10**9)}" for _ in range(200)]
    hashes = [hash_token(t) for t in tokens]
    a, b = permutations(128)

    def python_loop() -> tuple[int, ...]:
        return tuple(min(((ai * h + bi) % MERSENNE_PRIME) & MAX_HASH for h in hashes) for ai, bi in zip(a, b))

    assert python_loop() == signature_of_hashes(hashes)
    rows = [("vigil numpy", lambda: signature(tokens)), ("pure-python loop", python_loop)]
    try:
        import datasketch

        encoded = [t.encode() for t in tokens]

        def ds() -> None:
            m = datasketch.MinHash(num_perm=128)
            m.update_batch(encoded)

        rows.append(("datasketch update_batch", ds))
    except ImportError:
        pass
    print("\n## one MinHash of 200 tokens, 128 permutations")
    for name, fn in rows:
        t = best_of(5, lambda fn=fn: [fn() for _ in range(200)]) / 200
        print(f"{name:24s} {t * 1e6:9.1f} µs")


def planted(n: int, seed: int) -> tuple[np.ndarray, list[list[int]], list[set[int]]]:
    """n signatures in clusters of 1–6 sets with spread similarities, the clusters, the sets."""
    rng = np.random.default_rng(seed)
    sets: list[np.ndarray] = []
    clusters: list[list[int]] = []
    while len(sets) < n:
        base = rng.integers(0, 1 << 32, size=int(rng.integers(80, 250)), dtype=np.uint64)
        members = [base]
        for _ in range(int(rng.integers(0, 6))):
            kept = rng.choice(base, size=round(len(base) * rng.uniform(0.3, 1.0)), replace=False)
            fresh = rng.integers(0, 1 << 32, size=len(base) - len(kept), dtype=np.uint64)
            members.append(np.concatenate([kept, fresh]))
        members = members[: n - len(sets)]
        clusters.append(list(range(len(sets), len(sets) + len(members))))
        sets.extend(members)
    matrix = np.array([signature_of_hashes(s) for s in sets], dtype=np.uint32)
    return matrix, clusters, [set(s.tolist()) for s in sets]


def true_pairs(clusters: Sequence[Sequence[int]], sets: Sequence[set[int]], threshold: float) -> set[tuple[int, int]]:
    pairs = set()
    for members in clusters:
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                union = len(sets[i] | sets[j])
                if union and len(sets[i] & sets[j]) / union >= threshold:
                    pairs.add((i, j))
    return pairs


def bench_lsh(label: str, matrix: np.ndarray, truth: dict[float, set[tuple[int, int]]]) -> None:
    try:
        import datasketch
    except ImportError:
        datasketch = None
    n = len(matrix)
    print(f"\n## LSH on {label}: {n} signatures")
    print(
        f"{'threshold':>9} {'b x r':>7} {'true':>8} {'candidates':>11} {'verified':>9} {'recall':>7} "
        f"{'vigil s':>8} {'verify s':>9} {'datasketch s':>13} {'same pairs':>10}"
    )
    for threshold, _ in THRESHOLDS:
        index = LshIndex.for_threshold(threshold, recall=0.95)
        start = time.perf_counter()
        pairs = index.candidate_array(matrix)
        ours = time.perf_counter() - start
        found = set(map(tuple, pairs.tolist()))
        start = time.perf_counter()
        kept = int((similarities(matrix, pairs) >= threshold).sum())
        check = time.perf_counter() - start
        recall = len(truth[threshold] & found) / max(1, len(truth[threshold]))
        theirs, same = float("nan"), "-"
        if datasketch is not None:
            sketches = [
                datasketch.MinHash(num_perm=128, hashvalues=row.astype(np.uint64), scheme="legacy") for row in matrix
            ]
            start = time.perf_counter()
            lsh = datasketch.MinHashLSH(num_perm=128, params=(index.bands, index.rows))
            for i, sketch in enumerate(sketches):
                lsh.insert(i, sketch)
            got = {(min(i, j), max(i, j)) for i, sketch in enumerate(sketches) for j in lsh.query(sketch) if i != j}
            theirs = time.perf_counter() - start
            same = "yes" if got == found else "NO"
        print(
            f"{threshold:9.1f} {index.bands:>3}x{index.rows:<3} {len(truth[threshold]):8d} {len(found):11d} "
            f"{kept:9d} {recall:7.3f} {ours:8.2f} {check:9.2f} {theirs:13.2f} {same:>10}"
        )


def bench_pages(n: int, seed: int) -> None:
    rng = random.Random(seed)
    pages: list[str] = []
    clusters: list[list[int]] = []
    family_id = 0
    while len(pages) < n:
        family = Family.make(seed * 1_000_000 + family_id)
        family_id += 1
        variants = [family] * rng.randint(1, 4) + [
            altered(family, rng.randrange(10**6), rng.randint(1, 3)) for _ in range(rng.randint(0, 2))
        ]
        start = len(pages)
        pages.extend(v.capture(rng) for v in variants[: n - len(pages)])
        clusters.append(list(range(start, len(pages))))
    start = time.perf_counter()
    feats = [skeleton(p).features for p in pages]
    templates = [fingerprint(p) for p in pages]
    print(f"\n(fingerprinted {n} pages in {time.perf_counter() - start:.1f} s, twice: features and templates)")
    matrix = np.array([t.minhash for t in templates], dtype=np.uint32)
    truth = {}
    for threshold, _ in THRESHOLDS:
        # Exact Jaccard over all pairs is too slow in Python; within a family is where
        # pairs above 0.5 live (different templates stay below 0.35 in the tests).
        truth[threshold] = true_pairs(clusters, feats, threshold)
    bench_lsh(f"page fingerprints ({family_id} templates)", matrix, truth)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="captures to fingerprint (default 1000)")
    parser.add_argument("--lsh-pages", type=int, default=5000, help="captures for the LSH-on-pages run (0: skip)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000], help="planted signature counts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    bench_fingerprint(args.pages, args.seed)
    bench_signature(args.seed)
    for size in args.sizes:
        start = time.perf_counter()
        matrix, clusters, sets = planted(size, args.seed)
        truth = {t: true_pairs(clusters, sets, t) for t, _ in THRESHOLDS}
        print(f"\n(planted {size} signatures in {time.perf_counter() - start:.1f} s)")
        bench_lsh("planted sets", matrix, truth)
    if args.lsh_pages:
        bench_pages(args.lsh_pages, args.seed)


if __name__ == "__main__":
    main()
