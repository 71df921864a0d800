"""Base58Check, Bech32/Bech32m, Keccak-256 and EIP-55, against the outside vectors.

The vectors are read in place from shared/vectors (see conftest.py); each suite
records passes/total and must pass in full.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.attribute import crypto
from vigil.attribute.crypto import (
    b58check_decode,
    b58check_encode,
    b58decode,
    b58encode,
    bech32_decode,
    clean_btc_address,
    clean_eth_address,
    decode_btc_address,
    eth_checksum_address,
    is_eth_checksum_address,
    keccak256,
    segwit_decode,
    segwit_encode,
)

Score = Callable[[str, int, int], None]


def _escaped_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a bitcoin/ TSV, each field unescaped (\\xNN, \\t, \\x20...) as SOURCE.md says."""
    lines = path.read_text("ascii").split("\n")
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if line:
            fields = [codecs.escape_decode(f.encode("ascii"))[0].decode("latin-1") for f in line.split("\t")]
            rows.append(dict(zip(header, fields)))
    return rows


def _plain_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


# --------------------------------------------------------------------------- outside vectors


def test_base58_encode_decode_vectors(vectors_dir: Path, vector_score: Score) -> None:
    rows = _escaped_tsv(vectors_dir / "bitcoin" / "base58_encode_decode.tsv")
    passed = sum(
        b58encode(bytes.fromhex(r["hex"])) == r["base58"] and b58decode(r["base58"]) == bytes.fromhex(r["hex"])
        for r in rows
    )
    vector_score("bitcoin base58_encode_decode", passed, len(rows))
    assert passed == len(rows) == 21


def test_bech32_string_vectors(vectors_dir: Path, vector_score: Score) -> None:
    """Valid strings decode under their own encoding; invalid ones do not (BIP-173/350)."""
    rows = _escaped_tsv(vectors_dir / "bitcoin" / "bech32_string_vectors.tsv")
    passed = 0
    for row in rows:
        decoded = bech32_decode(row["string"])
        if row["expected"] == "valid":
            passed += decoded is not None and decoded[2] == row["encoding"]
        else:
            passed += decoded is None or decoded[2] != row["encoding"]
    vector_score("bitcoin bech32_string_vectors", passed, len(rows))
    assert passed == len(rows) == 40


def test_segwit_address_vectors(vectors_dir: Path, vector_score: Score) -> None:
    """Under BIP-350: valid addresses give the stated scriptPubKey, the rest are rejected."""
    rows = _escaped_tsv(vectors_dir / "bitcoin" / "segwit_address_vectors.tsv")
    passed = 0
    for row in rows:
        decoded = decode_btc_address(row["address"])
        if row["expected_bip350"] == "valid":
            passed += decoded is not None and decoded.script_pubkey.hex() == row["scriptpubkey_hex"]
        else:
            passed += decoded is None
    vector_score("bitcoin segwit_address_vectors", passed, len(rows))
    assert passed == len(rows) == 34


def test_key_io_valid_vectors(vectors_dir: Path, vector_score: Score) -> None:
    """Every address decodes to its scriptPubKey (also case-flipped when allowed); WIF keys are not addresses."""
    rows = _escaped_tsv(vectors_dir / "bitcoin" / "key_io_valid.tsv")
    passed = 0
    for row in rows:
        decoded = decode_btc_address(row["string"])
        if row["kind"] != "address":
            passed += decoded is None
            continue
        ok = decoded is not None and decoded.script_pubkey.hex() == row["hex(scriptPubKey|privkey)"]
        if ok and row["tryCaseFlip"] == "true":
            flipped = decode_btc_address(row["string"].swapcase())
            ok = flipped is not None and decoded is not None and flipped.script_pubkey == decoded.script_pubkey
        passed += ok
    vector_score("bitcoin key_io_valid", passed, len(rows))
    assert passed == len(rows) == 70


def test_key_io_invalid_vectors(vectors_dir: Path, vector_score: Score) -> None:
    rows = _escaped_tsv(vectors_dir / "bitcoin" / "key_io_invalid.tsv")
    passed = sum(decode_btc_address(row["string"]) is None for row in rows)
    vector_score("bitcoin key_io_invalid", passed, len(rows))
    assert passed == len(rows) == 79


