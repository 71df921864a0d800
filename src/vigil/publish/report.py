"""The strategic assessment, generated: HTML, Markdown and PDF from the store (docs/report.md).

``render_report`` gathers the §3, §4, §5 and §2.1 statistics objects (the same ones the
``vigil stats`` commands print), turns them into sections (report_sections.py), draws the
charts (report_charts.py), and renders the Jinja2 templates ``report.html.j2`` (autoescape
on) and ``report.md.j2``; the PDF is WeasyPrint's rendering of the HTML, allowed to load
nothing but the ``data:`` URIs of its own charts. A section whose data is missing says so
in place; it never disappears. Same store, period and options give the same Markdown and
HTML apart from the one ``Generated:`` line.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

import vigil
from vigil.analyse.brands import brand_stats
from vigil.analyse.channels import channel_stats
from vigil.analyse.estimates import TUKEY_K, estimate_stats
from vigil.analyse.hosting import hosting_stats
from vigil.analyse.offers import offer_stats
from vigil.analyse.payments import CONCENTRATION, payment_stats
from vigil.analyse.rates import load_rates
from vigil.analyse.search import ALPHA, search_stats
from vigil.atomic import atomic_path, make_dir, write_bytes, write_text
from vigil.attribute.processors import Processors
from vigil.attribute.templates import TemplateSettings
from vigil.errors import ConfigError
from vigil.periods import Period
from vigil.publish import report_charts as charts
from vigil.publish.market_sections import (
    channels_section,
    market_charts,
    market_section,
)
from vigil.publish.names import country_name, payment_type_name
from vigil.publish.report_commentary import SECTION_IDS, read_commentary
from vigil.publish.report_sections import (
    Section,
    Table,
    brands_section,
    emerging_section,
    estimates_section,
    hosting_section,
    n,
    payments_section,
)
from vigil.publish.report_takedown import (
    takedown_charts,
    takedown_report_stats,
    takedown_section,
)
from vigil.store.handle import StoreHandle

__all__ = ["FORMATS", "SECTION_IDS", "render_report"]

FORMATS = ("html", "md", "pdf")
TREND_PERIODS = 4
MARKET_PERIODS = 8  # the virtual-currency share and the channel trends look back this far

_html_env = Environment(
    loader=PackageLoader("vigil.publish", "templates"),
    autoescape=select_autoescape(default=True),
)
_md_env = Environment(
    loader=PackageLoader("vigil.publish", "templates"),
    autoescape=False,
    keep_trailing_newline=True,
)

_SQL_ACTIVITY = """
SELECT year(c.captured_at) || 'Q' || quarter(c.captured_at) AS quarter,
       count(DISTINCT a.brand_id) AS brands, count(DISTINCT a.distributor_id) AS distributors
FROM captures c JOIN capture_attribution a USING (capture_key)
WHERE NOT a.cover AND c.captured_at < $end
GROUP BY 1 ORDER BY 1
"""

_INPUTS = (
    ("reports", "reports", "reported_at"),
    ("captures", "captures", "captured_at"),
    ("test purchases", "test_purchases", "purchased_at"),
    ("search volumes", "search_volumes", "period_start"),
    ("expert estimates", "expert_estimates", "ingested_at"),
)


def _count(store: StoreHandle, sql: str, params: dict[str, Any] | None = None) -> int:
    return int(store.engine.rows("report count", sql, params)[0]["n"])


def _md(text: Any) -> str:
    """Text for Markdown: HTML-escaped (no raw HTML reaches a viewer) and table-safe."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


_md_env.filters["md"] = _md


def _summary(secs: dict[str, Section], h: dict[str, Any]) -> Section:
    """Key findings: the first sentence or two of each section, each with its number."""
    s = Section("summary", f"Executive summary: key findings for {h['period']}")
    for sid, take in (
        ("market", 3),
        ("channels", 2),
        ("hosting", 2),
        ("brands", 2),
        ("payments", 2),
        ("emerging", 2),
        ("estimates", 1),
    ):
        s.paragraphs.extend(secs[sid].paragraphs[:take])
        s.missing.extend(secs[sid].missing[:1])
    return s


