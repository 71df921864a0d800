"""The report's sections as data: generated sentences, formatted tables, missing-data notes.

Every figure is formatted here once, so the HTML, PDF and Markdown show the same text.
Counts are ``1,234``; shares are percentages to one decimal (``44.4%``); changes against
the previous period are whole percentages of the previous value (``up 12% on 2012Q3``)
or, for shares, percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.publish.names import country_name, payment_type_name


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)  # (chart name, caption)
    commentary: list[str] = field(default_factory=list)


def n(value: Any) -> str:
    return f"{int(value):,}"


def pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def change(current: float, previous: float | None, label: str) -> str:
    """``up 12% on 2012Q3``; whole percentages of the previous value."""
    if previous is None:
        return f"no figure for {label}"
    if previous == 0:
        return f"none in {label}" if current else f"none in {label} either"
    diff = round((current - previous) / previous * 100)
    if diff == 0:
        return f"unchanged on {label}"
    return f"{'up' if diff > 0 else 'down'} {abs(diff)}% on {label}"


def points(current: float, previous: float | None, label: str) -> str:
    """A share's change in percentage points: ``up 3.1 points on 2012Q3``."""
    if previous is None:
        return f"no figure for {label}"
    diff = round((current - previous) * 100, 1)
    if diff == 0:
        return f"unchanged on {label}"
    return f"{'up' if diff > 0 else 'down'} {abs(diff):.1f} points on {label}"


def hosting_section(h: dict[str, Any]) -> Section:
    prev = h["previous"]
    label, plabel = h["period"], prev["period"]
    s = Section("hosting", "Web distribution and hosting (§3)")
    if not h["urls"]:
        s.missing.append(
            f"No commercial URLs were reported in {label}: there is nothing to count by hosting."
        )
        return s
    s.paragraphs.append(
        f"{n(h['urls'])} commercial URLs were reported in {label}, {change(h['urls'], prev['urls'], plabel)}."
    )
    top = h["by_country"][0]
    s.paragraphs.append(
        f"The most used hosting country was {country_name(top['country'])}, with {n(top['urls'])} URLs ({pct(top['share'])})."
    )
    before = {r["country"]: r["urls"] for r in prev["by_country"]}
    s.tables.append(Table(
        "Commercial URLs by hosting country",
        ["Country", "URLs", "Share", f"URLs in {plabel}"],
        [[country_name(r["country"]), n(r["urls"]), pct(r["share"]), n(before.get(r["country"], 0))] for r in h["by_country"]],
    ))  # fmt: skip
    s.charts.append(("hosting-countries", "Commercial URLs by hosting country"))
    before_t = {r["site_type"]: r["urls"] for r in prev["by_site_type"]}
    s.tables.append(Table(
        "Commercial URLs by site type",
        ["Site type", "URLs", "Share", f"URLs in {plabel}"],
        [[r["site_type"], n(r["urls"]), pct(r["share"]), n(before_t.get(r["site_type"], 0))] for r in h["by_site_type"]],
    ))  # fmt: skip
    for r in h["by_site_type"][:2]:
        within = [
            x for x in h["site_type_by_country"] if x["site_type"] == r["site_type"]
        ][:3]
        spread = ", ".join(f"{country_name(x['country'])} {pct(x['share'])}" for x in within)
        s.paragraphs.append(
            f"Site type {r['site_type']} accounted for {n(r['urls'])} URLs ({pct(r['share'])}); of these: {spread}."
        )
    s.charts.append(("site-type-by-country", "Site type by hosting country"))
    s.paragraphs.append(
        f"{n(len(h['multi_hosted']))} domains used multiple hosting services (two or more ASNs) in {label}; "
        f"{n(len(h['shared_services']))} free domain services were used."
    )
    return s


