"""Markings on sources and on single records: set them, read them, list what is unmarked."""

from __future__ import annotations

from typing import Any

from vigil.access.policy import Marking, normalise_tlp
from vigil.errors import ConfigError
from vigil.store.store import utcnow

RECORD_KINDS = ("report", "capture")
#: The owner of a source marked without one (``vigil share mark-source`` without ``--org``): no
#: account's organisation, so its AMBER and stricter records are seen by no workbench account.
NO_OWNER = "-"


def _tlp(text: str) -> str:
    tlp = normalise_tlp(text)
    if tlp is None:
        raise ConfigError(f"unknown TLP marking {text!r}: use CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
    return tlp


def _org_exists(con: Any, org_id: str) -> None:
    if not con.execute("SELECT 1 FROM organisations WHERE org_id = ?", [org_id]).fetchone():
        raise ConfigError(f"no organisation {org_id!r}: add it with `vigil orgs add`")


def mark_source(con: Any, source: str, *, tlp: str, org_id: str, by: str) -> Marking:
    """Give every record of ``source`` (that has no marking of its own) this marking and owner."""
    level = _tlp(tlp)
    _org_exists(con, org_id)
    con.execute("INSERT OR REPLACE INTO source_markings VALUES (?, ?, ?, ?, ?)", [source, level, org_id, by, utcnow()])
    return Marking(level, org_id)


def set_source_level(con: Any, source: str, *, tlp: str, org_id: str | None, by: str) -> Marking:
    """Set the TLP level of ``source`` in ``source_markings`` (the one table of source markings).

    Sharing's ``vigil share mark-source`` writes here. ``org_id`` is free text (a partner's
    name need not be an account's organisation); ``None`` keeps the owner already recorded,
    or :data:`NO_OWNER` when the source had no marking.
    """
    level = _tlp(tlp)
    if org_id is None:
        got = con.execute("SELECT org_id FROM source_markings WHERE source = ?", [source]).fetchone()
        org_id = str(got[0]) if got else NO_OWNER
    con.execute("INSERT OR REPLACE INTO source_markings VALUES (?, ?, ?, ?, ?)", [source, level, org_id, by, utcnow()])
    return Marking(level, org_id)


def share_source(con: Any, source: str, org_id: str) -> None:
    """TLP:AMBER records of ``source`` become visible to ``org_id`` too."""
    _org_exists(con, org_id)
    con.execute("INSERT OR IGNORE INTO source_shares VALUES (?, ?)", [source, org_id])


def mark_record(con: Any, kind: str, record_key: str, *, tlp: str, org_id: str, by: str) -> Marking:
    """A marking of one report or capture, overriding its source's."""
    if kind not in RECORD_KINDS:
        raise ConfigError(f"records that carry their own marking are {', '.join(RECORD_KINDS)}, not {kind!r}")
    level = _tlp(tlp)
    _org_exists(con, org_id)
    con.execute("INSERT OR REPLACE INTO record_markings VALUES (?, ?, ?, ?, ?, ?)", [kind, record_key, level, org_id, by, utcnow()])
    return Marking(level, org_id)


def source_markings(con: Any) -> dict[str, Marking]:
    shares: dict[str, set[str]] = {}
    for source, org in con.execute("SELECT source, org_id FROM source_shares").fetchall():
        shares.setdefault(source, set()).add(org)
    return {
        source: Marking(tlp, org, frozenset(shares.get(source, ())))
        for source, tlp, org in con.execute("SELECT source, tlp, org_id FROM source_markings").fetchall()
    }


def record_markings(con: Any) -> list[tuple[str, str, Marking]]:
    """``(kind, record_key, marking)`` for every record with a marking of its own."""
    rows = con.execute("SELECT kind, record_key, tlp, org_id FROM record_markings").fetchall()
    return [(kind, key, Marking(tlp, org)) for kind, key, tlp, org in rows]


def marking_list(con: Any) -> list[dict[str, Any]]:
    """Every source with evidence, with its marking (``None``: unmarked, so seen by no one)."""
    marks = source_markings(con)
    sources = [r[0] for r in con.execute(
        "SELECT source FROM reports UNION SELECT source FROM captures UNION SELECT source FROM source_markings ORDER BY 1"
    ).fetchall()]  # fmt: skip
    return [
        {"source": s, "tlp": marks[s].tlp if s in marks else None, "org_id": marks[s].org_id if s in marks else None,
         "shared_with": sorted(marks[s].shared_with) if s in marks else []}
        for s in sources
    ]  # fmt: skip
