"""Keyed matching for partners: per-partner keys, match runs, and their hash-chained log.

A partner hashes its identifiers with the recipe in :mod:`vigil.share.recipe` and its key;
Vigil hashes its own values (the key identifiers on brands' pages, the reported URLs) with
the same key, joins on the digests and returns, for each digest that matched, the evidence
the partner may see under the run's marking. Raw values never cross: the partner sends
digests, Vigil answers with the partner's own digests and evidence IDs, times and counts.

Keys: ``create_key`` makes one (32 random bytes; shown once), ``rotate_key`` retires the
partner's active keys and makes a new one, ``revoke_key`` revokes. A file hashed under a
retired or revoked key is refused. Limits against probing: at most ``max_rows`` digests a
run and ``max_runs`` runs a partner in 24 hours. Every run — done or refused — is appended to
``match_runs``, each entry's hash chained to the previous (``verify_log``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from vigil.errors import ConfigError
from vigil.ingest.checkpoint import insert_quarantine
from vigil.share.facts import Facts, Scope
from vigil.share.recipe import KINDS, digest, normalise
from vigil.store import Store, utcnow

#: Vigil's identifier kinds → the recipe's kinds.
VIGIL_KINDS: Final = {"merchant_account": "merchant_account", "email": "email", "btc_address": "wallet",
                      "eth_address": "wallet", "phone": "phone", "iban": "iban", "payment_form": "url"}  # fmt: skip
DEFAULT_MAX_ROWS: Final = 2_000_000
DEFAULT_MAX_RUNS: Final = 24
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_HEADER: Final = re.compile(r"# vigil-match (\d+) key_id=(K-[0-9a-f]{12})")
_GENESIS: Final = "0" * 64
_SHOW_URLS: Final = 5


def create_key(store: Store, partner: str) -> tuple[str, str]:
    """A new key for ``partner``: ``(key_id, secret as hex)``. The secret is shown once."""
    if not partner.strip() or len(partner) > 200:
        raise ConfigError("a partner is named by a non-empty organisation name of at most 200 characters")
    key_id, secret = f"K-{secrets.token_hex(6)}", secrets.token_hex(32)
    store.con.execute("INSERT INTO partner_keys VALUES (?, ?, ?, ?, NULL, NULL)", [key_id, partner, secret, utcnow()])
    return key_id, secret


def rotate_key(store: Store, partner: str) -> tuple[str, str]:
    """Retire the partner's active keys and make a new one."""
    store.con.execute("UPDATE partner_keys SET retired_at = ? WHERE partner = ? AND retired_at IS NULL AND revoked_at IS NULL",
                      [utcnow(), partner])  # fmt: skip
    return create_key(store, partner)


def revoke_key(store: Store, partner: str, key_id: str | None = None) -> int:
    """Revoke one key (or every key) of a partner; returns how many."""
    sql = "UPDATE partner_keys SET revoked_at = ? WHERE partner = ? AND revoked_at IS NULL"
    params: list[Any] = [utcnow(), partner]
    if key_id:
        sql += " AND key_id = ?"
        params.append(key_id)
    got = store.con.execute(sql + " RETURNING key_id", params).fetchall()
    return len(got)


def keys(store: Store, partner: str | None = None) -> list[dict[str, Any]]:
    """Keys without their secrets: ID, partner, created, retired, revoked."""
    where = "WHERE partner = $p" if partner else ""
    return store.engine.rows("partner keys", f"""SELECT key_id, partner, created_at, retired_at, revoked_at
        FROM partner_keys {where} ORDER BY created_at, key_id""", {"p": partner} if partner else None)  # fmt: skip


def _active_key(store: Store, partner: str, key_id: str | None) -> tuple[str, bytes]:
    rows = store.con.execute("SELECT key_id, secret, retired_at, revoked_at FROM partner_keys WHERE partner = ? "
                             "ORDER BY created_at DESC", [partner]).fetchall()  # fmt: skip
    if not rows:
        raise ConfigError(f"no key for partner {partner!r}: make one with `vigil match create-key --partner ...`")
    for kid, secret, retired, revoked in rows:
        if key_id and kid != key_id:
            continue
        if revoked is not None:
            raise ConfigError(f"key {kid} of {partner!r} was revoked: the partner must hash again under a new key")
        if retired is not None:
            raise ConfigError(f"key {kid} of {partner!r} was rotated out: the partner must hash again under the new key")
        return kid, bytes.fromhex(secret)
    raise ConfigError(f"the file names key {key_id}, which is not a key of partner {partner!r}")


