#!/usr/bin/env python3
"""Hash your identifiers for keyed matching with Vigil (recipe version 1). Standard library only.

Run it on your side; the raw values never leave your machine:

    python3 vigil_match_hash.py --key-file partner.key --key-id K-… identifiers.csv > hashed.csv

``identifiers.csv`` has a header ``kind,value``; kinds: merchant_account (processor/account),
email, wallet, phone, iban, url. The output starts with a line ``# vigil-match 1 key_id=…``,
then ``kind,hash`` rows. Values that are not of their kind are counted on stderr, not hashed.
Send the output to the Vigil operator; keep the key secret (docs/sharing.md, "Keyed matching").

The functions ``normalise`` and ``digest`` below are line for line those of Vigil's
``vigil.share.recipe``; both are tested against the same vectors.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import re
import sys
import unicodedata
from urllib.parse import urlsplit, urlunsplit

VERSION = 1
KINDS = ("merchant_account", "email", "wallet", "phone", "iban", "url")

_SPACE = re.compile(r"\s+")
_PHONE_SEPARATORS = re.compile(r"[\s\-./()]+")
_HEX40 = re.compile(r"0x[0-9a-f]{40}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise(kind: str, raw: str) -> str | None:
    """The value as both sides hash it, or None when ``raw`` is not a ``kind``."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > 4096:
        return None
    if kind == "merchant_account":
        scope, sep, account = _SPACE.sub("", text).partition("/")
        if not sep or not scope or not account:
            return None
        return f"{scope.lower()}/{account.lower() if '@' in account else account.upper()}"
    if kind == "email":
        text = text.lower()
        if text.count("@") != 1 or _SPACE.search(text):
            return None
        local, _, domain = text.partition("@")
        domain = domain.rstrip(".")
        if not local or not domain:
            return None
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        return f"{local}@{domain}"
    if kind == "wallet":
        text = _SPACE.sub("", text)
        low = text.lower()
        if _HEX40.fullmatch(low) or low.startswith(("bc1", "tb1")):
            return low
        return text if text.isalnum() else None
    if kind == "phone":
        text = _PHONE_SEPARATORS.sub("", text)
        if text.startswith("00"):
            text = "+" + text[2:]
        digits = text[1:]
        if not text.startswith("+") or not digits.isdigit() or not digits.isascii() or not 6 <= len(digits) <= 15:
            return None
        return text
    if kind == "iban":
        text = re.sub(r"[\s\-]+", "", text).upper()
        return text if text.isascii() and text.isalnum() and 15 <= len(text) <= 34 else None
    if kind == "url":
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            return None
        scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
        if scheme not in ("http", "https") or not host:
            return None
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
        netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
        return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return None


def digest(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of an already normalised value."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="CSV with a header kind,value ('-' for standard input)")
    parser.add_argument("--key-file", required=True, help="the key Vigil's operator gave you (hex)")
    parser.add_argument("--key-id", required=True, help="the key's ID (K-…)")
    args = parser.parse_args(argv)
    with open(args.key_file, encoding="ascii") as handle:
        key = bytes.fromhex(handle.read().strip())
    source = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8", newline="")  # noqa: SIM115
    out = csv.writer(sys.stdout, lineterminator="\n")
    sys.stdout.write(f"# vigil-match {VERSION} key_id={args.key_id}\n")
    out.writerow(["kind", "hash"])
    skipped = 0
    for row in csv.DictReader(source):
        kind, value = (row.get("kind") or "").strip(), normalise((row.get("kind") or "").strip(), row.get("value") or "")
        if kind not in KINDS or value is None:
            skipped += 1
            continue
        out.writerow([kind, digest(key, kind, value)])
    if skipped:
        print(f"{skipped} rows were not of their kind and were not hashed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