def _annex(
    h: dict[str, Any], p: dict[str, Any], activity: list[dict[str, Any]]
) -> Section:
    s = Section("annex", "Annex tables")
    s.tables.append(Table("Site type by hosting country", ["Site type", "Country", "URLs", "Share of site type"],
                          [[r["site_type"], country_name(r["country"]), n(r["urls"]), f"{r['share'] * 100:.1f}%"] for r in h["site_type_by_country"]]))  # fmt: skip
    s.tables.append(Table("Hosting networks (ASNs)", ["ASN", "Organisation", "Country", "URLs"],
                          [[str(r["asn"]), r["organisation"] or "", country_name(r["country"]) if r["country"] else "", n(r["urls"])] for r in h["asns"]]))  # fmt: skip
    s.tables.append(
        Table(
            "Free domain services",
            ["Service", "URLs"],
            [[r["service"], n(r["urls"])] for r in h["shared_services"]],
        )
    )
    s.tables.append(Table("Domains on multiple hosting services", ["Domain", "ASNs", "Hosts"],
                          [[r["domain"], n(r["asns"]), n(r["hosts"])] for r in h["multi_hosted"]]))  # fmt: skip
    s.tables.append(Table("Merchant accounts implicated", ["Processor", "Merchant account", "Purchases", "Brands"],
                          [[r["processor"] or "", r["merchant_account"], n(r["purchases"]), n(r["brands"])] for r in p["merchant_accounts"]]))  # fmt: skip
    s.tables.append(Table("Payment types per period (commercial URLs)", ["Period", "Payment type", "URLs"],
                          [[r["period"], payment_type_name(r["payment_type"]), n(r["urls"])] for r in p["trend"]]))  # fmt: skip
    s.tables.append(Table("Brands and distributors active per quarter", ["Quarter", "Brands", "Distributors"],
                          [[r["quarter"], n(r["brands"]), n(r["distributors"])] for r in activity]))  # fmt: skip
    for t in s.tables:
        if not t.rows:
            s.missing.append(f"{t.title}: no rows for {h['period']}.")
    return s


def _methods(
    store: StoreHandle, period: Period, search: dict[str, Any] | None, lexicon: Path | None, rates: Path | None = None
) -> Section:
    s = Section("methods", "Methods and provenance")
    rows = []
    for title, table, column in _INPUTS:
        got = store.engine.rows(
            f"inputs {table}",
            f"SELECT count(*) AS n, min({column}) AS lo, max({column}) AS hi FROM {table}",
        )[0]
        lo = "" if got["lo"] is None else str(got["lo"])[:10]
        hi = "" if got["hi"] is None else str(got["hi"])[:10]
        rows.append([title, n(got["n"]), lo, hi])
    s.tables.append(
        Table("Inputs in the store", ["Input", "Records", "From", "To"], rows)
    )
    files = store.engine.rows("ingest files", "SELECT kind, path, file_sha256, stored, duplicates, quarantined, completed "
                              "FROM ingest_files ORDER BY kind, path, file_sha256")  # fmt: skip
    s.tables.append(Table("Files ingested", ["Kind", "Path", "SHA-256", "Stored", "Duplicates", "Quarantined", "Complete"],
                          [[f["kind"], f["path"], f["file_sha256"][:12], n(f["stored"]), n(f["duplicates"]), n(f["quarantined"]),
                            "yes" if f["completed"] else "no"] for f in files]))  # fmt: skip
    runs = store.engine.rows("enrich runs", "SELECT run_id, finished_at, ip_provider, data_files, hosts, ips, urls, vigil_version "
                             "FROM enrich_runs ORDER BY finished_at, run_id")  # fmt: skip
    s.tables.append(Table("Enrichment runs", ["Run", "Finished", "IP provider", "Data files", "Hosts", "IPs", "URLs", "Version"],
                          [[r["run_id"], str(r["finished_at"])[:19], r["ip_provider"], r["data_files"], n(r["hosts"]), n(r["ips"]),
                            n(r["urls"]), r["vigil_version"]] for r in runs]))  # fmt: skip
    t = TemplateSettings()
    thresholds = [
        [
            "Period",
            f"{period.label} ({period.start} to {period.end}, end exclusive); compared with {period.previous().label}",
        ],
        ["Scope of §3 and §5", "commercial URLs (reports marked commercial)"],
        [
            "Payment concentration",
            f"processors / merchant accounts carrying {CONCENTRATION:.0%} of test purchases",
        ],
        ["Payment trend", f"{TREND_PERIODS} periods"],
        ["Market and channel trends", f"{MARKET_PERIODS} periods; exchange rates: {rates.name if rates else 'none given (EUR prices only)'}"],
        ["Expert-estimate outliers", f"Tukey fences, k = {TUKEY_K}"],
        [
            "Template similarity (attribution defaults)",
            f"same ≥ {t.same}, sufficiently altered < {t.altered}",
        ],
        [
            "Search trend test",
            f"Mann-Kendall, alpha {ALPHA}"
            + (
                f"; lexicon sha256 {search['lexicon']['sha256'][:12]}" if search else ""
            ),
        ],
        ["Lexicon", lexicon.name if lexicon else "none given"],
        ["Software", f"vigil {vigil.__version__}"],
    ]
    s.tables.append(Table("Thresholds and settings", ["Setting", "Value"], thresholds))
    s.paragraphs.append(
        "Every figure comes from the store through the same functions as the `vigil stats` commands "
        "(hosting, brands, payments, estimates, search, offers, channels). Vigil holds metadata only: no images or videos, "
        "and captured pages are never shown."
    )
    return s