@dataclass
class MatchResult:
    run_id: str
    key_id: str
    rows_read: int = 0
    quarantined: int = 0
    matches: list[dict[str, Any]] = field(default_factory=list)


def _read_hashes(path: Path) -> tuple[str | None, dict[tuple[str, str], int], list[tuple[int, str, str, str]]]:
    """The file's key ID, its digests (with their line) and the rows of the wrong shape."""
    try:
        handle = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    key_id = None
    wanted: dict[tuple[str, str], int] = {}
    bad: list[tuple[int, str, str, str]] = []
    with handle:
        try:
            first = handle.readline()
            line = 1
            found = _HEADER.fullmatch(first.strip())
            if found:
                if int(found.group(1)) != 1:
                    raise ConfigError(f"{path}: recipe version {found.group(1)} is not one Vigil knows (1)")
                key_id = found.group(2)
                first = handle.readline()
                line = 2
            if [c.strip() for c in first.strip().split(",")] != ["kind", "hash"]:
                raise ConfigError(f"{path}, line {line}: expected the header 'kind,hash' "
                                  "(a file made by tools/vigil_match_hash.py)")  # fmt: skip
            for n, row in enumerate(csv.reader(handle), start=line + 1):
                if len(row) != 2:
                    bad.append((n, "bad_row", f"{len(row)} fields, expected kind,hash", ""))
                elif row[0] not in KINDS:
                    bad.append((n, "unknown_kind", f"kind {row[0][:40]!r} is not one of {', '.join(KINDS)}", ""))
                elif not _HEX64.fullmatch(row[1]):
                    bad.append((n, "bad_hash", "hash is not 64 lower-case hex digits (HMAC-SHA256)", ""))
                else:
                    wanted.setdefault((row[0], row[1]), n)
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text") from None
        except csv.Error as exc:
            raise ConfigError(f"{path}: not CSV: {exc}") from None
    return key_id, wanted, bad


def _vigil_values(facts: Facts) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Vigil's own values, normalised by the recipe, with the evidence for each (already marking-filtered)."""
    for row in facts.brand_identifiers():
        kind = VIGIL_KINDS.get(row["kind"])
        value = normalise(kind, row["value"]) if kind else None
        if kind and value:
            yield kind, value, {"brand": row["brand_id"], "first_seen": row["first_seen"], "last_seen": row["last_seen"],
                                "captures": row["captures"], "marking": row["marking"]}  # fmt: skip
    for row in facts.urls():
        value = normalise("url", row["url"])
        if value:
            yield "url", value, {"reports": row["reports"], "first_seen": row["first_reported"],
                                 "last_seen": row["last_reported"], "marking": row["marking"]}  # fmt: skip


def _merge(into: dict[str, Any], ev: dict[str, Any]) -> None:
    from vigil.share.markings import stricter

    into["first_seen"] = min(into["first_seen"], ev["first_seen"]) if into.get("first_seen") else ev["first_seen"]
    into["last_seen"] = max(into["last_seen"], ev["last_seen"]) if into.get("last_seen") else ev["last_seen"]
    into["marking"] = stricter(into["marking"], ev["marking"]) if into.get("marking") else ev["marking"]
    if "brand" in ev:
        into.setdefault("brands", set()).add(ev["brand"])
        into["captures"] = into.get("captures", 0) + ev["captures"]
    if "reports" in ev:
        into["reports"] = into.get("reports", 0) + ev["reports"]


