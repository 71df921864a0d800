"""Takedown league tables (``vigil stats takedown``): how fast each party removes what it is sent.

For a period and a grouping (``host`` = hosting organisation, ``asn``, ``country``,
``registrar``, ``processor``), over the URLs whose **first notice** falls in the period, each
group's row holds, exactly:

* ``noticed`` — URLs; ``removed`` — of them, removed by the as-of time;
* ``median_hours``, ``p90_hours`` — time to removal (first notice → first seen offline, else
  resolved) over the removed URLs; the median is the middle value (mean of the two middle
  ones), p90 the nearest rank (⌈0.9·n⌉-th smallest); rounded to 0.01 h;
* ``removed_1d``, ``removed_3d``, ``removed_7d`` — share of noticed URLs removed within
  1, 3, 7 days of their first notice;
* ``up_after_42d`` — share still up 42 days after first notice, over ``eligible_42d``: the
  URLs whose 42 days had passed by the as-of time;
* ``repeat_offence`` — share of noticed URLs whose brand already had a URL noticed in the
  same group before (brand, else distributor);
* ``non_response`` — share with no acknowledgement from anyone and not removed by as-of;
* ``outcomes`` — partner outcomes recorded for the group's URLs, domains, merchant accounts
  and wallets, counted by outcome.

Shares are fractions rounded to 4 places. The as-of time is the latest event in the store
unless given. Rows are ordered by ``noticed`` (descending), then name; a case with no value
for the grouping is left out of that grouping.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Clock
from vigil.periods import Period

GROUPINGS: tuple[str, ...] = ("host", "asn", "country", "registrar", "processor")
DAY = timedelta(days=1)


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def league(cases: Iterable[Case], records: Mapping[str, Clock], *, period: Period, by: str,
           as_of: datetime, outcomes: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """The league table for ``period`` grouped ``by`` (see the module's definitions)."""
    if by not in GROUPINGS:
        raise ValueError(f"--by {by!r}: one of {', '.join(GROUPINGS)}")
    start, end = period.start_ts.replace(tzinfo=None), period.end_ts.replace(tzinfo=None)
    case_list = list(cases)
    by_item: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes or []:
        by_item[str(outcome["item"])][str(outcome["outcome"])] += 1
    # first notices per group and brand, over all time (for repeat offences)
    seen: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for case in case_list:
        group, record = case.group(by), records.get(case.url)
        identity = case.brand or case.distributor
        if group and identity and record and record.first_notice:
            seen[(group, identity)].append(record.first_notice)
    rows: dict[str, dict[str, Any]] = {}
    samples: dict[str, list[float]] = defaultdict(list)
    for case in case_list:
        group, record = case.group(by), records.get(case.url)
        if group is None or record is None or record.first_notice is None:
            continue
        first = record.first_notice
        if not (start <= first < end):
            continue
        row = rows.setdefault(group, {"group": group, "noticed": 0, "removed": 0, "r1": 0, "r3": 0, "r7": 0, "eligible_42d": 0,
                                      "up42": 0, "repeat": 0, "silent": 0, "outcomes": Counter()})  # fmt: skip
        row["noticed"] += 1
        removed = record.removed_at if record.removed_at is not None and record.removed_at <= as_of else None
        if removed is not None:
            row["removed"] += 1
            samples[group].append(hours(removed - first))
            for days, key in ((1, "r1"), (3, "r3"), (7, "r7")):
                row[key] += removed - first <= days * DAY
        if first + 42 * DAY <= as_of:
            row["eligible_42d"] += 1
            row["up42"] += removed is None or removed - first > 42 * DAY
        identity = case.brand or case.distributor
        if identity and any(t < first for t in seen[(group, identity)]):
            row["repeat"] += 1
        if removed is None and (record.first_ack is None or record.first_ack > as_of):
            row["silent"] += 1
        if by_item:
            for item in {case.url, case.domain, case.merchant_account, *case.wallets} - {None}:
                got = by_item.get(str(item))
                if got:
                    row["outcomes"].update(got)
    table = []
    for group, row in rows.items():
        n = row["noticed"]
        table.append({
            "group": group, "noticed": n, "removed": row["removed"],
            "median_hours": median(samples[group]), "p90_hours": p90(samples[group]),
            "removed_1d": share(row["r1"], n), "removed_3d": share(row["r3"], n), "removed_7d": share(row["r7"], n),
            "eligible_42d": row["eligible_42d"], "up_after_42d": share(row["up42"], row["eligible_42d"]),
            "repeat_offence": share(row["repeat"], n), "non_response": share(row["silent"], n),
            "outcomes": dict(sorted(row["outcomes"].items())),
        })  # fmt: skip
    table.sort(key=lambda r: (-r["noticed"], r["group"]))
    return {"period": str(period), "by": by, "as_of": as_of.isoformat(), "rows": table}
