"""MinHash signatures and LSH banding: near-duplicate templates without all pairs.

Every number here is reproducible with plain 64-bit integer arithmetic, so the same
steps can be written in SQL (DuckDB ``UBIGINT``) or on Spark and give the same values:

* a token's hash is the low 32 bits of XXH3-64 of its UTF-8 bytes (:func:`hash_token`);
* permutation ``i`` is ``h -> ((a_i * h + b_i) mod (2**61 - 1)) & 0xFFFFFFFF`` with
  ``a_i, b_i < 2**32`` taken from BLAKE2b of ``"vigil-minhash:{i}"``
  (:func:`permutations`); ``a_i * h + b_i < 2**64`` never overflows;
* a signature is the per-permutation minimum over the set's hashes; the empty set's
  signature is all ``MAX_HASH`` (:func:`empty_signature`), similar to nothing.

LSH banding cuts a signature into ``bands`` bands of ``rows`` values; two signatures
are *candidates* when some band is equal. The bucket of band ``b`` is named by
:func:`band_keys` (XXH3-64 of the little-endian ``uint32`` values ``[b, v...]``,
63 bits so it fits any signed 64-bit column); in SQL the same step is
``GROUP BY band, <band values>`` (or ``hash(band, values)``) followed by a self-join on
the bucket. :class:`LshIndex` does it in memory with numpy. Candidates are then
checked with :func:`verify`. The chance that a pair of similarity ``s`` becomes a
candidate is ``1 - (1 - s**rows)**bands`` (:func:`candidate_probability`, the S-curve);
:func:`choose_bands` picks ``bands`` and ``rows`` for a threshold.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt
import xxhash

__all__ = [
    "DEFAULT_NUM_PERM",
    "MAX_HASH",
    "MERSENNE_PRIME",
    "LshIndex",
    "band_keys",
    "candidate_probability",
    "choose_bands",
    "empty_signature",
    "exact_jaccard",
    "from_bytes",
    "hash_token",
    "hash_tokens",
    "is_empty",
    "jaccard",
    "permutations",
    "signature",
    "signature_matrix",
    "signature_of_hashes",
    "similarities",
    "to_bytes",
    "verify",
]

DEFAULT_NUM_PERM: Final = 128
MERSENNE_PRIME: Final = (1 << 61) - 1
MAX_HASH: Final = (1 << 32) - 1
_MASK63: Final = (1 << 63) - 1
_CHUNK: Final = 4096  # hashes per numpy block: bounds memory to num_perm * 4096 * 8 bytes

Signature: TypeAlias = tuple[int, ...]
Matrix: TypeAlias = npt.NDArray[np.uint32]


def hash_token(token: str | bytes) -> int:
    """A token's 32-bit hash: the low half of XXH3-64 (seed 0) of its UTF-8 bytes."""
    data = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
    return xxhash.xxh3_64_intdigest(data) & MAX_HASH


@lru_cache(maxsize=16)
def permutations(num_perm: int = DEFAULT_NUM_PERM) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ``(a, b)`` coefficients of the ``num_perm`` permutations; ``1 <= a < 2**32``, ``b < 2**32``."""
    if num_perm < 1:
        raise ValueError(f"num_perm must be at least 1, not {num_perm}")
    a: list[int] = []
    b: list[int] = []
    for i in range(num_perm):
        digest = hashlib.blake2b(f"vigil-minhash:{i}".encode(), digest_size=16).digest()
        a.append(int.from_bytes(digest[:8], "little") % MAX_HASH + 1)
        b.append(int.from_bytes(digest[8:], "little") & MAX_HASH)
    return tuple(a), tuple(b)


@lru_cache(maxsize=16)
def _coefficients(num_perm: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    a, b = permutations(num_perm)
    return np.array(a, dtype=np.uint64)[:, None], np.array(b, dtype=np.uint64)[:, None]


def empty_signature(num_perm: int = DEFAULT_NUM_PERM) -> Signature:
    """The signature of the empty set: all ``MAX_HASH``."""
    return (MAX_HASH,) * num_perm


def is_empty(sig: Sequence[int]) -> bool:
    """True for the empty set's signature (or a zero-length one)."""
    return all(v == MAX_HASH for v in sig)


def signature(tokens: Iterable[str | bytes], *, num_perm: int = DEFAULT_NUM_PERM) -> Signature:
    """The MinHash signature of a set of tokens (duplicates do not matter)."""
    return signature_of_hashes(hash_tokens(tokens), num_perm=num_perm)


def hash_tokens(tokens: Iterable[str | bytes]) -> npt.NDArray[np.uint64]:
    """:func:`hash_token` of each token, as an array (the hashing loop runs in C)."""
    data = [t.encode("utf-8", "surrogatepass") if isinstance(t, str) else t for t in tokens]
    return np.fromiter(map(xxhash.xxh3_64_intdigest, data), dtype=np.uint64, count=len(data)) & np.uint64(MAX_HASH)