def brands_section(
    b: dict[str, Any], prev: dict[str, Any], *, captures: int
) -> Section:
    label, plabel = b["period"], prev["period"]
    s = Section("brands", "Brands and distributors (§4)")
    s.paragraphs.append(
        f"{n(b['reports'])} reports were received in {label}, {change(b['reports'], prev['reports'], plabel)}; "
        f"{n(b['urls_actioned'])} URLs were actioned, {n(b['commercial_urls'])} of them ({pct(b['commercial_share'])}) commercial."
    )
    if not captures:
        s.missing.append(
            f"No captures in {label}: brand and distributor figures need captured sales pages."
        )
    else:
        s.paragraphs.append(
            f"{n(b['brands_active'])} brands were active in {label}, {change(b['brands_active'], prev['brands_active'], plabel)}; "
            f"{n(b['brands_new'])} of them new. {n(b['distributors_active'])} distributors were active, "
            f"{n(b['distributors_new'])} of them new."
        )
        s.paragraphs.append(
            f"The 10 most prolific brands accounted for {pct(b['top10_share'])} of commercial URLs; "
            f"the largest distributor for {pct(b['top_distributor_share'])}."
        )
    keys = [
        ("Reports", "reports", n), ("URLs actioned", "urls_actioned", n), ("Commercial URLs", "commercial_urls", n),
        ("Commercial share", "commercial_share", pct), ("Templates active", "templates", n),
        ("Brands active", "brands_active", n), ("Brands new", "brands_new", n),
        ("Distributors active", "distributors_active", n), ("Distributors new", "distributors_new", n),
        ("Top-10 brands' share", "top10_share", pct), ("Top distributor's share", "top_distributor_share", pct),
    ]  # fmt: skip
    s.tables.append(
        Table(
            "Key figures",
            ["Measure", label, plabel],
            [[t, f(b[k]), f(prev[k])] for t, k, f in keys],
        )
    )
    if b["top_brands"]:
        s.tables.append(Table(
            "Most prolific brands (commercial URLs)",
            ["Brand", "Distributor", "URLs"],
            [[r["brand_id"], r["distributor_id"] or "none", n(r["urls"])] for r in b["top_brands"]],
        ))  # fmt: skip
    if b["distributors"]:
        s.tables.append(Table(
            "Distributors active",
            ["Distributor", "First seen", "Last seen", "Brands active", "Captures", "New"],
            [[r["distributor_id"], r["first_seen"], r["last_seen"], n(r["brands_active"]), n(r["captures"]),
              "yes" if r["new"] else "no"] for r in b["distributors"]],
        ))  # fmt: skip
    s.charts.append(("brand-activity", "Brands and distributors active per quarter"))
    return s


def payments_section(p: dict[str, Any], *, purchases: int) -> Section:
    label = p["period"]
    s = Section("payments", "Payment methods (§5)")
    rows = p["urls_by_payment_type"]
    periods = sorted({r["period"] for r in p["trend"]})
    plabel = periods[-2] if len(periods) >= 2 else None
    before = {r["payment_type"]: r["urls"] for r in p["trend"] if r["period"] == plabel}
    if not rows:
        s.missing.append(
            f"No payment evidence for commercial URLs in {label} (reports, captures or test purchases)."
        )
    else:
        top = rows[0]
        prev_top = before.get(top["payment_type"]) if plabel else None
        s.paragraphs.append(
            f"The most common payment type was {payment_type_name(top['payment_type'])}, seen on {n(top['urls'])} commercial URLs "
            f"({pct(top['share'])}), {change(top['urls'], prev_top, plabel or 'the previous period')}."
        )
        s.paragraphs.append(
            f"{pct(p['hidden_payment_share'])} of commercial URLs hid their payment method."
        )
        s.tables.append(Table(
            "Commercial URLs by payment type",
            ["Payment type", "URLs", "Share"] + ([f"URLs in {plabel}"] if plabel else []),
            [[payment_type_name(r["payment_type"]), n(r["urls"]), pct(r["share"])] + ([n(before.get(r["payment_type"], 0))] if plabel else [])
             for r in rows],
        ))  # fmt: skip
        s.charts.append(("payment-trend", "Commercial URLs by payment type per period"))
    if not purchases:
        s.missing.append(
            f"No test purchases in {label}: processor concentration needs payment providers' test-purchase records."
        )
    else:
        c = p["concentration"]
        s.paragraphs.append(
            f"{n(c['processors_for_95'])} processors and {n(c['merchant_accounts_for_95'])} merchant accounts "
            f"carried 95% of the {n(c['purchases'])} test purchases."
        )
    if p["processors"]:
        s.tables.append(Table("Processors implicated", ["Processor", "URLs", "Purchases"],
                              [[r["processor"], n(r["urls"]), n(r["purchases"])] for r in p["processors"]]))  # fmt: skip
    return s


