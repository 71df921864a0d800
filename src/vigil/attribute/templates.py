"""Skeletons → templates, time-ordered (docs/attribution.md), as set steps plus one pure kernel.

1. every skeleton's band keys (pure, per skeleton; an LSH tuned to ``same``) go into a table;
2. candidates: within each LSH bucket, each skeleton meets the ``window`` skeletons seen
   just before it (SQL window functions: no pairwise blow-up in big buckets);
3. similarities of candidate pairs from the MinHash signatures (vectorised numpy); where the
   estimate lies within ``EXACT_MARGIN`` of ``same``, the exact Jaccard of the two feature
   sets (recomputed from one stored page of each skeleton) replaces it;
4. parent = an earlier candidate at or above ``same`` in the oldest template such candidates
   belong to (the most similar of those); roots by pointer jumping (SQL, a few rounds), so a
   template is a tree named by its founding skeleton. A choice depends on the templates of
   earlier skeletons only, so choosing every parent again from the last round's roots until
   no parent changes settles, earliest skeletons first, on the one time-ordered answer;
5. lineage of each founder: steps 1-3 again over founders only, with an LSH tuned to
   ``altered``, keeping the most similar earlier founder in ``[altered, same)``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import pyarrow as pa

from vigil.attribute import minhash
from vigil.attribute.fingerprint import skeleton
from vigil.attribute.minhash import LshIndex, from_bytes, similarities
from vigil.defaults import ALTERED_THRESHOLD, SAME_THRESHOLD
from vigil.store.engine import Engine
from vigil.store.stages import stage


@dataclass(frozen=True)
class TemplateSettings:
    same: float = SAME_THRESHOLD
    altered: float = ALTERED_THRESHOLD
    window: int = 10
    #: the chance that a pair exactly at a threshold becomes an LSH candidate; 0.98, not 0.95:
    #: where loads of a page differ, pairs just above ``same`` are common, and a missed one
    #: founds a template of its own (docs/fingerprint.md)
    recall: float = 0.98

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window: at least 1 earlier skeleton a bucket, not {self.window}")


_SQL_SKELETONS = """
SELECT s.skeleton_id, min(c.captured_at) AS first_seen, any_value(s.minhash) AS minhash
FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
WHERE s.features > 0 AND c.capture_key NOT IN (SELECT capture_key FROM _cover)
GROUP BY s.skeleton_id
"""


def candidates(engine: Engine, bands: str, window: int, *, distinct: bool = True, only: str | None = None) -> None:
    """``_cand_pairs``: each skeleton of table ``bands`` with the ``window`` skeletons before it
    (by first seen, then ID, as ``_skeletons`` says) in each of its buckets, as pairs of ranks
    ``a`` later, ``b`` earlier — distinct, or with ``distinct`` false once for each bucket the
    pair shares. ``_cand_n`` maps the ID of each skeleton in ``bands`` to its rank ``n`` and
    holds its signature (``minhash``). With ``only`` (a table of ``skeleton_id``), only the
    pairs of those later skeletons (positions in a bucket still count every skeleton in it).

    One ordered pass numbers each bucket's skeletons by rank (their position); a skeleton
    then meets, in one equi-join, the skeletons of its own block of ``window`` positions and
    of the block before, and keeps the ``window`` positions just before its own. The work
    grows with the rows, not with a bucket's size squared as a self-join of the bucket would
    (the largest hold tens of thousands of skeletons at the lineage index's threshold), and
    buckets of one skeleton (most of them) leave before the join. Everything is integers:
    ranks (``_cand_n``), not IDs (a join on blocks of 32-hex-digit IDs ran out of DuckDB's
    memory at 10M captures; the pairs stay ranks too). Reading the ``window`` before each
    row with ``lag`` gave the same pairs, 2.5 times slower in the lineage index (window 50:
    a sort, then 50 lags and 50 rows a band row, most of them empty). All bands go in one
    pass: one band at a time, merging each band's pairs with those found so far re-read every
    pair once per band (30 bands in the lineage index).
    """
    engine.materialise("_cand_n", f"""
        SELECT skeleton_id, row_number() OVER (ORDER BY first_seen, skeleton_id) AS n, minhash FROM _skeletons
        WHERE skeleton_id IN (SELECT skeleton_id FROM {bands}) ORDER BY n""")  # fmt: skip
    chosen = f" AND l.n IN (SELECT n FROM _cand_n WHERE skeleton_id IN (SELECT skeleton_id FROM {only}))" if only else ""
    engine.materialise("_cand_pairs", f"""
        WITH r AS (
            SELECT b.band, b.key, x.n, row_number() OVER w - 1 AS pos, count(*) OVER (PARTITION BY b.band, b.key) AS size
            FROM {bands} b JOIN _cand_n x ON x.skeleton_id = b.skeleton_id
            WINDOW w AS (PARTITION BY b.band, b.key ORDER BY x.n)
        ),
        q AS (SELECT band, key, n, pos, pos - pos % {window} AS blk FROM r WHERE size > 1)
        SELECT {"DISTINCT " if distinct else ""}l.n AS a, e.n AS b
        FROM q l JOIN (SELECT band, key, n, pos, blk FROM q UNION ALL SELECT band, key, n, pos, blk + {window} FROM q) e
          ON e.band = l.band AND e.key = l.key AND e.blk = l.blk
        WHERE e.pos < l.pos AND e.pos >= l.pos - {window}{chosen}""")  # fmt: skip


# a skeleton's parent: among its earlier candidates at or above ``same``, one in the oldest
# template (by its founder's first seen, then id) they reach, the most similar of those
SQL_PARENTS = """
SELECT s.skeleton_id, p.b AS parent_id, p.similarity, s.first_seen
FROM $choose s LEFT JOIN (
    SELECT a, b, similarity FROM (
        SELECT c.a, c.b, c.similarity,
               row_number() OVER (PARTITION BY c.a
                                  ORDER BY r.first_seen, l.root_id, c.similarity DESC, e.first_seen, c.b) AS rank
        FROM _pairs c JOIN _skeletons e ON e.skeleton_id = c.b
        JOIN _links l ON l.skeleton_id = c.b JOIN $roots r ON r.skeleton_id = l.root_id
        WHERE c.similarity >= $same
    ) WHERE rank = 1
) p ON p.a = s.skeleton_id
"""

_SQL_JUMP = """
SELECT l.skeleton_id, l.parent_id, l.similarity, l.first_seen,
       CASE WHEN r.root_id IS NULL THEN l.root_id ELSE r.root_id END AS root_id
FROM _links l LEFT JOIN _links r ON r.skeleton_id = l.root_id
"""

SQL_LINEAGE = """
SELECT a AS template_id, b AS lineage_skeleton, similarity AS lineage_similarity FROM (
    SELECT c.a, c.b, c.similarity,
           row_number() OVER (PARTITION BY c.a ORDER BY c.similarity DESC, e.first_seen, c.b) AS rank
    FROM _pairs c JOIN _skeletons e ON e.skeleton_id = c.b
    JOIN _links l ON l.skeleton_id = c.a AND l.parent_id IS NULL
    WHERE c.similarity >= $altered AND c.similarity < $same
) WHERE rank = 1
"""


#: A MinHash estimate this close to ``same`` may fall on the wrong side of it (128
#: permutations: a standard error of about 0.035 at 0.8), so such pairs get their exact Jaccard.
EXACT_MARGIN: Final = 0.1


def lineage_floor(settings: TemplateSettings) -> float:
    """The least estimate the lineage index keeps: lineage reads pairs in ``[altered, same)``."""
    return min(settings.altered, settings.same - EXACT_MARGIN)


_SQL_NEAR = """
WITH near AS (SELECT a, b FROM _pairs WHERE similarity >= $low AND similarity < $high),
one AS (
    SELECT skeleton_id, min(page_sha256) AS page_sha256 FROM page_skeletons
    WHERE skeleton_id IN (SELECT a FROM near UNION SELECT b FROM near) GROUP BY skeleton_id
)
SELECT n.a, n.b, pa.html_zlib AS ha, pb.html_zlib AS hb
FROM near n JOIN one oa ON oa.skeleton_id = n.a JOIN one ob ON ob.skeleton_id = n.b
JOIN pages pa ON pa.page_sha256 = oa.page_sha256 JOIN pages pb ON pb.page_sha256 = ob.page_sha256
"""

BAND_SCHEMA = pa.schema([("skeleton_id", pa.string()), ("band", pa.int32()), ("key", pa.int64())])
_PAIR_SCHEMA = pa.schema([("a", pa.string()), ("b", pa.string()), ("similarity", pa.float64())])
_RANK_PAIR_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("similarity", pa.float64())])


def _signatures(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Signature blobs as an ``(n, num_perm)`` ``uint32`` matrix, read from Arrow's buffers.

    Blobs of one length (as :func:`to_bytes` writes them) are one slice of the data buffer;
    anything else (nulls, mixed lengths) is read blob by blob with :func:`from_bytes`, which
    rejects what is not a signature. Candidate pairs run to millions: one Python object per
    signature cost ~25 µs, the slice ~0.1 µs.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(array)
    if n and not array.null_count and (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        wide = np.int64 if pa.types.is_large_binary(array.type) else np.int32
        offsets = np.frombuffer(array.buffers()[1], dtype=wide)[array.offset : array.offset + n + 1]
        width = int(offsets[1] - offsets[0])
        if width and width % 4 == 0 and int(offsets[-1] - offsets[0]) == n * width and (np.diff(offsets) == width).all():
            data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
            return data.view("<u4").reshape(n, width // 4).astype(np.uint32)
    return np.array([from_bytes(b) for b in array.to_pylist()], dtype=np.uint32).reshape(n, -1)


# The band keys of a whole batch in one call (src/vigil/attribute/_bands.c; optional: without
# it, or with VIGIL_PURE_PYTHON=1 as for the MinHash, the Python loop over signatures and
# bands gives the same keys, ~35x slower).
try:
    from vigil.attribute._bands import band_keys as _c_band_keys
except ImportError:  # not built: no C compiler or no Python headers at install
    _c_band_keys = None  # type: ignore[assignment]


@lru_cache(maxsize=16)
def _index(threshold: float, num_perm: int, recall: float | None) -> LshIndex:
    """The index for a threshold, chosen once (the search takes ~40 ms: as long as a batch's keys in C)."""
    return LshIndex.for_threshold(threshold, num_perm=num_perm, recall=recall)


@dataclass(frozen=True)
class BandKeys:
    """Each skeleton's LSH band keys for an index tuned to ``threshold`` (pure, per row)."""

    threshold: float
    recall: float

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        matrix = _signatures(batch.column("minhash"))
        if _c_band_keys is not None and minhash.USE_C and len(matrix):
            index = _index(self.threshold, matrix.shape[1], self.recall)
            n, bands = len(matrix), index.bands
            packed, alive = _c_band_keys(np.ascontiguousarray(matrix, dtype="<u4"), n, matrix.shape[1], bands, index.rows)
            live = np.flatnonzero(np.frombuffer(alive, dtype=np.uint8))
            return pa.RecordBatch.from_pydict({
                "skeleton_id": batch.column("skeleton_id").take(pa.array(np.repeat(live, bands))),
                "band": pa.array(np.tile(np.arange(bands, dtype=np.int32), len(live))),
                "key": pa.array(np.frombuffer(packed, dtype=np.int64).reshape(n, bands)[live].ravel()),
            }, schema=BAND_SCHEMA)  # fmt: skip
        return self.python(batch, matrix)

    def python(self, batch: pa.RecordBatch, matrix: np.ndarray) -> pa.RecordBatch:
        """The same rows, one signature and one band at a time (the reference; used when the C part is not built)."""
        names = batch.column("skeleton_id").to_pylist()
        keys: list[list[int]] = []
        if len(names):
            index = LshIndex.for_threshold(self.threshold, num_perm=matrix.shape[1], recall=self.recall)
            keys = [index.band_keys(sig) for sig in matrix.tolist()]
        return pa.RecordBatch.from_pydict({
            "skeleton_id": [n for n, ks in zip(names, keys) for _ in ks],
            "band": [i for ks in keys for i in range(len(ks))],
            "key": [k for ks in keys for k in ks],
        }, schema=BAND_SCHEMA)  # fmt: skip


@dataclass(frozen=True)
class PairSimilarity:
    """The estimated Jaccard of each candidate pair of ranks, from both signatures (pure, per
    row); pairs estimated below ``floor`` are dropped (no later step can use them)."""

    floor: float = 0.0

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        left, right = _signatures(batch.column("ma")), _signatures(batch.column("mb"))
        both = np.concatenate([left, right]) if len(left) else np.zeros((0, 0), np.uint32)
        index = np.stack([np.arange(len(left)), np.arange(len(left)) + len(left)], axis=1).astype(np.int64)
        similarity = similarities(both, index) if len(left) else np.empty(0)
        keep = similarity >= self.floor
        mask = pa.array(keep)
        return pa.RecordBatch.from_pydict({"a": batch.column("a").filter(mask), "b": batch.column("b").filter(mask),
                                           "similarity": pa.array(similarity[keep], pa.float64())},
                                          schema=_RANK_PAIR_SCHEMA)  # fmt: skip


def exact_similarity(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The exact Jaccard of each pair's feature sets, from one page of each skeleton (pure, per row)."""
    features: dict[str, frozenset[str]] = {}  # a skeleton recurs in a batch's pairs: read its page once

    def of(name: str, blob: bytes) -> frozenset[str]:
        if name not in features:
            features[name] = skeleton(zlib.decompress(blob)).features
        return features[name]

    names_a, names_b = batch.column("a").to_pylist(), batch.column("b").to_pylist()
    pages_a, pages_b = batch.column("ha").to_pylist(), batch.column("hb").to_pylist()
    similarity = []
    for a, b, ha, hb in zip(names_a, names_b, pages_a, pages_b):
        x, y = of(a, ha), of(b, hb)
        similarity.append(len(x & y) / len(x | y) if x or y else 1.0)
    return pa.RecordBatch.from_pydict({"a": names_a, "b": names_b, "similarity": pa.array(similarity, pa.float64())},
                                      schema=_PAIR_SCHEMA)  # fmt: skip


#: Signatures one join of :func:`estimated_pairs` holds at most: with more skeletons the pairs
#: are estimated in chunks (a range of ranks on either side; ``_cand_n`` is stored in rank order,
#: so a range reads its own rows only), and a chunk's two joins hold about 2 x 512 MB of
#: signatures, within DuckDB's default memory cap. Joins over every signature spilled their
#: probe sides, signatures included: at 10M captures (3.2M founders, 211M lagged rows) the
#: lineage index's spill grew 1.4 GB a minute.
CHUNK_SKELETONS: Final = 1_000_000


def estimated_pairs(engine: Engine, bands: str, window: int, floor: float, *, only: str | None = None,
                    distinct_first: bool = True) -> None:
    """``_pairs``: the distinct candidate pairs (later ``a``, earlier ``b``) of table ``bands``
    with their MinHash estimates, those estimated below ``floor`` left out; needs ``_skeletons``.

    ``only`` as in :func:`candidates`. ``distinct_first`` says where the duplicates (a pair
    found in several buckets) go: before the estimates, where most pairs recur (the main index:
    near-identical skeletons share most of their buckets; at the 100k-capture store 1.12M
    lagged rows, 108k pairs), or after the floor, where a pair rarely recurs and most fall
    below it (the lineage index there: 2.12M lagged rows, 2.01M pairs, of which 0.7 % are
    estimated at 0.5 or more). Deduplicating first would hold every pair in the ``DISTINCT``:
    at 10M captures 200M of them, which spilled tens of gigabytes. The estimates run in
    chunks of :data:`CHUNK_SKELETONS` (the same pairs, whatever the chunks). The candidates
    (``_cand_pairs``, ``_cand_n``) and the chunks are dropped once ``_pairs`` is made.
    """
    candidates(engine, bands, window, distinct=distinct_first, only=only)
    total = int(engine.scalar("signatures", "SELECT count(*) AS n FROM _cand_n") or 0)
    size = CHUNK_SKELETONS
    k = max(1, -(-total // size))
    parts: list[str] = []
    for i in range(k):  # the later skeletons' ranks in (i * size, (i + 1) * size]
        for j in range(i + 1):  # the earlier ones' (b < a: never a later chunk)
            pairs, later, earlier = (f" WHERE {_ranks('a', i)} AND {_ranks('b', j)}", f" WHERE {_ranks('n', i)}",
                                     f" WHERE {_ranks('n', j)}") if k > 1 else ("", "", "")  # fmt: skip
            parts.append(f"_pairs_part_{len(parts)}")
            engine.map_batches(parts[-1], f"""
                SELECT p.a, p.b, ia.minhash AS ma, ib.minhash AS mb FROM (SELECT a, b FROM _cand_pairs{pairs}) p
                JOIN (SELECT n, minhash FROM _cand_n{later}) ia ON ia.n = p.a
                JOIN (SELECT n, minhash FROM _cand_n{earlier}) ib ON ib.n = p.b""",
                PairSimilarity(floor), _RANK_PAIR_SCHEMA, batch_rows=20_000)  # fmt: skip
    found = " UNION ALL ".join(f"SELECT * FROM {part}" for part in parts)  # each pair lies in one chunk: copied once
    engine.materialise("_pairs", f"""
        SELECT {"" if distinct_first else "DISTINCT "}ia.skeleton_id AS a, ib.skeleton_id AS b, p.similarity
        FROM ({found}) p JOIN _cand_n ia ON ia.n = p.a JOIN _cand_n ib ON ib.n = p.b""")  # fmt: skip
    engine.drop("_cand_pairs", "_cand_n", *parts)  # at 10M captures gigabytes of spill no later step reads


def _ranks(column: str, chunk: int) -> str:
    """SQL: ``column`` (a skeleton's rank) lies in chunk ``chunk`` of :data:`CHUNK_SKELETONS` ranks."""
    return f"{column} > {chunk * CHUNK_SKELETONS} AND {column} <= {(chunk + 1) * CHUNK_SKELETONS}"


def candidate_pairs(engine: Engine, bands: str, window: int, same: float, floor: float, *, only: str | None = None,
                    distinct_first: bool = True) -> None:
    """Candidate pairs (later a, earlier b) from the bands in table ``bands``, with similarities, as ``_pairs``.

    Needs ``_skeletons``; pairs whose estimate is within :data:`EXACT_MARGIN` of ``same`` get
    their exact Jaccard (their pages are read from ``pages`` and ``page_skeletons``). Pairs
    estimated below ``floor`` are left out: give the least similarity a later step reads,
    at most ``same - EXACT_MARGIN`` (an estimate below that is never replaced by an exact
    one). ``only`` and ``distinct_first`` as in :func:`estimated_pairs`.
    """
    if floor > same - EXACT_MARGIN:
        raise ValueError(f"floor {floor} is above {same} - {EXACT_MARGIN}: pairs an exact Jaccard could raise would be lost")
    estimated_pairs(engine, bands, window, floor, only=only, distinct_first=distinct_first)
    engine.map_batches("_exact", _SQL_NEAR, exact_similarity, _PAIR_SCHEMA,
                       {"low": same - EXACT_MARGIN, "high": same + EXACT_MARGIN}, batch_rows=2_000)  # fmt: skip
    engine.materialise("_pairs_exact", """
        SELECT p.a, p.b, coalesce(x.similarity, p.similarity) AS similarity
        FROM _pairs p LEFT JOIN _exact x ON x.a = p.a AND x.b = p.b""")  # fmt: skip
    engine.materialise("_pairs", "SELECT * FROM _pairs_exact")


def settle_roots(engine: Engine) -> None:
    """``_links.root_id`` from parent to root by pointer jumping: each round halves every path."""
    for _ in range(64):
        engine.materialise("_links_next", _SQL_JUMP)
        changed = engine.rows("pointer jumping", "SELECT count(*) AS n FROM _links_next n JOIN _links l USING (skeleton_id) WHERE n.root_id <> l.root_id")[0]["n"]
        engine.materialise("_links", "SELECT * FROM _links_next")
        if not changed:
            break


def join_templates(engine: Engine, same: float, *, choose: str = "_skeletons", roots: str = "_skeletons",
                   known: str | None = None) -> None:
    """``_links`` for the skeletons of table ``choose``: parents by :data:`SQL_PARENTS`, roots.

    Needs ``_pairs`` and ``_skeletons``; ``roots`` holds the first seen of every skeleton that
    may found a template, ``known`` (SQL, the columns of ``_links``) skeletons whose parents and
    roots are settled already (an incremental run's known candidates). Every skeleton starts
    as its own root; each round chooses every parent from the roots of the round before and
    settles the roots again, until no parent changes. Every round settles at least the
    earliest skeleton not yet settled, and a settled one never changes again (its candidates
    are earlier), so this ends, in practice in a few rounds.
    """
    also = f" UNION ALL {known}" if known else ""
    engine.materialise("_links", f"SELECT skeleton_id, CAST(NULL AS STRING) AS parent_id, CAST(NULL AS DOUBLE) AS similarity, "
                       f"first_seen, skeleton_id AS root_id FROM {choose}{also}")  # fmt: skip
    sql = SQL_PARENTS.replace("$choose", choose).replace("$roots", roots)
    while True:
        engine.materialise("_links_next", f"SELECT *, coalesce(parent_id, skeleton_id) AS root_id FROM ({sql}) p{also}", {"same": same})
        changed = engine.rows("parents", """SELECT count(*) AS n FROM _links_next n JOIN _links l USING (skeleton_id)
            WHERE coalesce(n.parent_id, '') <> coalesce(l.parent_id, '')""")[0]["n"]  # fmt: skip
        engine.materialise("_links", "SELECT * FROM _links_next")
        settle_roots(engine)
        if not changed:
            break


@stage(reads=("captures", "page_skeletons", "pages", "_cover"),
       writes=("_skeletons", "_bands", "_cand_n", "_cand_pairs", "_pairs", "_pairs_part_*", "_exact",
               "_pairs_exact", "_links", "_links_next", "_founder_bands", "_lineage"),
       drops=("_cand_n", "_cand_pairs", "_pairs_part_*"))  # fmt: skip
def build_templates(engine: Engine, settings: TemplateSettings = TemplateSettings()) -> None:
    """Materialise ``_links`` (skeleton → parent, template root) and ``_lineage``; needs ``_cover``.

    Parents are searched with an LSH tuned to ``same`` over every skeleton; lineage with one
    tuned to ``altered`` over founders only (generic page skeletons collide at low similarity,
    so a low-threshold index over every capture would drown in candidates). Signatures never
    leave the engine: band keys and pair similarities are per-row functions over batches.
    ``_skeletons`` is left with each skeleton's first seen only (its signatures are dropped).
    """
    engine.materialise("_skeletons", _SQL_SKELETONS)
    engine.map_batches("_bands", "SELECT skeleton_id, minhash FROM _skeletons",
                       BandKeys(settings.same, settings.recall), BAND_SCHEMA)  # fmt: skip
    candidate_pairs(engine, "_bands", settings.window, settings.same, settings.same - EXACT_MARGIN)
    join_templates(engine, settings.same)
    engine.map_batches("_founder_bands", "SELECT s.skeleton_id, s.minhash FROM _skeletons s "
                       "JOIN _links l ON l.skeleton_id = s.skeleton_id WHERE l.parent_id IS NULL",
                       BandKeys(settings.altered, settings.recall), BAND_SCHEMA)  # fmt: skip
    candidate_pairs(engine, "_founder_bands", settings.window * 5, settings.same, lineage_floor(settings),
                    distinct_first=False)  # few of its pairs recur, and most fall below the floor
    engine.materialise("_lineage", SQL_LINEAGE, {"same": settings.same, "altered": settings.altered})
    # the signatures are done with (a 10M-capture run holds 6M of them, 3 GB): keep when each skeleton was first seen
    engine.materialise("_skeletons", "SELECT skeleton_id, first_seen FROM _skeletons")