def run_match(store: Store, partner: str, path: Path, *, marking: str, max_rows: int = DEFAULT_MAX_ROWS,
              max_runs: int = DEFAULT_MAX_RUNS) -> MatchResult:  # fmt: skip
    """Match a partner's hash file against Vigil's evidence; every run is logged, refused ones too."""
    run_id = uuid.uuid4().hex[:16]
    try:
        key_id_named, wanted, bad = _read_hashes(path)
        key_id, key = _active_key(store, partner, key_id_named)
        if len(wanted) + len(bad) > max_rows:
            raise ConfigError(f"{path}: {len(wanted) + len(bad):,} rows, more than the {max_rows:,} a run may hold")
        since = utcnow() - timedelta(hours=24)
        done = store.con.execute("SELECT count(*) FROM match_runs WHERE partner = ? AND outcome = 'done' AND started_at > ?",
                                 [partner, since]).fetchone()  # fmt: skip
        if done and done[0] >= max_runs:
            raise ConfigError(f"partner {partner!r} has had {done[0]} runs in 24 hours, the most allowed ({max_runs})")
    except ConfigError as exc:
        _log(store, run_id=run_id, partner=partner, key_id=None, path=path, rows=0, matched=0, marking=marking,
             outcome=f"refused: {exc}")  # fmt: skip
        raise
    result = MatchResult(run_id, key_id, rows_read=len(wanted) + len(bad), quarantined=len(bad))
    facts = Facts(store, Scope(date(1900, 1, 1), date(9999, 1, 1), marking))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    wanted_set = wanted.keys()
    for kind, value, evidence in _vigil_values(facts):
        pair = (kind, digest(key, kind, value))
        if pair in wanted_set:
            _merge(found.setdefault(pair, {}), evidence)
    brands = {b for ev in found.values() for b in ev.get("brands", ())}
    extra = _brand_evidence(facts, brands)
    for (kind, hashed), ev in sorted(found.items(), key=lambda item: wanted[item[0]]):
        match: dict[str, Any] = {"kind": kind, "hash": hashed, "line": wanted[(kind, hashed)], "marking": ev["marking"],
                                 "first_seen": str(ev["first_seen"]), "last_seen": str(ev["last_seen"])}  # fmt: skip
        if ev.get("brands"):
            names = sorted(ev["brands"])
            match.update(brands=names, captures=ev["captures"],
                         distributors=sorted({extra[b]["distributor"] for b in names if extra[b]["distributor"]}),
                         urls=sorted({u for b in names for u in extra[b]["urls"]})[:_SHOW_URLS])  # fmt: skip
        if "reports" in ev:
            match["reports"] = ev["reports"]
        result.matches.append(match)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        insert_quarantine(store.engine, kind="match", path=str(path), sha=_sha(path), batch_id=run_id, rows=bad)
        _log(store, run_id=run_id, partner=partner, key_id=key_id, path=path, rows=result.rows_read,
             matched=len(result.matches), marking=marking, outcome="done")  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _brand_evidence(facts: Facts, brands: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {b: {"distributor": None, "urls": []} for b in brands}
    if not brands:
        return out
    for b in facts.brands():
        if b["brand_id"] in out:
            out[b["brand_id"]]["distributor"] = b["distributor_id"]
    for u in facts.brand_urls():
        if u["brand_id"] in out:
            out[u["brand_id"]]["urls"].append(u["url"])
    return out


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _entry(row: dict[str, Any]) -> str:
    return json.dumps({k: (str(v) if v is not None else None) for k, v in row.items()}, sort_keys=True)


def _log(store: Store, *, run_id: str, partner: str, key_id: str | None, path: Path, rows: int, matched: int,
         marking: str, outcome: str) -> None:  # fmt: skip
    last = store.con.execute("SELECT seq, entry_hash FROM match_runs ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, _GENESIS)
    try:
        sha: str | None = _sha(path)
    except OSError:
        sha = None
    row = {"run_id": run_id, "seq": seq, "partner": partner, "key_id": key_id, "file_sha256": sha, "rows_read": rows,
           "matched": matched, "marking": marking, "outcome": outcome[:500], "started_at": utcnow()}  # fmt: skip
    entry_hash = hashlib.sha256((prev + _entry(row)).encode()).hexdigest()
    store.con.execute("INSERT INTO match_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [*row.values(), prev, entry_hash])  # fmt: skip


def match_log(store: Store) -> list[dict[str, Any]]:
    return store.engine.rows("match log", "SELECT * FROM match_runs ORDER BY seq")


def verify_log(store: Store) -> list[str]:
    """Problems in the chained log (empty when intact): an edited, deleted or reordered entry is named."""
    problems: list[str] = []
    prev, expected_seq = _GENESIS, 1
    for row in match_log(store):
        fields = {k: row[k] for k in ("run_id", "seq", "partner", "key_id", "file_sha256", "rows_read", "matched",
                                      "marking", "outcome", "started_at")}  # fmt: skip
        if row["seq"] != expected_seq:
            problems.append(f"entry {row['run_id']} is number {row['seq']}, expected {expected_seq}: an entry was "
                            "deleted or reordered")  # fmt: skip
        if row["prev_hash"] != prev:
            problems.append(f"entry {row['run_id']} does not follow the entry before it")
        if hashlib.sha256((row["prev_hash"] + _entry(fields)).encode()).hexdigest() != row["entry_hash"]:
            problems.append(f"entry {row['run_id']} was edited")
        prev, expected_seq = row["entry_hash"], row["seq"] + 1
    return problems


def write_matches(result: MatchResult, out: io.TextIOBase | Any) -> None:
    for match in result.matches:
        out.write(json.dumps(match, sort_keys=True) + "\n")


__all__ = ["MatchResult", "create_key", "keys", "match_log", "revoke_key", "rotate_key", "run_match", "verify_log"]