def test_eip55_vectors(vectors_dir: Path, vector_score: Score) -> None:
    """is_checksum_address: exactly the EIP-55 form; to_checksum_address: the EIP-55 form of any case."""
    rows = _plain_tsv(vectors_dir / "ethereum" / "eip55_cases.tsv")
    passed = 0
    for row in rows:
        if row["check"] == "is_checksum_address":
            passed += is_eth_checksum_address(row["input"]) == (row["expected"] == "true")
        else:
            passed += eth_checksum_address(row["input"]) == row["expected_checksummed"]
    vector_score("ethereum eip55_cases", passed, len(rows))
    assert passed == len(rows) == 25


# --------------------------------------------------------------------------- Keccak


def test_keccak256_known_digests() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_keccak256_is_not_sha3() -> None:
    assert keccak256(b"abc") != hashlib.sha3_256(b"abc").digest()


@given(st.binary(max_size=600))
def test_keccak_permutation_matches_hashlib_sha3(data: bytes) -> None:
    """SHA3-256 is the same sponge with padding 0x06: checks Keccak-f on 0 to 5 blocks."""
    assert crypto._sponge(data, rate=136, pad=0x06, out_len=32) == hashlib.sha3_256(data).digest()


# --------------------------------------------------------------------------- round trips and cleaning


@given(st.binary(max_size=60))
def test_base58check_round_trip(payload: bytes) -> None:
    assert b58check_decode(b58check_encode(payload)) == payload


@given(st.binary(min_size=1, max_size=60), st.integers(min_value=0, max_value=59))
def test_base58check_detects_a_changed_character(payload: bytes, where: int) -> None:
    encoded = b58check_encode(payload)
    i = where % len(encoded)
    changed = encoded[:i] + ("2" if encoded[i] != "2" else "3") + encoded[i + 1 :]
    assert b58check_decode(changed) != payload or changed == encoded


@given(
    st.sampled_from(["bc", "tb", "bcrt"]),
    st.integers(min_value=0, max_value=16),
    st.binary(min_size=2, max_size=40),
)
def test_segwit_round_trip(hrp: str, version: int, program: bytes) -> None:
    encoded = segwit_encode(hrp, version, program)
    if version == 0 and len(program) not in (20, 32):
        assert encoded is None
    else:
        assert encoded is not None and segwit_decode(hrp, encoded) == (version, program)
        assert segwit_decode(hrp, encoded.upper()) == (version, program)


@given(st.text(max_size=120))
def test_decoders_never_raise(text: str) -> None:
    b58decode(text)
    b58check_decode(text)
    bech32_decode(text)
    decode_btc_address(text)
    clean_btc_address(text)
    clean_eth_address(text)
    eth_checksum_address(text)


MAIN_P2PKH = b58check_encode(b"\x00" + bytes(range(1, 21)))
TEST_P2SH = b58check_encode(b"\xc4" + bytes(range(1, 21)))
REGTEST_V0 = segwit_encode("bcrt", 0, bytes(20))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (MAIN_P2PKH, MAIN_P2PKH),
        (f"  {MAIN_P2PKH} ", MAIN_P2PKH),
        (TEST_P2SH, TEST_P2SH),
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        (REGTEST_V0, None),  # regtest is not a network anyone pays on
        (MAIN_P2PKH[:-1] + ("a" if MAIN_P2PKH[-1] != "a" else "b"), None),
        (b58check_encode(b"\x80" + bytes(32)), None),  # a WIF private key, not an address
        ("", None),
    ],
)
def test_clean_btc_address(raw: str, expected: str | None) -> None:
    assert clean_btc_address(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
        ("0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
        ("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
        ("0xFb6916095ca1df60bB79Ce92cE3Ea74c37c5d359", None),  # mixed case, checksum fails
        ("fb6916095ca1df60bb79ce92ce3ea74c37c5d359", None),  # no 0x
        ("0x" + "0" * 40, None),  # the zero address is a placeholder
        ("0x" + "g" * 40, None),
        ("0x" + "a" * 41, None),
    ],
)
def test_clean_eth_address(raw: str, expected: str | None) -> None:
    assert clean_eth_address(raw) == expected
