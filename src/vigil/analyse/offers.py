"""§2.2 "the market": offers and prices for any period (docs/market.md).

The offers counted are those on the period's sales captures (captures in the period that are
not cover pages), read by ``vigil enrich`` (``page_offers``). The unit is the **price
point**: one seller's offer of one type, period, amount and currency, counted once per
period however many captures show it; the seller is the capture's brand, or its URL when
no brand was attributed. A price point converts to EUR at the rate in force on the day it
was first seen in the period (``--rates``, docs/market.md); one with no rate is counted as
unconverted and left out of the EUR figures.

Payment types are those §5 reads from the captures' pages (a processor's type, crypto
addresses, IBANs, SMS and premium-rate numbers: docs/payments.md), over the same captures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from vigil.analyse.payments import SQL_PAGE_PAYMENTS, mapping_tables
from vigil.analyse.rates import Rates
from vigil.analyse.search import ALPHA, mann_kendall
from vigil.attribute.processors import Processors, default_processors
from vigil.enrich.offers import OFFER_TYPES
from vigil.periods import Period
from vigil.store.engine import Engine

__all__ = ["offer_stats", "quantile"]

_SQL_SALES = """
SELECT c.capture_key, c.captured_at, c.url, c.page_sha256, a.brand_id, a.distributor_id
FROM captures c LEFT JOIN capture_attribution a ON a.capture_key = c.capture_key
WHERE c.captured_at >= $start AND c.captured_at < $end AND NOT coalesce(a.cover, false)
"""

_SQL_POINTS = """
SELECT seller, brand_id, distributor_id, offer_type, period_days, amount, currency, {day} AS first_day
FROM (SELECT coalesce(s.brand_id, 'url:' || s.url) AS seller, min(s.brand_id) AS brand_id,
             min(s.distributor_id) AS distributor_id, o.offer_type, o.period_days, o.amount, o.currency,
             min(s.captured_at) AS first_at
      FROM _mk_sales s JOIN page_offers o ON o.page_sha256 = s.page_sha256
      GROUP BY coalesce(s.brand_id, 'url:' || s.url), o.offer_type, o.period_days, o.amount, o.currency) p
ORDER BY seller, offer_type, period_days NULLS FIRST, amount, currency
"""

_SQL_BRAND_PAYMENTS = """
SELECT DISTINCT s.brand_id, pp.payment_type
FROM _mk_sales s JOIN _page_payments pp ON pp.page_sha256 = s.page_sha256
WHERE s.brand_id IS NOT NULL
ORDER BY s.brand_id, pp.payment_type
"""

_SQL_ACTIVE = """
SELECT count(DISTINCT s.brand_id) AS brands,
       count(DISTINCT CASE WHEN pp.payment_type = 'virtual_currency' THEN s.brand_id END) AS brands_virtual
FROM _mk_sales s LEFT JOIN _page_payments pp ON pp.page_sha256 = s.page_sha256
WHERE s.brand_id IS NOT NULL
  AND s.brand_id IN (SELECT s2.brand_id FROM _mk_sales s2 JOIN page_offers o ON o.page_sha256 = s2.page_sha256)
"""


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted ``values`` by linear interpolation between order statistics
    (Hyndman & Fan type 7: numpy's and spreadsheets' default), rounded to 4 decimals."""
    if not values:
        raise ValueError("no values")
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    value = values[lo] + (values[hi] - values[lo]) * (pos - lo)
    return round(value, 4)


def _summary(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "min_eur": None, "q1_eur": None, "median_eur": None, "q3_eur": None, "max_eur": None}
    return {"n": len(ordered), "min_eur": ordered[0], "q1_eur": quantile(ordered, 0.25),
            "median_eur": quantile(ordered, 0.5), "q3_eur": quantile(ordered, 0.75), "max_eur": ordered[-1]}  # fmt: skip


def _params(period: Period) -> dict[str, Any]:
    return {"start": period.start_ts.replace(tzinfo=None), "end": period.end_ts.replace(tzinfo=None)}


def _points(engine: Engine, period: Period, rates: Rates) -> list[dict[str, Any]]:
    engine.materialise("_mk_sales", _SQL_SALES, _params(period))
    rows = engine.rows("price points", _SQL_POINTS.replace("{day}", engine.dialect.day("first_at")))
    for row in rows:
        day = row["first_day"]
        when = day if isinstance(day, date) else datetime.strptime(str(day)[:10], "%Y-%m-%d").date()
        row["eur"] = rates.to_eur(float(row["amount"]), row["currency"], when)
    return rows


