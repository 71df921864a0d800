"""Checksums for virtual-currency addresses: Base58Check, Bech32/Bech32m and EIP-55.

Everything here is written from the specifications, with no third-party package:

* **Base58Check** (Bitcoin's legacy P2PKH and P2SH addresses): the Base58 alphabet,
  a one-byte version and a 4-byte double-SHA-256 checksum (``hashlib.sha256``).
* **Bech32 / Bech32m** (BIP-173, BIP-350): witness version 0 uses Bech32, versions
  1 to 16 use Bech32m; a string valid under one constant is invalid under the other.
* **EIP-55** mixed-case checksums for Ethereum addresses, which need Keccak-256.
  Keccak-256 is *not* ``hashlib.sha3_256`` (FIPS 202 changed the padding byte from
  0x01 to 0x06), so :func:`keccak256` is a small pure-Python Keccak-f[1600]. We chose
  that over ``pycryptodome`` or ``eth-hash`` to keep a C-extension dependency out for
  one hash of 40 bytes per address; the tests check the permutation against
  ``hashlib.sha3_256`` (same permutation, other padding) and the EIP-55 vectors.

Every decoder returns ``None`` on anything it does not accept and never raises.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "BtcAddress",
    "b58check_decode",
    "b58check_encode",
    "b58decode",
    "b58encode",
    "bech32_decode",
    "bech32_encode",
    "clean_btc_address",
    "clean_eth_address",
    "decode_btc_address",
    "eth_checksum_address",
    "is_eth_checksum_address",
    "keccak256",
    "segwit_decode",
    "segwit_encode",
]

Network = Literal["main", "test", "regtest"]
Encoding = Literal["bech32", "bech32m"]

# --------------------------------------------------------------------------- Base58

B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(B58_ALPHABET)}
#: Longest Base58 string decoded by default (big-integer work grows with the square).
B58_MAX_LENGTH: Final = 1024


def b58encode(data: bytes) -> str:
    """Base58-encode ``data``; each leading zero byte becomes a leading ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(B58_ALPHABET[rest])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str, *, max_length: int = B58_MAX_LENGTH) -> bytes | None:
    """Decode a Base58 string; ``None`` on a character outside the alphabet or over ``max_length``."""
    if len(text) > max_length:
        return None
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def b58check_encode(payload: bytes) -> str:
    """Base58Check: ``payload`` followed by its 4-byte double-SHA-256 checksum."""
    return b58encode(payload + _checksum(payload))


def b58check_decode(text: str) -> bytes | None:
    """The payload of a Base58Check string, or ``None`` when the checksum fails."""
    raw = b58decode(text)
    if raw is None or len(raw) < 4:
        return None
    payload, check = raw[:-4], raw[-4:]
    return payload if _checksum(payload) == check else None


# --------------------------------------------------------------------------- Bech32

BECH32_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX: Final = {c: i for i, c in enumerate(BECH32_CHARSET)}
_BECH32_CONST: Final = {"bech32": 1, "bech32m": 0x2BC830A3}
_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_encode(hrp: str, data: list[int], encoding: Encoding) -> str:
    """Encode 5-bit ``data`` under ``hrp`` with the Bech32 or Bech32m checksum."""
    values = _hrp_expand(hrp) + data
    polymod = _polymod(values + [0] * 6) ^ _BECH32_CONST[encoding]
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


