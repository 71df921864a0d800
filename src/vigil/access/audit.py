"""The audit log: who saw or did what, appended, each entry chained to the one before by hash.

``entry_hash = sha256(prev_hash | seq | at | actor | action | resource | detail)``; the first
entry's ``prev_hash`` is 64 zeros. :func:`verify_audit` walks the log in ``seq`` order and
names every entry that was edited (its hash no longer matches its content), deleted (a gap
in ``seq``, or the chain's next link points past it), or reordered (its content hashes
correctly only at another position). Deleting the *last* entries leaves a valid, shorter
chain: keep the head hash (``vigil audit head``) somewhere else and pass it to ``verify``.

:func:`chain_hash` and :func:`verify_chain` are the chain itself, shared by every hash-chained
log in the store (this one and the disruption delivery log, :mod:`vigil.disrupt.deliverylog`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigil.access.policy import Actor
from vigil.store.store import utcnow

GENESIS = "0" * 64
_LOCK = threading.Lock()


def chain_hash(prev_hash: str, fields: Sequence[Any]) -> str:
    """One link: the SHA-256 of the canonical JSON of ``[prev_hash, *fields]`` (compact, UTF-8)."""
    text = json.dumps([prev_hash, *fields], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, resource: str, detail: str) -> str:
    return chain_hash(prev_hash, [seq, at.isoformat(timespec="microseconds"), actor, action, resource, detail])


def audit(con: Any, actor: Actor | str, action: str, resource: str = "", **detail: Any) -> int:
    """Append one entry; returns its ``seq``. Safe to call from several threads."""
    who = actor.label if isinstance(actor, Actor) else actor
    text = json.dumps(detail, sort_keys=True, default=str, ensure_ascii=False)
    with _LOCK:
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            last = cur.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            at = utcnow()
            digest = entry_hash(prev, seq, at, who, action, resource, text)
            cur.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [seq, at, who, action, resource, text, prev, digest])
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
    return seq


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    problem: str  # edited, deleted, reordered, truncated

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


def audit_entries(con: Any, *, limit: int = 100, actor: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action = ?")
        params.append(action)
    sql = "SELECT seq, logged_at, actor, action, resource, detail FROM audit_log"
    sql += (" WHERE " + " AND ".join(where)) if where else ""
    cur = con.execute(sql + " ORDER BY seq DESC LIMIT ?", [*params, limit])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def audit_head(con: Any) -> tuple[int, str]:
    got = con.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(got[0]), str(got[1])) if got else (0, GENESIS)


def verify_audit(con: Any, *, head: str | None = None) -> list[AuditProblem]:
    """Every problem found in the chain, in ``seq`` order (empty: the log is intact)."""
    rows = con.execute(
        "SELECT seq, prev_hash, entry_hash, logged_at, actor, action, resource, detail FROM audit_log ORDER BY seq"
    ).fetchall()
    return verify_chain([(int(r[0]), str(r[1]), str(r[2]), r[3:]) for r in rows],
                        lambda prev, seq, content: entry_hash(prev, seq, *content), head=head)  # fmt: skip


Link = tuple[int, str, str, Sequence[Any]]  # seq, prev_hash, entry_hash, the entry's content


def verify_chain(rows: Sequence[Link], link: Callable[[str, int, Sequence[Any]], str], *,
                 head: str | None = None) -> list[AuditProblem]:  # fmt: skip
    """Walk a hash chain in ``seq`` order; ``link(prev_hash, seq, content)`` recomputes an entry's hash.

    Names every entry edited (its content no longer matches its hash), deleted (a gap in ``seq``),
    reordered (its content hashes correctly only at another position) or whose link to the entry
    before is broken; with ``head``, a chain whose kept head is gone was truncated.
    """
    problems: list[AuditProblem] = []
    seqs = [seq for seq, _, _, _ in rows]
    expected_prev, expected_seq = GENESIS, 1
    for seq, prev, stored, content in rows:
        if seq > expected_seq:
            problems += [AuditProblem(s, "deleted") for s in range(expected_seq, seq)]
        if link(prev, seq, content) != stored:
            moved = [s for s in seqs if s != seq and link(prev, s, content) == stored]
            if moved:
                problems.append(AuditProblem(seq, f"reordered (written as entry {moved[0]})"))
            else:
                problems.append(AuditProblem(seq, "edited (its content no longer matches its hash)"))
        elif prev != expected_prev and seq == expected_seq:
            problems.append(AuditProblem(seq, "its link to the entry before is broken (an entry before it was edited or reordered)"))
        expected_prev, expected_seq = stored, seq + 1
    if head is not None and head not in {stored for _, _, stored, _ in rows}:
        problems.append(AuditProblem(expected_seq, "truncated: the head you kept is not in the log (entries at the end were deleted)"))
    return problems