def estimates_section(e: dict[str, Any]) -> Section:
    s = Section("estimates", "Expert estimates (§2.1)")
    if not e["questions"]:
        s.missing.append(
            "No expert estimates in the store: import structured answers to report them."
        )
        return s
    for q in e["questions"]:
        outliers = ", ".join(f"{o['value']:g}" for o in q["outliers"]) or "none"
        s.paragraphs.append(
            f"{q['question']} (n={q['n']}, {q['unit']}): mean {q['mean']:.1f}, median {q['median']:.1f}, "
            f"range {q['min']:g} to {q['max']:g}; outliers: {outliers}."
        )
    s.tables.append(Table(
        "Expert estimates", ["Question", "Unit", "n", "Mean", "Median", "Min", "Max", "Outliers"],
        [[q["question"], q["unit"], str(q["n"]), f"{q['mean']:.1f}", f"{q['median']:.1f}", f"{q['min']:g}", f"{q['max']:g}",
          ", ".join(f"{o['value']:g}" for o in q["outliers"]) or "none"] for q in e["questions"]],
    ))  # fmt: skip
    s.paragraphs.append(f"Outlier rule: {e['rule_text']}.")
    return s


def emerging_section(
    h: dict[str, Any],
    b: dict[str, Any],
    search: dict[str, Any] | None,
    search_note: str,
) -> Section:
    s = Section("emerging", "Emerging issues")
    if search is None:
        s.missing.append(search_note)
    elif not search["periods"]:
        s.missing.append(
            f"No search volumes between {search['from']} and {search['to']}."
        )
    else:
        for c in search["categories"]:
            mk = c["mann_kendall"]
            trend = (
                f"Mann-Kendall trend {mk['trend']} (p={mk['p']:.3f})"
                if mk
                else "too few periods for a trend test"
            )
            s.paragraphs.append(
                f"Search category {c['category']}: {c['volume']:,.0f} searches over {len(search['periods'])} periods; {trend}."
            )
        s.tables.append(Table(
            "Search volume growth by region", ["Region", "First period", "Last period", "Change"],
            [[r["region"], f"{r['first']:,.0f}", f"{r['last']:,.0f}",
              "n/a" if r["change_pct"] is None else f"{r['change_pct']:+.0f}%"] for r in search["regions"]],
        ))  # fmt: skip
        s.charts.append(("search-trend", "Search volume by category"))
    new = [r for r in b["distributors"] if r["new"]]
    s.paragraphs.append(
        f"{n(b['distributors_new'])} new distributors and {n(b['brands_new'])} new brands appeared in {b['period']}."
        + (
            f" New distributors: {', '.join(r['distributor_id'] for r in new)}."
            if new
            else ""
        )
    )
    families = h["hopping_families"]
    s.paragraphs.append(
        f"{n(len(families))} site labels hopped between domains (domain hopping) up to the end of {h['period']}."
    )
    if families:
        s.tables.append(Table("Domain hopping families", ["Label", "Hops", "Domains in order"],
                              [[f["label"], n(f["hops"]), " → ".join(x["domain"] for x in f["history"])] for f in families[:20]]))  # fmt: skip
    return s
