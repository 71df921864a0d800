"""The compiled band keys (``vigil.attribute._bands``) give exactly the Python keys.

``minhash.band_keys`` (one signature, one band at a time) is the reference; it is pinned to
XXH3 in tests/test_minhash.py. ``templates.BandKeys`` uses the C part on a whole batch when it
is built; these tests hold both to the same rows, in the same order, on signatures of every
shape the index meets: full, partly or wholly at the empty value, and for every banding the
thresholds choose.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from vigil.attribute import templates
from vigil.attribute.minhash import MAX_HASH, LshIndex, band_keys, empty_signature, signature, to_bytes
from vigil.attribute.templates import BAND_SCHEMA, BandKeys

pytestmark = pytest.mark.skipif(
    templates._c_band_keys is None,
    reason="the C band keys are not built (pip install -e . builds them with gcc and the Python headers): "
    "only the Python keys run, nothing to compare",
)


def _signatures(rng: np.random.Generator, n: int, num_perm: int = 128) -> np.ndarray:
    matrix = rng.integers(0, 1 << 32, size=(n, num_perm), dtype=np.uint64).astype(np.uint32)
    matrix[rng.random(n) < 0.1] = MAX_HASH  # the empty set's signature: no keys
    partly = rng.random(n) < 0.1
    matrix[partly, : num_perm // 2] = MAX_HASH  # half at the empty value: keys like any other
    matrix[rng.random(n) < 0.05, -1] = MAX_HASH
    return matrix


def _batch(matrix: np.ndarray) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({
        "skeleton_id": pa.array([f"S{i:05d}" for i in range(len(matrix))], pa.string()),
        "minhash": pa.array([to_bytes(row) for row in matrix.tolist()], pa.binary()),
    })  # fmt: skip


@pytest.mark.parametrize("threshold, recall", [(0.9, 0.99), (0.8, 0.99), (0.5, 0.95), (0.3, 0.9), (0.95, None)])
def test_a_batch_gets_the_python_keys_in_the_python_order(threshold: float, recall: float | None) -> None:
    matrix = _signatures(np.random.default_rng(int(threshold * 100)), 700)
    fn = BandKeys(threshold, recall)  # type: ignore[arg-type]
    batch = _batch(matrix)
    got = fn(batch)
    expected = fn.python(batch, matrix)
    assert got.schema == BAND_SCHEMA
    assert got.to_pydict() == expected.to_pydict()
    index = LshIndex.for_threshold(threshold, num_perm=128, recall=recall)
    live = [i for i, row in enumerate(matrix.tolist()) if any(v != MAX_HASH for v in row)]
    assert got.num_rows == len(live) * index.bands  # every live signature has every band, the empty ones none
    assert 0 < len(live) < len(matrix)


def test_the_keys_are_those_of_the_reference_function() -> None:
    sig = signature(["path:div", "class:menu", "script:app.js"])
    for bands, rows in ((32, 4), (1, 1), (128, 1), (1, 128), (9, 14), (2, 3)):
        packed, live = templates._c_band_keys(np.array([sig], dtype="<u4"), 1, 128, bands, rows)
        assert live == b"\x01"
        assert np.frombuffer(packed, dtype=np.int64).tolist() == band_keys(sig, bands=bands, rows=rows)
    packed, live = templates._c_band_keys(np.array([empty_signature()], dtype="<u4"), 1, 128, 32, 4)
    assert live == b"\x00" and band_keys(empty_signature(), bands=32, rows=4) == []


def test_signatures_of_another_width() -> None:
    fn = BandKeys(0.8, 0.99)
    narrow = _signatures(np.random.default_rng(7), 50, num_perm=64)
    assert fn(_batch(narrow)).to_pydict() == fn.python(_batch(narrow), narrow).to_pydict()


@pytest.mark.parametrize("args, what", [
    ((b"\x00" * 12, 1, 4, 1, 4), "not n * num_perm * 4"),  # too short for one signature
    ((b"\x00" * 16, 1, 4, 2, 4), "bands * rows"),  # more values than the signature has
    ((b"\x00" * 16, 1, 4, 0, 4), "bands * rows"),
    ((b"\x00" * 16, -1, 4, 1, 4), "n >= 0"),
    ((b"\x00" * 2048, 1, 512, 1, 257), "rows <="),
])  # fmt: skip
def test_bad_arguments_are_refused_not_read_past(args: tuple[object, ...], what: str) -> None:
    with pytest.raises(ValueError, match=re.escape(what)):
        templates._c_band_keys(*args)
