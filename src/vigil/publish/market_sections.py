"""The report's §2 sections: the market (offers and prices, §2.2) and channels (§2.3).

Built from the objects ``vigil stats offers`` and ``vigil stats channels`` print, formatted
as the other sections are (report_sections.py): counts ``1,234``, shares ``44.4%``, prices
``€9.95``; names, not codes, in prose and tables (``credit card``, ``pay-per-view``).
"""

from __future__ import annotations

from typing import Any

from vigil.publish import report_charts as charts
from vigil.publish.names import channel_name, offer_type_name, payment_type_name
from vigil.publish.report_sections import Section, Table, n, pct

__all__ = ["channels_section", "eur", "market_charts", "market_section"]


def eur(value: float | None) -> str:
    return "n/a" if value is None else f"€{value:,.2f}"


def market_section(o: dict[str, Any] | None) -> Section:
    s = Section("market", "The market: offers and prices (§2.2)")
    if o is None:
        s.missing.append("Offers were not computed for this period.")
        return s
    label = o["period"]
    if not o["price_points"]:
        s.missing.append(f"No offers were read from sales captures in {label}: prices need captured sales pages.")
        return s
    s.paragraphs.append(
        f"{n(o['brands_with_offers'])} brands showed {n(o['price_points'])} price points on their sales pages in {label}"
        + (f"; {n(o['unconverted'])} had no exchange rate and are left out of the euro figures." if o["unconverted"] else ".")
    )
    subs = next((r for r in o["prices_by_offer_type"] if r["offer_type"] == "subscription" and r["n"]), None)
    if subs is not None:
        change = ""
        if subs["median_change_eur"] is not None:
            d = subs["median_change_eur"]
            change = ", unchanged on the previous period" if d == 0 else f", {'up' if d > 0 else 'down'} {eur(abs(d))} on {o['previous_period']}"
        s.paragraphs.append(f"The median subscription price was {eur(subs['median_eur'])} (quartiles {eur(subs['q1_eur'])} "
                            f"to {eur(subs['q3_eur'])}, {n(subs['n'])} price points){change}.")  # fmt: skip
    vc = o["virtual_currency_share"]
    if vc and vc[-1]["brands"]:
        first = next((r for r in vc if r["brands"]), vc[-1])
        trend = o["virtual_currency_trend"]
        said = f"; Mann-Kendall trend {trend['trend']} (p={trend['p']:.3f})" if trend else ""
        s.paragraphs.append(
            f"{pct(vc[-1]['share'])} of brands with offers accepted virtual currency in {vc[-1]['period']} "
            f"({n(vc[-1]['brands_virtual'])} of {n(vc[-1]['brands'])}), against {pct(first['share'])} in {first['period']}{said}."
        )
    if o["brands_by_offer_type"]:
        top = max(o["brands_by_offer_type"], key=lambda r: (r["brands"], r["offer_type"] == "subscription"))
        s.paragraphs.append(f"The most common offer was {offer_type_name(top['offer_type'])}, sold by {n(top['brands'])} "
                            f"brands ({pct(top['share'])}).")  # fmt: skip
    s.tables.append(Table(
        "Prices by offer type (EUR)", ["Offer type", "Price points", "Lower quartile", "Median", "Upper quartile",
                                       f"Median in {o['previous_period']}", "No rate"],
        [[offer_type_name(r["offer_type"]), n(r["n"]), eur(r["q1_eur"]), eur(r["median_eur"]), eur(r["q3_eur"]),
          eur(r["previous_median_eur"]), n(r["unconverted"])] for r in o["prices_by_offer_type"]],
    ))  # fmt: skip
    s.tables.append(Table("Brands by offer type", ["Offer type", "Brands", "Share of brands with offers"],
                          [[offer_type_name(r["offer_type"]), n(r["brands"]), pct(r["share"])] for r in o["brands_by_offer_type"]]))  # fmt: skip
    s.tables.append(Table("Prices by distributor (EUR)", ["Distributor", "Brands", "Price points", "Median", "Offer types"],
                          [[r["distributor_id"], n(r["brands"]), n(r["price_points"]), eur(r["median_eur"]),
                            ", ".join(offer_type_name(t) for t in r["offer_types"])] for r in o["prices_by_distributor"]]))  # fmt: skip
    s.tables.append(Table("Currencies on offer", ["Currency", "Price points", "Brands"],
                          [[r["currency"], n(r["price_points"]), n(r["brands"])] for r in o["currencies"]]))  # fmt: skip
    s.tables.append(Table("Payment types offered (brands with offers)", ["Payment type", "Brands", "Share"],
                          [[payment_type_name(r["payment_type"]), n(r["brands"]), pct(r["share"])] for r in o["payment_types"]]))  # fmt: skip
    s.tables.append(Table("Brands accepting virtual currency", ["Period", "Brands with offers", "Accepting", "Share"],
                          [[r["period"], n(r["brands"]), n(r["brands_virtual"]), pct(r["share"])] for r in vc]))  # fmt: skip
    s.charts.append(("offer-prices", "Price distribution per offer type (EUR): quartiles and median"))
    s.charts.append(("virtual-currency", "Share of brands with offers accepting virtual currency"))
    return s


