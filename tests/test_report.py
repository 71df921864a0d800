"""The generated assessment: figures equal the stats objects, formats render, output is stable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from reportmd import pct, sections, tables

from vigil.analyse.brands import brand_stats
from vigil.analyse.hosting import hosting_stats
from vigil.attribute.run import attribute_store
from vigil.enrich.ip import open_ip_provider
from vigil.enrich.run import enrich_store
from vigil.errors import ConfigError
from vigil.ingest.captures import CaptureIngest
from vigil.ingest.reports import ReportIngest
from vigil.periods import Period
from vigil.publish.names import country_name
from vigil.publish.report import render_report
from vigil.store import Store
from vigil.synth import generate_world
from vigil.synth.procfile import world_processors

Q4 = Period.parse("2012Q4")
FIXED = datetime(2013, 1, 15, 9, 0, tzinfo=UTC)
#: The world's processors (every world writes the same processors.toml), given explicitly.
PROCS = world_processors()
COMMENTARY = """# Notes for the steering committee

## hosting
Hosting moved <script>alert(1)</script> towards <b>one</b> country.

A second paragraph &amp; more.

## recommendations
Ask hosting providers to act faster.
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("report")
    world = root / "world"
    generate_world(world, reports=3000)
    with Store(root / "v.duckdb") as writable:
        ReportIngest(writable).run([world / "reports"])
        CaptureIngest(writable).run([world / "captures"])
        enrich_store(
            writable,
            provider=open_ip_provider(world / "iptoasn.tsv"),
            shared_services=[world / "shared_services.csv"],
        )
        attribute_store(writable, processors=[world / "processors.toml"])  # the world's own, as --processors
    with Store(root / "v.duckdb", read_only=True) as readonly:
        yield readonly