def _by_type(points: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for offer_type in OFFER_TYPES:
        mine = [p for p in points if p["offer_type"] == offer_type]
        if mine:
            summary = _summary([p["eur"] for p in mine if p["eur"] is not None])
            summary["unconverted"] = sum(1 for p in mine if p["eur"] is None)
            out[offer_type] = summary
    return out


def _virtual_share(engine: Engine, period: Period) -> dict[str, Any]:
    engine.materialise("_mk_sales", _SQL_SALES, _params(period))
    row = engine.rows("brands accepting virtual currency", _SQL_ACTIVE)[0]
    brands, virtual = int(row["brands"]), int(row["brands_virtual"])
    return {"period": period.label, "brands": brands, "brands_virtual": virtual, "share": virtual / brands if brands else 0.0}


def _trend(series: list[float]) -> dict[str, Any] | None:
    if len(series) < 2:
        return None
    mk = mann_kendall(series)
    return {"trend": mk.trend, "p": round(mk.p, 6), "z": round(mk.z, 6), "tau": round(mk.tau, 6),
            "sen_slope": round(mk.sen_slope, 6), "alpha": ALPHA}  # fmt: skip


def offer_stats(engine: Engine, period: Period, *, rates: Rates, trend_periods: int = 8,
                processors: Processors | None = None) -> dict[str, Any]:  # fmt: skip
    """The §2.2 object for one period (keys in docs/market.md)."""
    mapping_tables(engine, processors if processors is not None else default_processors())
    engine.materialise("_page_payments", SQL_PAGE_PAYMENTS)
    chain = [period]
    while len(chain) < max(1, trend_periods):
        chain.append(chain[-1].previous())
    virtual = [_virtual_share(engine, p) for p in reversed(chain)]

    previous = _by_type(_points(engine, period.previous(), rates))
    points = _points(engine, period, rates)  # last: _mk_sales stays the period's for the steps below
    out: dict[str, Any] = {"period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
                           "previous_period": period.previous().label, "rates": rates.source}  # fmt: skip
    brands_with_offers = sorted({p["brand_id"] for p in points if p["brand_id"] is not None})
    out["price_points"] = len(points)
    out["unconverted"] = sum(1 for p in points if p["eur"] is None)
    out["brands_with_offers"] = len(brands_with_offers)
    out["sellers_with_offers"] = len({p["seller"] for p in points})

    prices = []
    for offer_type, summary in _by_type(points).items():
        before = previous.get(offer_type)
        change = None
        if before and before["median_eur"] is not None and summary["median_eur"] is not None:
            change = round(summary["median_eur"] - before["median_eur"], 4)
        prices.append({"offer_type": offer_type, **summary,
                       "previous_median_eur": before["median_eur"] if before else None, "median_change_eur": change})  # fmt: skip
    out["prices_by_offer_type"] = prices

    by_type_brands: dict[str, set[str]] = defaultdict(set)
    for p in points:
        if p["brand_id"] is not None:
            by_type_brands[p["offer_type"]].add(p["brand_id"])
    total = len(brands_with_offers)
    out["brands_by_offer_type"] = [
        {"offer_type": t, "brands": len(by_type_brands[t]), "share": len(by_type_brands[t]) / total}
        for t in OFFER_TYPES if by_type_brands.get(t)
    ]

    subs: dict[int | None, list[float]] = defaultdict(list)
    for p in points:
        if p["offer_type"] == "subscription" and p["eur"] is not None:
            subs[p["period_days"]].append(p["eur"])
    out["subscriptions_by_period"] = [
        {"period_days": days, **_summary(values)} for days, values in sorted(subs.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]

    by_dist: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in points:
        if p["distributor_id"] is not None:
            by_dist[p["distributor_id"]].append(p)
    dists = []
    for dist, mine in by_dist.items():
        eur = sorted(p["eur"] for p in mine if p["eur"] is not None)
        dists.append({"distributor_id": dist, "brands": len({p["brand_id"] for p in mine}), "price_points": len(mine),
                      "median_eur": quantile(eur, 0.5) if eur else None,
                      "offer_types": sorted({p["offer_type"] for p in mine})})  # fmt: skip
    out["prices_by_distributor"] = sorted(dists, key=lambda d: (-d["price_points"], d["distributor_id"]))

    currencies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in points:
        currencies[p["currency"]].append(p)
    out["currencies"] = sorted(
        ({"currency": c, "price_points": len(mine), "brands": len({p["brand_id"] for p in mine if p["brand_id"]})}
         for c, mine in currencies.items()), key=lambda r: (-r["price_points"], r["currency"]))  # fmt: skip

    accepted: dict[str, set[str]] = defaultdict(set)
    offering = set(brands_with_offers)
    for row in engine.rows("payment types of brands with offers", _SQL_BRAND_PAYMENTS):
        if row["brand_id"] in offering:
            accepted[row["payment_type"]].add(row["brand_id"])
    out["payment_types"] = sorted(
        ({"payment_type": t, "brands": len(b), "share": len(b) / total} for t, b in accepted.items()),
        key=lambda r: (-r["brands"], r["payment_type"]))  # fmt: skip

    out["virtual_currency_share"] = virtual
    out["virtual_currency_trend"] = _trend([v["share"] for v in virtual])
    return out