def _charts(
    h: dict[str, Any],
    p: dict[str, Any],
    activity: list[dict[str, Any]],
    search: dict[str, Any] | None,
) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if h["by_country"]:
        top = h["by_country"][:12]
        out["hosting-countries"] = charts.bar_chart([country_name(r["country"]) for r in top], [r["urls"] for r in top],
                                                    title=f"Commercial URLs by hosting country, {h['period']}", xlabel="URLs")  # fmt: skip
        out["site-type-by-country"] = charts.site_type_by_country(
            h["site_type_by_country"]
        )
    if activity:
        quarters = [r["quarter"] for r in activity]
        out["brand-activity"] = charts.line_chart(
            quarters, {"brands": [r["brands"] for r in activity], "distributors": [r["distributors"] for r in activity]},
            title="Brands and distributors active per quarter", ylabel="active")  # fmt: skip
    if p["urls_by_payment_type"]:
        periods = list(dict.fromkeys(r["period"] for r in p["trend"]))
        types = list(dict.fromkeys(r["payment_type"] for r in p["trend"]))
        counts = {(r["period"], r["payment_type"]): r["urls"] for r in p["trend"]}
        out["payment-trend"] = charts.line_chart(periods, {payment_type_name(t): [counts.get((q, t), 0) for q in periods] for t in types},
                                                 title="Commercial URLs by payment type", ylabel="URLs")  # fmt: skip
    if search and search["periods"]:
        out["search-trend"] = charts.line_chart(search["periods"], {c["category"]: [x["volume"] for x in c["series"]] for c in search["categories"]},
                                                title="Search volume by category", ylabel="volume")  # fmt: skip
    return out


def gather(
    store: StoreHandle,
    period: Period,
    *,
    lexicon: Path | None = None,
    search_from: str | None = None,
    rates: Path | None = None,
    processors: Processors | None = None,
) -> dict[str, Any]:
    """Every statistics object the report shows, keyed as the ``vigil stats`` commands name them.

    ``processors``: the payment processors for §5 and §2.2 (default: the bundled file, which
    lists none; give the user's or a synthetic world's file)."""
    engine = store.engine
    h = hosting_stats(engine, period)
    b = brand_stats(engine, period)
    b_prev = brand_stats(engine, period.previous())
    p = payment_stats(engine, period, trend_periods=TREND_PERIODS, processors=processors)
    e = estimate_stats(engine)
    search = None
    if lexicon is not None:
        start = search_from
        if start is None:
            first = period
            for _ in range(TREND_PERIODS - 1):
                first = first.previous()
            start = first.label
        search = search_stats(
            engine, lexicon=lexicon, regions=None, start=start, end=period.label
        )
    params = {
        "start": period.start_ts.replace(tzinfo=None),
        "end": period.end_ts.replace(tzinfo=None),
    }
    counts = {
        "captures": _count(store, "SELECT count(*) AS n FROM captures WHERE captured_at >= $start AND captured_at < $end", params),
        "purchases": _count(store, "SELECT count(*) AS n FROM test_purchases WHERE purchased_at >= $start AND purchased_at < $end", params),
    }  # fmt: skip
    activity = engine.rows(
        "brand activity per quarter", _SQL_ACTIVITY, {"end": params["end"]}
    )
    o = offer_stats(engine, period, rates=load_rates(rates), trend_periods=MARKET_PERIODS, processors=processors)
    c = None
    if period.kind != "range":
        first = period
        for _ in range(MARKET_PERIODS - 1):
            first = first.previous()
        c = channel_stats(engine, start=first.label, end=period.label)
    return {"hosting": h, "brands": b, "brands_previous": b_prev, "payments": p, "estimates": e, "search": search,
            "counts": counts, "activity": activity, "offers": o, "channels": c,
            "takedown": takedown_report_stats(store, period)}  # fmt: skip


