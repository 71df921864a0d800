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


_GROUP_SQL = {"host": "hosting_org", "asn": "CASE WHEN asn IS NOT NULL THEN 'AS' || asn END", "country": "country",
              "registrar": "registrar", "processor": "processor"}  # fmt: skip


def _league_sql(by: str) -> str:
    """Each group's counts, and its removal times in hours (ascending), for :func:`league_on_engine`.
    Mirrors :func:`league` step by step; ``$start``/``$end`` bound the first notice, ``$as_of``
    is the as-of time."""
    from vigil.disrupt.clocks import CLOCKS_SQL

    return f"""
WITH k AS (
    SELECT c.url, {_GROUP_SQL[by]} AS grp, coalesce(nullif(c.brand, ''), nullif(c.distributor, '')) AS identity,
           c.domain, c.merchant_account, c.wallets, r.first_notice AS first, r.first_ack,
           CASE WHEN r.removed_at <= $as_of THEN r.removed_at END AS removed
    FROM takedown_cases c JOIN ({CLOCKS_SQL}) r ON r.url = c.url
    WHERE r.first_notice IS NOT NULL
), s AS (  -- first notice of each (group, brand) over all time, for repeat offences
    SELECT grp, identity, min(first) AS earliest FROM k WHERE grp <> '' AND identity IS NOT NULL GROUP BY grp, identity
), n AS (
    SELECT k.*, epoch_us(removed) - epoch_us(first) AS us, s.earliest
    FROM k LEFT JOIN s ON s.grp = k.grp AND s.identity = k.identity
    WHERE k.grp IS NOT NULL AND $start <= first AND first < $end
)
SELECT grp, count(*) AS noticed, count(removed) AS removed,
       count(*) FILTER (WHERE us <= 1 * 86400000000) AS r1,
       count(*) FILTER (WHERE us <= 3 * 86400000000) AS r3,
       count(*) FILTER (WHERE us <= 7 * 86400000000) AS r7,
       count(*) FILTER (WHERE first + INTERVAL 42 DAY <= $as_of) AS eligible_42d,
       count(*) FILTER (WHERE first + INTERVAL 42 DAY <= $as_of AND (removed IS NULL OR us > 42 * 86400000000)) AS up42,
       count(*) FILTER (WHERE earliest < first) AS repeat,
       count(*) FILTER (WHERE removed IS NULL AND (first_ack IS NULL OR first_ack > $as_of)) AS silent,
       list(us::DOUBLE / 1000000.0 / 3600.0 ORDER BY us) FILTER (WHERE removed IS NOT NULL) AS hours  -- as hours(): µs / 10⁶ / 3600
FROM n GROUP BY grp
"""


_OUTCOMES_SQL = """
WITH latest AS (
    SELECT partner, item, arg_max(outcome, recorded_at) AS outcome FROM partner_outcomes GROUP BY partner, item
), items AS (  -- each noticed URL's items, once each
    SELECT DISTINCT n.grp, n.url, i.item
    FROM ({league}) n, unnest(list_concat([n.url, n.domain, n.merchant_account], coalesce(n.wallets, []))) AS i(item)
    WHERE i.item IS NOT NULL
)
SELECT items.grp, latest.outcome, count(*) AS n FROM items JOIN latest ON latest.item = items.item GROUP BY ALL
"""


def league_on_engine(con: Any, *, period: Period, by: str, as_of: datetime) -> dict[str, Any]:
    """:func:`league` computed on the engine from the store's cases, events and partner outcomes
    (the same table: ``tests/test_disrupt_league.py`` holds the two equal). The engine counts;
    the median and p90 are taken here, from each group's sorted removal times, with the
    reference's own functions, so that their rounding is the reference's."""
    if by not in GROUPINGS:
        raise ValueError(f"--by {by!r}: one of {', '.join(GROUPINGS)}")
    params = {"start": period.start_ts.replace(tzinfo=None), "end": period.end_ts.replace(tzinfo=None), "as_of": as_of, "now": None}
    sql = _league_sql(by)
    outcomes: dict[str, dict[str, int]] = defaultdict(dict)
    if con.execute("SELECT count(*) FROM partner_outcomes").fetchall()[0][0]:
        noticed = sql[: sql.rindex("SELECT grp, count(*)")] + "SELECT * FROM n"
        for group, outcome, n in con.execute(_OUTCOMES_SQL.format(league=noticed), params).fetchall():
            outcomes[group][outcome] = n
    table = []
    for group, n, removed, r1, r3, r7, eligible, up42, repeat, silent, samples in con.execute(sql, params).fetchall():
        samples = samples or []
        table.append({
            "group": group, "noticed": n, "removed": removed,
            "median_hours": median(samples), "p90_hours": p90(samples),
            "removed_1d": share(r1, n), "removed_3d": share(r3, n), "removed_7d": share(r7, n),
            "eligible_42d": eligible, "up_after_42d": share(up42, eligible),
            "repeat_offence": share(repeat, n), "non_response": share(silent, n),
            "outcomes": dict(sorted(outcomes.get(group, {}).items())),
        })  # fmt: skip
    table.sort(key=lambda r: (-r["noticed"], r["group"]))
    return {"period": str(period), "by": by, "as_of": as_of.isoformat(), "rows": table}
