"""The disruption tables in the evidence store (migrations: takedown_cases … feed_deliveries; delivery_log).

Events, notices, contact statuses, partner outcomes and feed deliveries are append-only and
idempotent (re-importing the same file changes nothing); cases are upserted by URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.disrupt import deliverylog
from vigil.disrupt.cases import COLUMNS, Case, case_from_row, case_to_row
from vigil.disrupt.clocks import Event, parse_time
from vigil.disrupt.deliverylog import Delivery
from vigil.disrupt.markings import clean_marking
from vigil.errors import InvalidRecord
from vigil.model import QuarantineReason

UNRELIABLE = ("bounced", "auto-reply")


def _rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _type(column: str) -> pa.DataType:
    if column in ("asn", "upstream_asn"):
        return pa.int64()
    if column in ("wallets", "emails", "payment_forms", "prices"):
        return pa.list_(pa.string())
    return pa.bool_() if column == "dedicated" else pa.string()


def save_cases(con: Any, cases: Iterable[Case]) -> int:
    """Upsert cases by URL (one Arrow batch, not row by row)."""
    rows = [case_to_row(c) for c in cases]
    if not rows:
        return 0
    columns = list(zip(*rows, strict=True))
    table = pa.table({name: pa.array(list(values), type=_type(name)) for name, values in zip(COLUMNS, columns, strict=True)})
    con.register("_vigil_cases_in", table)
    try:
        con.execute(f"INSERT OR REPLACE INTO takedown_cases ({', '.join(COLUMNS)}) "
                    f"SELECT DISTINCT ON (url) {', '.join(COLUMNS)} FROM _vigil_cases_in")  # fmt: skip
    finally:
        con.unregister("_vigil_cases_in")
    return len(rows)


_CASE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Case))  # the store's columns, in Case's order
_LIST_AT = tuple(i for i, name in enumerate(_CASE_FIELDS) if name in ("wallets", "emails", "payment_forms", "prices"))


def load_cases(con: Any, *, among: str | None = None, params: dict[str, Any] | None = None) -> list[Case]:
    """Every case (or those whose URL the query ``among`` selects, with ``params``), by URL.
    Values are already clean in the store: no coercion."""
    where = f" WHERE url IN ({among})" if among else ""
    table = con.sql(f"SELECT {', '.join(_CASE_FIELDS)} FROM takedown_cases{where} ORDER BY url", params=params or None).to_arrow_table()
    columns = [column.to_pylist() for column in table.columns]  # column by column: far cheaper than row tuples
    for i in _LIST_AT:
        columns[i] = [tuple(v) if v else () for v in columns[i]]
    return list(map(Case, *columns))


def add_events(con: Any, events: Iterable[Event]) -> int:
    """Append events; returns how many were new (the same event twice is stored once)."""
    items = list(events)
    if not items:
        return 0
    table = pa.table({
        "event_key": pa.array([e.key for e in items], pa.string()), "url": pa.array([e.url for e in items], pa.string()),
        "stage": pa.array([e.stage for e in items], pa.string()), "happened_at": pa.array([e.at for e in items], pa.timestamp("us")),
        "source": pa.array([e.source for e in items], pa.string()), "recipient": pa.array([e.recipient for e in items], pa.string()),
        "detail": pa.array([e.detail for e in items], pa.string()),
    })  # fmt: skip
    before = con.execute("SELECT count(*) FROM takedown_events").fetchall()[0][0]
    con.register("_vigil_events_in", table)
    try:
        con.execute("INSERT OR IGNORE INTO takedown_events SELECT DISTINCT ON (event_key) * FROM _vigil_events_in")
    finally:
        con.unregister("_vigil_events_in")
    return int(con.execute("SELECT count(*) FROM takedown_events").fetchall()[0][0] - before)


def load_events(con: Any, *, among: str | None = None, params: dict[str, Any] | None = None) -> list[Event]:
    """Every event (or those of the URLs the query ``among`` selects, with ``params``), oldest first."""
    where = f" WHERE url IN ({among})" if among else ""
    rows = con.execute(f"SELECT url, stage, happened_at, source, recipient, detail FROM takedown_events{where} "
                       "ORDER BY happened_at, url, stage", params or {}).fetchall()  # fmt: skip
    return [Event(*row) for row in rows]


def record_notices(con: Any, sent: list[dict[str, Any]]) -> None:
    """Record notices sent (``notice_id, recipient, role, address, bundle, urls, marking, attempt, sent_at,
    transport, message_id``), a ``notice_sent`` event per URL and an entry each in the delivery log, in one
    transaction (a notice already recorded is not recorded again)."""
    if not sent:
        return
    names = ["notice_id", "recipient", "role", "address", "bundle", "urls", "marking", "attempt", "sent_at", "transport", "message_id"]
    rows = [{**n, "notice_id": f"{n['notice_id']}.{n['attempt']}"} for n in sent]
    table = pa.Table.from_pylist(rows, schema=pa.schema([(k, pa.list_(pa.string()) if k == "urls" else pa.int32() if k == "attempt"
                                                         else pa.timestamp("us") if k == "sent_at" else pa.string()) for k in names]))  # fmt: skip
    with _transaction(con):
        con.register("_vigil_notices_in", table)
        try:
            known = {r[0] for r in con.execute("SELECT notice_id FROM notices WHERE notice_id IN (SELECT notice_id FROM _vigil_notices_in)").fetchall()}
            new = list({r["notice_id"]: r for r in rows if r["notice_id"] not in known}.values())
            deliverylog.append(con, [Delivery(r["sent_at"], "notice", r["notice_id"], r["recipient"], r["address"], r["marking"],
                                              len(r["urls"]), tuple(r["urls"]), r["transport"], r["message_id"]) for r in new])  # fmt: skip
            con.execute(f"INSERT OR IGNORE INTO notices SELECT {', '.join(names)} FROM _vigil_notices_in")
        finally:
            con.unregister("_vigil_notices_in")
        add_events(con, [Event(u, "notice_sent", n["sent_at"], f"notice:{n['notice_id']}.{n['attempt']}", n["recipient"], str(n["attempt"]))
                         for n in sent for u in n["urls"]])  # fmt: skip


@contextmanager
def _transaction(con: Any) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def sent_keys(con: Any) -> set[tuple[str, str, int]]:
    rows = con.execute("SELECT recipient, unnest(urls), attempt FROM notices").fetchall()
    return {(r, u, int(a)) for r, u, a in rows}


def notice_recipients(con: Any) -> dict[str, tuple[str, str, list[str]]]:
    """notice id (without attempt) → (recipient key, address, urls)."""
    rows = con.execute("SELECT notice_id, recipient, address, urls FROM notices ORDER BY sent_at").fetchall()
    return {nid.rpartition(".")[0]: (rec, addr, list(urls)) for nid, rec, addr, urls in rows}


def add_contact_status(con: Any, address: str, status: str, reason: str, source: str, at: datetime) -> bool:
    exists = con.execute("SELECT count(*) FROM contact_status WHERE address = ? AND status = ? AND source = ?",
                         [address, status, source]).fetchall()[0][0]  # fmt: skip
    if exists:
        return False
    con.execute("INSERT INTO contact_status VALUES (?, ?, ?, ?, ?)", [address, status, reason, source, at])
    return True


def unreliable(con: Any) -> frozenset[str]:
    """Addresses whose latest status is a bounce or an automatic reply."""
    rows = con.execute(
        "SELECT address, arg_max(status, marked_at) FROM contact_status GROUP BY address"
    ).fetchall()
    return frozenset(a for a, s in rows if s in UNRELIABLE)


def contact_statuses(con: Any) -> list[dict[str, Any]]:
    return _rows(con, "SELECT * FROM contact_status ORDER BY address, marked_at")


def add_outcomes(con: Any, rows: Iterable[tuple[str, str, str, datetime, str, int]]) -> int:
    new = 0
    for row in rows:
        if not con.execute("SELECT count(*) FROM partner_outcomes WHERE partner=? AND item=? AND outcome=? AND recorded_at=?",
                           list(row[:4])).fetchall()[0][0]:  # fmt: skip
            con.execute("INSERT INTO partner_outcomes VALUES (?, ?, ?, ?, ?, ?)", list(row))
            new += 1
    return new


def load_outcomes(con: Any) -> list[dict[str, Any]]:
    return _rows(con, "SELECT partner, item, arg_max(outcome, recorded_at) AS outcome, max(recorded_at) AS recorded_at FROM partner_outcomes "
                      "GROUP BY partner, item ORDER BY partner, item")  # fmt: skip


def record_delivery(con: Any, *, feed: str, recipient: str, marking: str, items: int, path: str, sha256: str,
                    at: datetime) -> None:  # fmt: skip
    """Record a feed file written, and its entry in the delivery log, in one transaction."""
    with _transaction(con):
        deliverylog.append(con, [Delivery(at, "feed", feed, recipient, "", marking, items, (), path, f"sha256:{sha256}")])
        con.execute("INSERT INTO feed_deliveries VALUES (?, ?, ?, ?, ?, ?, ?)", [feed, recipient, marking, items, path, sha256, at])


def deliveries(con: Any) -> list[dict[str, Any]]:
    """What was sent to whom, when, under which marking: the delivery log (notices and feeds), oldest first."""
    return [{"seq": e["seq"], "kind": e["kind"], "name": e["name"], "recipient": e["recipient"], "address": e["address"],
             "marking": e["marking"], "items": e["items"], "path": e["transport"], "reference": e["reference"],
             "at_time": e["delivered_at"], "entry_hash": e["entry_hash"]} for e in deliverylog.entries(con)]  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseImport:
    cases: list[Case]
    events: list[Event]
    errors: list[InvalidRecord]


def read_cases(path: Path, *, owner_org: str, marking: str) -> CaseImport:
    """A JSON Lines file of cases (docs/disruption.md); bad lines are reported and skipped."""
    cases: list[Case] = []
    events: list[Event] = []
    errors: list[InvalidRecord] = []
    known = set(COLUMNS) | {"detected_at", "assessed_at"}
    for line, record in _jsonl(path):
        if isinstance(record, InvalidRecord):
            errors.append(record)
            continue
        where = f"{path}: line {line}"
        unknown = set(record) - known
        if unknown:
            errors.append(InvalidRecord(f"{where}: unknown field(s) {', '.join(sorted(unknown))}", code=QuarantineReason.BAD_FIELD))
            continue
        url = str(record.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            errors.append(InvalidRecord(f"{where}: url {url!r} is not an http(s) URL", code=QuarantineReason.BAD_URL))
            continue
        mark = clean_marking(str(record.get("marking") or marking))
        if mark is None:
            errors.append(InvalidRecord(f"{where}: marking {record.get('marking')!r} is not a TLP marking", code=QuarantineReason.BAD_MARKING))
            continue
        try:
            times = {k: parse_time(str(record[k])) for k in ("detected_at", "assessed_at") if record.get(k)}
            values = {k: record[k] for k in COLUMNS if k in record and record[k] is not None}
            values.update(url=url, marking=mark, owner_org=str(record.get("owner_org") or owner_org),
                          host=str(record.get("host") or url.split("/")[2].split(":")[0].lower()),
                          source=str(record.get("source") or f"{Path(path).name}:{line}"))  # fmt: skip
            case = case_from_row(values)
        except (ValueError, TypeError) as exc:
            errors.append(InvalidRecord(f"{where}: {exc}", code=QuarantineReason.BAD_VALUE))
            continue
        cases.append(case)
        for stage, key in (("detected", "detected_at"), ("assessed", "assessed_at")):
            if key in times:
                events.append(Event(url, stage, times[key], case.source))
    return CaseImport(cases, events, errors)


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | InvalidRecord]]:
    with open(path, encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                yield line, InvalidRecord(f"{path}: line {line}: not JSON: {exc}", code=QuarantineReason.BAD_JSON)
                continue
            if not isinstance(value, dict):
                yield line, InvalidRecord(f"{path}: line {line}: not a JSON object", code=QuarantineReason.BAD_JSON)
                continue
            yield line, value