@pytest.fixture(scope="module")
def report(store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("out")
    notes = root / "commentary.md"
    notes.write_text(COMMENTARY, encoding="utf-8")
    return render_report(
        store, Q4, processors=PROCS, out=root / "report", commentary=notes, generated=FIXED
    )








def numbers_in(value: Any) -> set[str]:
    """Every number in a stats object, formatted as the report formats it."""
    out: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            out |= numbers_in(v)
    elif isinstance(value, list):
        out.add(f"{len(value):,}")
        for v in value:
            out |= numbers_in(v)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        out.add(f"{value:,}")
    elif isinstance(value, float):
        out.add(pct(value))
    return out


def change(current: int, previous: int) -> str:
    return f"{abs(round((current - previous) / previous * 100))}%"


def prose_numbers(text: str) -> list[str]:
    """Numbers in the sentences, leaving out dates, periods, IDs, section marks and the fixed 'top 10'."""
    prose = "\n".join(
        line
        for line in text.splitlines()
        if line and not line.startswith(("|", "!", "#"))
    )
    prose = re.sub(
        r"\d{4}-\d{2}-\d{2}|\d{4}Q\d|\b[BD]-[0-9a-f]+|§\d|The 10 most", " ", prose
    )
    return re.findall(r"\d[\d,]*(?:\.\d+)?%?", prose)


def test_hosting_numbers_equal_the_stats(store: Store, report: dict[str, Path]) -> None:
    h = hosting_stats(store.engine, Q4)
    text = sections(report["md"].read_text(encoding="utf-8"))[
        "Web distribution and hosting (§3)"
    ]
    got = tables(text)
    by_country = got["Commercial URLs by hosting country"]
    assert by_country[0] == ["Country", "URLs", "Share", "URLs in 2012Q3"]
    before = {r["country"]: r["urls"] for r in h["previous"]["by_country"]}
    assert by_country[1:] == [
        [
            country_name(r["country"]),  # names, not codes: "United States"
            f"{r['urls']:,}",
            pct(r["share"]),
            f"{before.get(r['country'], 0):,}",
        ]
        for r in h["by_country"]
    ]
    before_t = {r["site_type"]: r["urls"] for r in h["previous"]["by_site_type"]}
    assert got["Commercial URLs by site type"][1:] == [
        [
            r["site_type"],
            f"{r['urls']:,}",
            pct(r["share"]),
            f"{before_t.get(r['site_type'], 0):,}",
        ]
        for r in h["by_site_type"]
    ]
    allowed = numbers_in(h) | {change(h["urls"], h["previous"]["urls"])}
    found = prose_numbers(text)
    assert f"{h['urls']:,}" in found and len(found) >= 10
    assert [x for x in found if x not in allowed] == []


def test_brand_numbers_equal_the_stats(store: Store, report: dict[str, Path]) -> None:
    b, prev = brand_stats(store.engine, Q4), brand_stats(store.engine, Q4.previous())
    text = sections(report["md"].read_text(encoding="utf-8"))[
        "Brands and distributors (§4)"
    ]
    got = tables(text)
    keys = {"Reports": "reports", "URLs actioned": "urls_actioned", "Commercial URLs": "commercial_urls",
            "Commercial share": "commercial_share", "Templates active": "templates", "Brands active": "brands_active",
            "Brands new": "brands_new", "Distributors active": "distributors_active", "Distributors new": "distributors_new",
            "Top-10 brands' share": "top10_share", "Top distributor's share": "top_distributor_share"}  # fmt: skip

    def fmt(v: Any) -> str:
        return pct(v) if isinstance(v, float) else f"{v:,}"

    assert got["Key figures"][1:] == [
        [label, fmt(b[k]), fmt(prev[k])] for label, k in keys.items()
    ]
    assert got["Most prolific brands (commercial URLs)"][1:] == [
        [r["brand_id"], r["distributor_id"] or "none", f"{r['urls']:,}"]
        for r in b["top_brands"]
    ]
    assert got["Distributors active"][1:] == [
        [r["distributor_id"], r["first_seen"], r["last_seen"], f"{r['brands_active']:,}", f"{r['captures']:,}", "yes" if r["new"] else "no"]
        for r in b["distributors"]
    ]  # fmt: skip
    allowed = numbers_in(b) | {
        change(b["reports"], prev["reports"]),
        change(b["brands_active"], prev["brands_active"]),
    }
    found = prose_numbers(text)
    assert f"{b['reports']:,}" in found and f"{b['brands_active']:,}" in found
    assert [x for x in found if x not in allowed] == []


def test_summary_compares_with_the_previous_period(report: dict[str, Path]) -> None:
    summary = sections(report["md"].read_text(encoding="utf-8"))[
        "Executive summary: key findings for 2012Q4"
    ]
    assert re.search(
        r"\d+ commercial URLs were reported in 2012Q4, (up|down) \d+% on 2012Q3",
        summary,
    )


def test_html_and_pdf_carry_the_charts(report: dict[str, Path]) -> None:
    html = report["html"].read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') >= 4
    assert sorted(p.name for p in report["charts"].iterdir()) == [
        "brand-activity.png", "channel-share.png", "hosting-countries.png", "payment-trend.png",  # no rates: no EUR prices
        "site-type-by-country.png", "virtual-currency.png",
    ]  # fmt: skip
    pdf = pdfium.PdfDocument(str(report["pdf"]))
    try:
        assert len(pdf) >= 2
        image = pdf[0].render(scale=1).to_pil().convert("L")
        low, high = image.getextrema()  # type: ignore[misc]
        assert high - low > 100  # text on the page, not a blank sheet
        images = sum(
            1
            for i in range(len(pdf))
            for o in pdf[i].get_objects()
            if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        )
        assert images >= 4
    finally:
        pdf.close()


def test_same_inputs_give_the_same_markdown(
    store: Store, report: dict[str, Path], tmp_path: Path
) -> None:
    now = render_report(store, Q4, processors=PROCS, out=tmp_path / "a", formats=("md",))
    fixed = render_report(
        store, Q4, processors=PROCS, out=tmp_path / "b", formats=("md",), generated=FIXED
    )
    again = render_report(
        store, Q4, processors=PROCS, out=tmp_path / "c", formats=("md",), generated=FIXED
    )
    assert fixed["md"].read_bytes() == again["md"].read_bytes()

    def body(path: Path) -> list[str]:
        return [
            ln
            for ln in path.read_text(encoding="utf-8").splitlines()
            if not ln.startswith("Generated:")
        ]

    assert body(now["md"]) == body(fixed["md"])
    assert (
        sum(
            ln.startswith("Generated:")
            for ln in now["md"].read_text(encoding="utf-8").splitlines()
        )
        == 1
    )
    for chart in report["charts"].iterdir():
        assert (now["charts"] / chart.name).read_bytes() == chart.read_bytes()


def test_missing_data_is_said_plainly(store: Store, tmp_path: Path) -> None:
    got = render_report(
        store, Period.parse("2005Q1"), out=tmp_path, formats=("md", "html")
    )
    text = got["md"].read_text(encoding="utf-8")
    by_section = sections(text)
    assert (
        "No commercial URLs were reported in 2005Q1"
        in by_section["Web distribution and hosting (§3)"]
    )
    assert "No captures in 2005Q1" in by_section["Brands and distributors (§4)"]
    assert "No payment evidence" in by_section["Payment methods (§5)"]
    assert "No test purchases in 2005Q1" in by_section["Payment methods (§5)"]
    assert "No expert estimates" in by_section["Expert estimates (§2.1)"]
    assert "No search lexicon was given" in by_section["Emerging issues"]
    assert "No analyst recommendations" in by_section["Recommendations"]
    assert "No commercial URLs were reported in 2005Q1" in got["html"].read_text(
        encoding="utf-8"
    )


def test_a_lexicon_without_search_volumes_says_so(store: Store, tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("pattern,category\nplaceholder-alpha,series\n", encoding="utf-8")
    got = render_report(store, Q4, processors=PROCS, out=tmp_path, formats=("md",), lexicon=lexicon)
    assert (
        "No search volumes between 2012Q1 and 2012Q4"
        in sections(got["md"].read_text(encoding="utf-8"))["Emerging issues"]
    )


def test_commentary_lands_in_its_section_escaped(report: dict[str, Path]) -> None:
    md = sections(report["md"].read_text(encoding="utf-8"))
    hosting = md["Web distribution and hosting (§3)"]
    assert "Analyst's commentary (not generated by Vigil)" in hosting
    assert (
        "> Hosting moved &lt;script&gt;alert(1)&lt;/script&gt; towards &lt;b&gt;one&lt;/b&gt; country."
        in hosting
    )
    assert "Ask hosting providers to act faster." in md["Recommendations"]
    assert "No analyst recommendations" not in md["Recommendations"]
    assert "Hosting moved" not in md["Brands and distributors (§4)"]
    html = report["html"].read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>one</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A second paragraph &amp;amp; more." in html


def test_unknown_commentary_section_is_refused(store: Store, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("## hostnig\ntypo\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown section 'hostnig'"):
        render_report(store, Q4, processors=PROCS, out=tmp_path, formats=("md",), commentary=notes)
    with pytest.raises(ConfigError, match="unknown report format"):
        render_report(store, Q4, processors=PROCS, out=tmp_path, formats=("docx",))
