"""Page views: each returns the data of one page; the HTML page and its JSON twin both show it.

A view receives a :class:`View` (the caller, and the store *scoped* to what the caller may
see) and the page's parameters, and calls the library: no SQL and no analysis here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Final

from vigil.access import TLP_LEVELS, ScopedStore, audit_entries, marking_list, verify_audit
from vigil.access.policy import Actor
from vigil.access.submissions import my_submissions
from vigil.analyse.brands import brand_stats
from vigil.analyse.hosting import hosting_stats
from vigil.analyse.payments import payment_stats
from vigil.attribute.identifiers import KINDS
from vigil.errors import VigilError
from vigil.periods import Period
from vigil.publish.entities import asn_record, brand_record, distributor_record, domain_record, identifier_record, url_record
from vigil.publish.exports import attribution_rows
from vigil.publish.graph import evidence_graph
from vigil.publish.lookup import search
from vigil.publish.tables import table_names


class NotFound(Exception):
    """Nothing the caller may see (absent and hidden look the same)."""


class BadRequest(Exception):
    """A parameter the page cannot use."""


@dataclass
class View:
    actor: Actor
    store: ScopedStore
    main: Any  # the application's own store: only for the audit log's own view
    processors: Any = None  # the Processors of `vigil serve --processors` (payments dashboard)


def _found(value: dict[str, Any] | None) -> dict[str, Any]:
    if value is None:
        raise NotFound()
    return value


def home(v: View) -> dict[str, Any]:
    return {"user": v.actor.username, "org": v.actor.org_id, "role": v.actor.role, "clearance": v.actor.clearance}


def search_page(v: View, q: str = "") -> dict[str, Any]:
    return search(v.store, q) if q.strip() else {"query": "", "recognised": None, "hits": {}, "total": 0}


def url_page(v: View, u: str) -> dict[str, Any]:
    from vigil.publish.lookup import recognise

    got = recognise(u)
    return _found(url_record(v.store, got.value if got.kind == "url" else u))


def domain_page(v: View, domain: str) -> dict[str, Any]:
    return _found(domain_record(v.store, domain.strip().lower()))


def asn_page(v: View, asn: int) -> dict[str, Any]:
    return _found(asn_record(v.store, asn))


def identifier_page(v: View, kind: str, value: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise BadRequest(f"unknown identifier kind {kind[:40]!r}")
    return _found(identifier_record(v.store, kind, value))


def brand_page(v: View, brand_id: str) -> dict[str, Any]:
    complete = v.store.brand_complete(brand_id)
    data = _found(brand_record(v.store, brand_id, complete=complete))
    data["complete"] = complete
    return data


def distributor_page(v: View, distributor_id: str) -> dict[str, Any]:
    return _found(distributor_record(v.store, distributor_id, complete=v.store.distributor_complete(distributor_id)))


def graph_page(v: View, distributor_id: str, kinds: str = "") -> dict[str, Any]:
    wanted = {k for k in kinds.split(",") if k in KINDS} or None
    return _found(evidence_graph(v.store, distributor_id, kinds=wanted))


DASHBOARD_SECTIONS: Final[dict[str, Callable[..., dict[str, Any]]]] = {
    "hosting": lambda engine, period, processors: hosting_stats(engine, period),
    "brands": lambda engine, period, processors: brand_stats(engine, period),
    "payments": lambda engine, period, processors: payment_stats(engine, period, processors=processors),
}


def dashboard_page(v: View, period: str = "2012Q4", section: str = "hosting") -> dict[str, Any]:
    if section not in DASHBOARD_SECTIONS:
        raise BadRequest(f"section: one of {', '.join(DASHBOARD_SECTIONS)}")
    try:
        chosen = Period.parse(period)
    except VigilError as exc:
        raise BadRequest(str(exc)) from None
    current = DASHBOARD_SECTIONS[section](v.store.engine, chosen, v.processors)
    before = DASHBOARD_SECTIONS[section](v.store.engine, chosen.previous(), v.processors)
    scalars = {k: val for k, val in current.items() if not isinstance(val, (list, dict))}
    previous = {k: val for k, val in before.items() if not isinstance(val, (list, dict))}
    comparison = [{"figure": k, "this_period": val, "previous_period": previous.get(k)} for k, val in scalars.items()
                  if isinstance(val, (int, float)) and not isinstance(val, bool)]  # fmt: skip
    tables = {name: current[name] for name in table_names(current)}
    return {"period": str(chosen), "previous": str(chosen.previous()), "section": section, "sections": list(DASHBOARD_SECTIONS),
            "comparison": comparison, "tables": tables}  # fmt: skip


def export_page(v: View, limit: int = 10_000) -> dict[str, Any]:
    """The attribution export (``vigil export attribution``), of the captures the caller may see."""
    rows: list[dict[str, Any]] = []
    for row in attribution_rows(v.store):
        if len(rows) >= max(1, min(limit, 100_000)):
            break
        rows.append(row)
    return {"rows": rows, "count": len(rows)}


def submissions_page(v: View) -> dict[str, Any]:
    return {"submissions": my_submissions(v.main, v.actor)}


def submit_form(v: View) -> dict[str, Any]:
    return {"org": v.actor.org_id}


def markings_page(v: View) -> dict[str, Any]:
    """Every source with its TLP marking and owner; unmarked sources are seen by no one."""
    from vigil.accounts import list_orgs

    return {"sources": marking_list(v.main.con), "orgs": [o["org_id"] for o in list_orgs(v.main.con)],
            "levels": list(TLP_LEVELS)}  # fmt: skip


def reports_page(v: View) -> dict[str, Any]:
    """Your report library: assessments generated from what you may see, to download."""
    from vigil.web.reports import library

    return {"files": library(v.main, v.actor)}


def audit_page(v: View, actor: str = "", action: str = "", limit: int = 100) -> dict[str, Any]:
    problems = [str(p) for p in verify_audit(v.main.con)]
    entries = audit_entries(v.main.con, limit=max(1, min(limit, 1000)), actor=actor or None, action=action or None)
    return {"entries": entries, "intact": not problems, "problems": problems}