def signature_of_hashes(
    hashes: Iterable[int] | npt.NDArray[np.uint64], *, num_perm: int = DEFAULT_NUM_PERM
) -> Signature:
    """The MinHash signature of a set of 32-bit token hashes (see :func:`hash_token`).

    Vectorised: ``num_perm x len(hashes)`` products in blocks of 4096 hashes
    (numpy is ~60x faster than a Python loop at 1,000 hashes, see docs/fingerprint.md).
    ``(a * h + b) % (2**61 - 1)`` is computed without a division: ``a * h + b`` fits
    in 64 bits (all three are below ``2**32``), and modulo a Mersenne prime ``x`` is
    ``(x & p) + (x >> 61)``, which is below ``p`` but for at most 8 values in ``2**61``:
    those are reduced once more, only in a block where they occur (checked by its maximum).
    Duplicate hashes are not removed: they cannot change a minimum.
    """
    values = hashes if isinstance(hashes, np.ndarray) else np.fromiter(hashes, dtype=np.uint64)
    values = values.astype(np.uint64, copy=False) & np.uint64(MAX_HASH)
    if values.size == 0:
        return empty_signature(num_perm)
    a, b = _coefficients(num_perm)
    if USE_C and _c_minhash is not None:  # the same arithmetic in one C loop, ×3-4 on a page's features
        return _c_minhash(np.ascontiguousarray(values), a, b)
    return _signature_numpy(values, a, b, num_perm)


def _signature_numpy(values: npt.NDArray[np.uint64], a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64],
                     num_perm: int) -> Signature:  # fmt: skip
    """:func:`signature_of_hashes` in numpy blocks (the reference for the compiled loop)."""
    prime, shift = np.uint64(MERSENNE_PRIME), np.uint64(61)
    out = np.full(num_perm, MAX_HASH, dtype=np.uint64)
    for start in range(0, values.size, _CHUNK):
        block = a * values[None, start : start + _CHUNK]
        block += b  # < 2**64: no overflow
        high = block >> shift
        block &= prime
        block += high  # congruent, at most 2**61 + 6
        if block.max() >= prime:  # rare (a few values in 2**61): subtract the prime where needed
            block -= (block >= prime).astype(np.uint64) * prime
        np.minimum(out, _low_halves(block).min(axis=1), out=out)
    return tuple(out.tolist())