def channels_section(c: dict[str, Any] | None, note: str | None = None) -> Section:
    s = Section("channels", "Channels beyond the web (§2.3)")
    if c is None:
        s.missing.append(note or "Channels were not computed for this period.")
        return s
    rows = [r for r in c["channels"] if r["urls"]]
    if not rows:
        s.missing.append(f"No reports between {c['from']} and {c['to']}: channels need reports.")
        return s
    beyond = [r for r in rows if r["channel"] not in ("web", "unclassified")]
    total = sum(r["urls"] for r in rows)
    s.paragraphs.append(
        f"Of {n(total)} URLs reported from {c['from']} to {c['to']}, {n(sum(r['urls'] for r in beyond))} were on channels beyond the web"
        + (": " + ", ".join(f"{channel_name(r['channel'])} {n(r['urls'])}" for r in beyond) + "." if beyond else ".")
    )
    for e in c["emerging"]:
        s.paragraphs.append(
            f"Emerging issue: the commercial share of {channel_name(e['channel'])} rose from {pct(e['share_first'])} to "
            f"{pct(e['share_last'])} (Mann-Kendall, p={e['p']:.3f})."
        )
    if not c["emerging"]:
        s.paragraphs.append(f"No channel's commercial share rose significantly from {c['from']} to {c['to']}.")
    s.tables.append(Table(
        f"Channels, {c['from']} to {c['to']}", ["Channel", "URLs", "Commercial", "Share commercial", "Volume trend", "Commercial-share trend"],
        [[channel_name(r["channel"]), n(r["urls"]), n(r["commercial_urls"]), pct(r["share_commercial"]),
          r["volume_trend"] or "n/a", r["share_trend"] or "n/a"] for r in rows],
    ))  # fmt: skip
    s.charts.append(("channel-share", "Commercial share per channel and period"))
    return s


def market_charts(o: dict[str, Any] | None, c: dict[str, Any] | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if o and o["price_points"]:
        rows = [r for r in o["prices_by_offer_type"] if r["n"]]
        if rows:
            out["offer-prices"] = charts.range_chart(
                [offer_type_name(r["offer_type"]) for r in rows], [(r["q1_eur"], r["median_eur"], r["q3_eur"]) for r in rows],
                title=f"Prices per offer type, {o['period']}", xlabel="EUR")  # fmt: skip
        vc = o["virtual_currency_share"]
        out["virtual-currency"] = charts.line_chart([r["period"] for r in vc], {"share accepting virtual currency": [r["share"] * 100 for r in vc]},
                                                    title="Brands accepting virtual currency", ylabel="% of brands with offers")  # fmt: skip
    if c and any(r["urls"] for r in c["channels"]):
        periods = [p["period"] for p in c["periods"]]
        out["channel-share"] = charts.line_chart(
            periods, {channel_name(r["channel"]): [x["share_commercial"] * 100 for x in c["series"] if x["channel"] == r["channel"]]
                      for r in c["channels"]},
            title="Commercial share per channel", ylabel="% commercial")  # fmt: skip
    return out