def build_sections(stats: dict[str, Any], store: StoreHandle, period: Period, *, lexicon: Path | None,
                   commentary: dict[str, list[str]], rates: Path | None = None) -> list[Section]:  # fmt: skip
    """The report's sections in order, with commentary attached."""
    h, b, p, e, search = (
        stats["hosting"],
        stats["brands"],
        stats["payments"],
        stats["estimates"],
        stats["search"],
    )
    note = "No search lexicon was given: search-term trends need a user-supplied lexicon (--lexicon)."
    secs = {
        "market": market_section(stats["offers"]),
        "channels": channels_section(stats["channels"], "Channel trends need a quarter, month or year, not a date range."),
        "hosting": hosting_section(h),
        "brands": brands_section(
            b, stats["brands_previous"], captures=stats["counts"]["captures"]
        ),
        "payments": payments_section(p, purchases=stats["counts"]["purchases"]),
        "emerging": emerging_section(h, b, search, note),
        "estimates": estimates_section(e),
        "takedown": takedown_section(stats.get("takedown"), period.label),
        "annex": _annex(h, p, stats["activity"]),
        "methods": _methods(store, period, search, lexicon, rates),
    }
    secs["summary"] = _summary(secs, h)
    secs["recommendations"] = Section("recommendations", "Recommendations")
    if "recommendations" not in commentary:
        secs["recommendations"].missing.append(
            "No analyst recommendations were supplied: recommendations are human judgement."
        )
    ordered = [secs[sid] for sid in SECTION_IDS]
    for sec in ordered:
        sec.commentary = commentary.get(sec.id, [])
    return ordered


def render_report(
    store: StoreHandle,
    period: Period,
    *,
    out: Path,
    formats: Sequence[str] = FORMATS,
    commentary: Path | None = None,
    lexicon: Path | None = None,
    search_from: str | None = None,
    generated: datetime | None = None,
    rates: Path | None = None,
    processors: Processors | None = None,
) -> dict[str, Path]:
    """Write ``report-PERIOD.{html,md,pdf}`` (and the Markdown's chart PNGs) under ``out``.

    ``processors`` as for :func:`gather`.
    Returns format → path, plus ``charts`` → the chart directory when Markdown is written.
    Raises ConfigError for an unknown format or a bad commentary or lexicon file.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown report format {', '.join(unknown)}: use {', '.join(FORMATS)}"
        )
    notes = read_commentary(commentary) if commentary else {}
    stats = gather(store, period, lexicon=lexicon, search_from=search_from, rates=rates, processors=processors)
    sections = build_sections(stats, store, period, lexicon=lexicon, commentary=notes, rates=rates)
    images = _charts(
        stats["hosting"], stats["payments"], stats["activity"], stats["search"]
    )
    images.update(market_charts(stats["offers"], stats["channels"]))
    images.update(takedown_charts(stats.get("takedown")))
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    context = {"title": f"Commercial distribution: strategic assessment, {period.label}", "period": period,
               "sections": sections, "generated": when, "version": vigil.__version__}  # fmt: skip
    make_dir(out)
    stem = f"report-{period.label}"
    written: dict[str, Path] = {}
    html_text = ""
    if "html" in formats or "pdf" in formats:
        uris = {
            k: "data:image/png;base64," + base64.b64encode(v).decode("ascii")
            for k, v in images.items()
        }
        html_text = _html_env.get_template("report.html.j2").render(
            **context, images=uris
        )
    if "html" in formats:
        written["html"] = out / f"{stem}.html"
        write_text(written["html"], html_text)
    if "md" in formats:
        chart_dir = out / f"{stem}-charts"
        make_dir(chart_dir)
        for name, png in images.items():
            write_bytes(chart_dir / f"{name}.png", png)
        files = {k: f"{chart_dir.name}/{k}.png" for k in images}
        written["md"] = out / f"{stem}.md"
        write_text(written["md"], _md_env.get_template("report.md.j2").render(**context, images=files))
        written["charts"] = chart_dir
    if "pdf" in formats:
        written["pdf"] = out / f"{stem}.pdf"
        with atomic_path(written["pdf"]) as tmp:
            _write_pdf(html_text, tmp)
    return written


def _write_pdf(html_text: str, path: Path) -> None:
    from weasyprint import HTML  # imported when used: pango start-up costs a second
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(
        allowed_protocols=["data"]
    )  # the charts; nothing else is ever fetched
    HTML(string=html_text, url_fetcher=fetcher).write_pdf(str(path))