def _low_halves(block: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """``block & 0xFFFFFFFF`` as ``uint32``: on a little-endian machine a strided view
    of the low words (no pass over the block), elsewhere a masked copy."""
    if _LITTLE:
        return block.view(np.uint32)[:, ::2]
    return (block & np.uint64(MAX_HASH)).astype(np.uint32)


_LITTLE: Final = sys.byteorder == "little"

# The compiled MinHash loop (built with the skeleton walk, src/vigil/attribute/_walk.c; optional).
try:
    from vigil.attribute._walk import minhash as _c_minhash
except ImportError:  # not built: numpy
    _c_minhash = None  # type: ignore[assignment]
#: Whether :func:`signature_of_hashes` uses the compiled loop when it is built (``VIGIL_PURE_PYTHON=1``: numpy).
USE_C: bool = os.environ.get("VIGIL_PURE_PYTHON", "") in ("", "0")


def jaccard(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """The estimated Jaccard similarity: the share of equal values; 0 when either set is empty."""
    if len(sig_a) != len(sig_b):
        raise ValueError(f"signatures of different lengths: {len(sig_a)} and {len(sig_b)}")
    if not sig_a or is_empty(sig_a) or is_empty(sig_b):
        return 0.0
    return sum(1 for x, y in zip(sig_a, sig_b) if x == y) / len(sig_a)


def verify(sig_a: Sequence[int], sig_b: Sequence[int], threshold: float) -> bool:
    """True when the estimated Jaccard similarity reaches ``threshold``."""
    return jaccard(sig_a, sig_b) >= threshold


def similarities(
    signatures: Sequence[Sequence[int]] | Matrix, pairs: npt.NDArray[np.int64] | Sequence[tuple[int, int]]
) -> npt.NDArray[np.float64]:
    """The estimated Jaccard of each pair ``(i, j)`` of rows: :func:`jaccard`, vectorised.

    For checking LSH candidates in bulk (``similarities(m, pairs) >= threshold``).
    """
    matrix = signature_matrix(signatures)
    index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(index), dtype=np.float64)
    empty = (matrix == MAX_HASH).all(axis=1)
    for start in range(0, len(index), 65_536):
        left, right = index[start : start + 65_536, 0], index[start : start + 65_536, 1]
        same = (matrix[left] == matrix[right]).mean(axis=1) if matrix.shape[1] else 0.0
        out[start : start + 65_536] = np.where(empty[left] | empty[right], 0.0, same)
    return out


def exact_jaccard(a: AbstractSet[object], b: AbstractSet[object]) -> float:
    """The Jaccard similarity of two sets; 0 when both are empty (as for signatures)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def to_bytes(sig: Sequence[int]) -> bytes:
    """A signature as little-endian ``uint32`` bytes (4 bytes a value)."""
    return np.asarray(sig, dtype="<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    """The inverse of :func:`to_bytes`."""
    if len(data) % 4:
        raise ValueError(f"a signature is a multiple of 4 bytes, not {len(data)}")
    return tuple(np.frombuffer(data, dtype="<u4").tolist())


def signature_matrix(signatures: Sequence[Sequence[int]] | Matrix, num_perm: int | None = None) -> Matrix:
    """Signatures as an ``(n, num_perm)`` ``uint32`` array (bytes are read with :func:`from_bytes`)."""
    if isinstance(signatures, np.ndarray):
        matrix = signatures.astype(np.uint32, copy=False)
    else:
        rows = [from_bytes(s) if isinstance(s, bytes) else s for s in signatures]
        matrix = np.array(rows, dtype=np.uint32) if rows else np.empty((0, num_perm or 0), dtype=np.uint32)
    if matrix.ndim != 2:
        raise ValueError("signatures must be a sequence of equal-length signatures")
    if num_perm is not None and matrix.shape[1] != num_perm:
        raise ValueError(f"signatures have {matrix.shape[1]} values, the index expects {num_perm}")
    return matrix


def candidate_probability(similarity: float, *, bands: int, rows: int) -> float:
    """The chance that a pair of Jaccard ``similarity`` shares a band: ``1 - (1 - s**r)**b``."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def choose_bands(
    threshold: float,
    *,
    num_perm: int = DEFAULT_NUM_PERM,
    recall: float | None = None,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """``(bands, rows)``, ``bands * rows <= num_perm``, for a similarity ``threshold``.

    The false-positive error is the area under the S-curve below ``threshold``, the
    false-negative error the area above it (integrated numerically). Without
    ``recall``, the weighted sum is minimised (as datasketch does, with the same
    results). With ``recall``, a pair *at* the threshold must become a candidate with
    at least that probability, and the false-positive area is minimised among those.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    if recall is not None and not 0.0 < recall < 1.0:
        raise ValueError(f"recall must be between 0 and 1, not {recall}")
    low = np.linspace(0.0, threshold, 501)
    high = np.linspace(threshold, 1.0, 501)
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = float(np.trapezoid(1.0 - (1.0 - low**rows) ** bands, low))
            if recall is None:
                fn = float(np.trapezoid((1.0 - high**rows) ** bands, high))
                error = false_positive_weight * fp + false_negative_weight * fn
            elif candidate_probability(threshold, bands=bands, rows=rows) >= recall:
                error = fp
            else:
                continue
            if best is None or error < best[0] - 1e-12:
                best = (error, bands, rows)
    if best is None:
        raise ValueError(f"no banding of {num_perm} values reaches recall {recall} at {threshold}")
    return best[1], best[2]


def band_keys(sig: Sequence[int], *, bands: int, rows: int) -> list[int]:
    """The bucket key of each band: XXH3-64 of ``uint32`` LE ``[band, values...]``, 63 bits.

    Pure and stable across runs and machines; the empty signature has no keys
    (pages with no structure are similar to nothing).
    """
    if bands * rows > len(sig):
        raise ValueError(f"{bands} bands of {rows} rows need {bands * rows} values, the signature has {len(sig)}")
    if is_empty(sig):
        return []
    pack = struct.Struct(f"<{rows + 1}I").pack
    return [xxhash.xxh3_64_intdigest(pack(b, *sig[b * rows : (b + 1) * rows])) & _MASK63 for b in range(bands)]


class LshIndex:
    """LSH banding over MinHash signatures: ``bands`` bands of ``rows`` values each."""

    def __init__(self, num_perm: int = DEFAULT_NUM_PERM, bands: int = 32, rows: int = 4) -> None:
        if bands < 1 or rows < 1 or bands * rows > num_perm:
            raise ValueError(f"need 1 <= bands * rows <= num_perm, got {bands} * {rows} and {num_perm}")
        self.num_perm = num_perm
        self.bands = bands
        self.rows = rows

    @classmethod
    def for_threshold(
        cls,
        threshold: float,
        *,
        num_perm: int = DEFAULT_NUM_PERM,
        recall: float | None = None,
        false_positive_weight: float = 0.5,
        false_negative_weight: float = 0.5,
    ) -> LshIndex:
        """An index whose S-curve suits ``threshold`` (see :func:`choose_bands`)."""
        bands, rows = choose_bands(
            threshold,
            num_perm=num_perm,
            recall=recall,
            false_positive_weight=false_positive_weight,
            false_negative_weight=false_negative_weight,
        )
        return cls(num_perm, bands, rows)

    def __repr__(self) -> str:
        return f"LshIndex(num_perm={self.num_perm}, bands={self.bands}, rows={self.rows})"

    @property
    def threshold(self) -> float:
        """Where the S-curve is steepest, about ``(1 / bands) ** (1 / rows)``."""
        return float((1.0 / self.bands) ** (1.0 / self.rows))

    def probability(self, similarity: float) -> float:
        """The chance that a pair of this similarity becomes a candidate."""
        return candidate_probability(similarity, bands=self.bands, rows=self.rows)

    def band_keys(self, sig: Sequence[int]) -> list[int]:
        """The bucket keys of one signature (see :func:`band_keys`)."""
        return band_keys(sig, bands=self.bands, rows=self.rows)

    def candidates(self, signatures: Sequence[Sequence[int]] | Matrix) -> Iterator[tuple[int, int]]:
        """Each pair ``(i, j)``, ``i < j``, of positions sharing a band, once, in sorted order."""
        return ((i, j) for i, j in self.candidate_array(signatures).tolist())

    def candidate_array(self, signatures: Sequence[Sequence[int]] | Matrix) -> npt.NDArray[np.int64]:
        """The candidate pairs as an ``(k, 2)`` array, rows ``(i, j)`` with ``i < j``, sorted.

        Per band, signatures are sorted so that equal band values are adjacent, and
        runs of equal values are buckets (an exact ``GROUP BY``); pairs are enumerated
        within each bucket, then deduplicated across bands.
        A bucket of ``m`` signatures yields ``m * (m - 1) / 2`` pairs: give the index
        distinct templates (one per ``template_id``), not every capture.
        """
        matrix = signature_matrix(signatures, self.num_perm)
        n = matrix.shape[0]
        keep = np.flatnonzero((matrix != MAX_HASH).any(axis=1))  # empty pages match nothing
        live = matrix[keep] if len(keep) < n else matrix
        codes: list[npt.NDArray[np.int64]] = []
        for band in range(self.bands):
            block = live[:, band * self.rows : (band + 1) * self.rows]
            order, group = _buckets(block)
            codes.extend(_bucket_pairs(group, keep[order], n))
        if not codes:
            return np.empty((0, 2), dtype=np.int64)
        unique = np.unique(np.concatenate(codes))
        return np.column_stack((unique // max(n, 1), unique % max(n, 1))).astype(np.int64)


_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)


def _buckets(block: Matrix) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """An order of the rows that puts equal rows together, and each row's run number.

    Rows are sorted by a 64-bit mix of their values (one ``argsort``, ~3x faster than
    ``lexsort`` on the columns); if two different rows ever share a mix, the band is
    sorted by its values instead, so buckets are always exactly the equal rows.
    """
    keys = np.zeros(len(block), dtype=np.uint64)
    for column in block.T:
        keys ^= column.astype(np.uint64)
        keys *= _GOLDEN
        keys ^= keys >> np.uint64(29)
    order = np.argsort(keys, kind="stable")
    ordered_keys, ordered = keys[order], block[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = ordered_keys[1:] != ordered_keys[:-1]
    group = np.cumsum(starts)
    if not (ordered == ordered[np.flatnonzero(starts)[group - 1]]).all():  # a 64-bit collision
        order = np.lexsort(block.T[::-1])
        ordered = block[order]
        starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
        group = np.cumsum(starts)
    return order, group


def _bucket_pairs(group: npt.NDArray[np.int64], members: npt.NDArray[np.int64], n: int) -> list[npt.NDArray[np.int64]]:
    """Pair codes ``i * n + j`` (``i < j``) of members in the same run of ``group``.

    Step ``d`` pairs each position with the one ``d`` places on in the same bucket,
    keeping only positions that still have such a partner: work is linear in pairs.
    """
    out: list[npt.NDArray[np.int64]] = []
    size = len(group)
    positions = np.arange(size - 1, dtype=np.int64)
    step = 1
    while positions.size:
        partner = positions + step
        positions = positions[partner < size]
        partner = positions + step
        positions = positions[group[partner] == group[positions]]
        if not positions.size:
            break
        left, right = members[positions], members[positions + step]
        low, high = np.minimum(left, right), np.maximum(left, right)
        out.append(low.astype(np.int64) * n + high)
        step += 1
    return out