def bech32_decode(text: str) -> tuple[str, list[int], Encoding] | None:
    """Split a Bech32/Bech32m string into (hrp, 5-bit data, encoding), per BIP-173/350.

    Rejects mixed case, characters outside 33..126, strings over 90 characters, an
    empty human-readable part, fewer than 6 checksum characters and a bad checksum.
    """
    if len(text) > 90 or any(not 33 <= ord(c) <= 126 for c in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        return None
    data: list[int] = []
    for char in text[pos + 1 :]:
        digit = _BECH32_INDEX.get(char)
        if digit is None:
            return None
        data.append(digit)
    hrp = text[:pos]
    const = _polymod(_hrp_expand(hrp) + data)
    for encoding, expected in _BECH32_CONST.items():
        if const == expected:
            return hrp, data[:-6], encoding  # type: ignore[return-value]
    return None


def _convert_bits(data: list[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int] | None:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            return None
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def segwit_decode(hrp: str, address: str) -> tuple[int, bytes] | None:
    """(witness version, program) of a segwit address under ``hrp``, per BIP-350."""
    decoded = bech32_decode(address)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return None
    _, data, encoding = decoded
    version = data[0]
    program = _convert_bits(data[1:], 5, 8, pad=False)
    if program is None or not 2 <= len(program) <= 40 or version > 16:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    if encoding != ("bech32" if version == 0 else "bech32m"):
        return None
    return version, bytes(program)


def segwit_encode(hrp: str, version: int, program: bytes) -> str | None:
    """Encode a segwit address; ``None`` when the result would not decode."""
    bits = _convert_bits(list(program), 8, 5, pad=True)
    if bits is None:
        return None
    address = bech32_encode(hrp, [version] + bits, "bech32" if version == 0 else "bech32m")
    return address if segwit_decode(hrp, address) else None


# --------------------------------------------------------------------------- Bitcoin

#: Base58 version bytes: (network, script kind). Testnet, testnet4, signet and
#: regtest share the "test" versions, so a Base58 address cannot tell them apart.
_B58_VERSIONS: Final[dict[int, tuple[Network, str]]] = {
    0x00: ("main", "p2pkh"),
    0x05: ("main", "p2sh"),
    0x6F: ("test", "p2pkh"),
    0xC4: ("test", "p2sh"),
}
_HRPS: Final[dict[str, Network]] = {"bc": "main", "tb": "test", "bcrt": "regtest"}


@dataclass(frozen=True, slots=True)
class BtcAddress:
    """A decoded Bitcoin address."""

    address: str  # normalised: Base58 as given, Bech32 lower-case
    network: Network
    kind: str  # p2pkh, p2sh, or segwit
    witness_version: int | None
    program: bytes  # hash160 for p2pkh/p2sh, witness program for segwit

    @property
    def script_pubkey(self) -> bytes:
        """The output script this address pays to."""
        if self.kind == "p2pkh":
            return b"\x76\xa9\x14" + self.program + b"\x88\xac"
        if self.kind == "p2sh":
            return b"\xa9\x14" + self.program + b"\x87"
        version = self.witness_version or 0
        opcode = 0 if version == 0 else 0x50 + version
        return bytes([opcode, len(self.program)]) + self.program


def decode_btc_address(text: str) -> BtcAddress | None:
    """Decode a Base58Check or segwit Bitcoin address on any network; ``None`` if invalid."""
    if not 14 <= len(text) <= 90:
        return None
    sep = text.rfind("1")
    hrp = text[:sep].lower() if sep > 0 else ""
    if hrp in _HRPS:
        segwit = segwit_decode(hrp, text)
        if segwit is not None:
            version, program = segwit
            return BtcAddress(text.lower(), _HRPS[hrp], "segwit", version, program)
    if len(text) > 35:
        return None
    payload = b58check_decode(text)
    if payload is None or len(payload) != 21 or payload[0] not in _B58_VERSIONS:
        return None
    network, kind = _B58_VERSIONS[payload[0]]
    return BtcAddress(text, network, kind, None, payload[1:])


def clean_btc_address(raw: str, *, networks: frozenset[str] = frozenset({"main", "test"})) -> str | None:
    """A checksum-valid Bitcoin address on one of ``networks``, normalised; else ``None``."""
    decoded = decode_btc_address(raw.strip())
    if decoded is None or decoded.network not in networks:
        return None
    return decoded.address


# --------------------------------------------------------------------------- Keccak

_RC: Final = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
#: Rotation offsets, indexed [x + 5 * y].
_ROT: Final = (
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39,
    41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
)  # fmt: skip
#: For lane i = x + 5y, the destination index of rho-pi: (y, 2x + 3y).
_PI: Final = tuple(y + 5 * ((2 * x + 3 * y) % 5) for y in range(5) for x in range(5))
_MASK: Final = (1 << 64) - 1


def _keccak_f(state: list[int]) -> None:
    """Keccak-f[1600] on 25 little-endian 64-bit lanes, in place."""
    for rc in _RC:
        c = [state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _MASK) for x in range(5)]
        b = [0] * 25
        for i in range(25):
            lane = state[i] ^ d[i % 5]
            r = _ROT[i]
            b[_PI[i]] = ((lane << r) | (lane >> (64 - r))) & _MASK if r else lane
        for y in range(0, 25, 5):
            row = b[y : y + 5]
            for x in range(5):
                state[y + x] = row[x] ^ ((~row[(x + 1) % 5]) & row[(x + 2) % 5])
        state[0] ^= rc


def _sponge(data: bytes, *, rate: int, pad: int, out_len: int) -> bytes:
    message = bytearray(data)
    message.append(pad)
    message.extend(b"\0" * (-len(message) % rate))
    message[-1] |= 0x80
    state = [0] * 25
    for start in range(0, len(message), rate):
        block = message[start : start + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state)[:out_len]


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA3's 0x06)."""
    return _sponge(data, rate=136, pad=0x01, out_len=32)


# --------------------------------------------------------------------------- EIP-55

_HEX: Final = frozenset("0123456789abcdefABCDEF")
_ZERO_ADDRESS: Final = "0" * 40


def eth_checksum_address(raw: str) -> str | None:
    """The EIP-55 form of a 40-hex-digit address (``0x`` optional, any case); else ``None``."""
    body = raw[2:] if raw[:2] in ("0x", "0X") else raw
    if len(body) != 40 or not _HEX.issuperset(body):
        return None
    lower = body.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(lower, digest))


def is_eth_checksum_address(raw: str) -> bool:
    """True when ``raw`` is exactly its EIP-55 checksummed form (with ``0x``)."""
    return raw[:2] == "0x" and eth_checksum_address(raw) == raw


def clean_eth_address(raw: str) -> str | None:
    """An Ethereum address in EIP-55 form, or ``None``.

    All-lower and all-upper hex carry no checksum and are accepted; mixed case is
    accepted only when the EIP-55 checksum holds. The all-zero address (a common
    placeholder that links nothing) is rejected.
    """
    text = raw.strip()
    if text[:2] not in ("0x", "0X"):
        return None
    body = text[2:]
    checksummed = eth_checksum_address(text)
    if checksummed is None or body.lower() == _ZERO_ADDRESS:
        return None
    if body == body.lower() or body == body.upper() or checksummed[2:] == body:
        return checksummed
    return None
