"""The report's takedown section: league tables from the notice-and-takedown records.

Figures come from :func:`vigil.disrupt.workflow.takedown_stats` (docs/disruption.md); the
section says plainly when the store holds no takedown records (or runs on Spark, whose data
directory does not hold the disruption tables' operational state).
"""

from __future__ import annotations

from typing import Any

from vigil.publish import report_charts as charts
from vigil.publish.report_sections import Section, Table, n, pct
from vigil.store.handle import DuckStoreHandle, StoreHandle


def takedown_report_stats(store: StoreHandle, period: Any) -> dict[str, Any] | None:
    """League tables by hosting organisation and registrar, or ``None`` when there is nothing."""
    if not isinstance(store, DuckStoreHandle):  # the Spark engine keeps no takedown records
        return None
    con = store.con
    from vigil.disrupt import workflow

    if not con.execute("SELECT count(*) FROM takedown_cases").fetchall()[0][0]:
        return None
    return {by: workflow.takedown_stats(con, period=period, by=by) for by in ("host", "registrar")}


def _share(value: float | None) -> str:
    return "–" if value is None else pct(value)


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} h"


def takedown_section(t: dict[str, Any] | None, label: str) -> Section:
    s = Section("takedown", "Notice and takedown")
    rows = (t or {}).get("host", {}).get("rows", [])
    if not rows:
        s.missing.append(f"No notices were sent in {label}: there is no takedown record to measure.")
        return s
    noticed = sum(r["noticed"] for r in rows)
    removed = sum(r["removed"] for r in rows)
    s.paragraphs.append(
        f"{n(noticed)} URLs were first noticed in {label}; {n(removed)} of them were removed by "
        f"{str((t or {}).get('host', {}).get('as_of', ''))[:10]}. Times run from the first notice to the first "
        "re-check that found the URL offline."
    )
    columns = ["Group", "Noticed", "Median", "p90", "≤1 day", "≤3 days", "≤7 days", "Up after 42 days", "Repeat", "No response"]
    for by, title in (("host", "hosting provider"), ("registrar", "registrar")):
        got = (t or {}).get(by, {}).get("rows", [])
        s.tables.append(Table(f"Time to removal by {title}", columns, [
            [r["group"], n(r["noticed"]), _hours(r["median_hours"]), _hours(r["p90_hours"]), _share(r["removed_1d"]),
             _share(r["removed_3d"]), _share(r["removed_7d"]), _share(r["up_after_42d"]), _share(r["repeat_offence"]),
             _share(r["non_response"])] for r in got]))  # fmt: skip
    s.charts.append(("takedown-median", "Median hours from notice to removal, by hosting provider"))
    return s


def takedown_charts(t: dict[str, Any] | None) -> dict[str, bytes]:
    rows = [r for r in (t or {}).get("host", {}).get("rows", []) if r["median_hours"] is not None][:12]
    if not rows:
        return {}
    return {"takedown-median": charts.bar_chart([r["group"] for r in rows], [r["median_hours"] for r in rows],
                                                title="Median time to removal by hosting provider", xlabel="hours")}  # fmt: skip
