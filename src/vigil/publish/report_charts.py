"""Static PNG charts for the report, drawn with matplotlib's Agg renderer.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no global
backend switch), so drawing needs no display and touches no shared state.

Each function takes rows already computed by the analysis and returns PNG bytes. Output
is deterministic: no ``Software`` metadata, a fixed hash salt and fixed fonts, sizes and
colours, so the same figures give the same bytes. Labels are controlled vocabulary
(country codes, site types, payment types, period labels) and are drawn as plain text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure

_RC: dict[Any, Any] = {
    "svg.hashsalt": "vigil-report",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.usetex": False,
}
_PALETTE = (
    "#1f4e79",
    "#c55a11",
    "#548235",
    "#7f6000",
    "#7030a0",
    "#2e75b6",
    "#a5a5a5",
    "#bf9000",
    "#833c0b",
    "#375623",
)


def _plain(text: str) -> str:
    """Label text with mathtext disabled (a ``$`` would start a formula)."""
    return str(text).replace("$", r"\$")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=110, metadata={"Software": None}, bbox_inches="tight"
    )
    return buffer.getvalue()


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str
) -> bytes:
    """Horizontal bars, largest at the top."""
    with rc_context(_RC):
        fig = Figure(figsize=(6.4, 0.3 * max(len(labels), 3) + 1.0))
        ax = fig.subplots()
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, list(values), color=_PALETTE[0])
        ax.set_yticks(positions, [_plain(lab) for lab in labels])
        ax.set_xlabel(xlabel)
        ax.set_title(_plain(title))
        return _png(fig)


def stacked_share_chart(
    groups: Sequence[str],
    parts: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str,
) -> bytes:
    """One horizontal bar per group, split into ``parts`` (name → value per group)."""
    with rc_context(_RC):
        fig = Figure(figsize=(6.4, 0.45 * max(len(groups), 3) + 1.4))
        ax = fig.subplots()
        positions = list(range(len(groups)))[::-1]
        left = [0.0] * len(groups)
        for i, (name, values) in enumerate(parts.items()):
            ax.barh(
                positions,
                list(values),
                left=left,
                color=_PALETTE[i % len(_PALETTE)],
                label=_plain(name),
            )
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(positions, [_plain(g) for g in groups])
        ax.set_xlabel(xlabel)
        ax.set_title(_plain(title))
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            ncol=min(len(parts), 6),
            frameon=False,
            fontsize=8,
        )
        return _png(fig)


def line_chart(
    periods: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
) -> bytes:
    """One line per series over ``periods``."""
    with rc_context(_RC):
        fig = Figure(figsize=(6.4, 3.4))
        ax = fig.subplots()
        x = list(range(len(periods)))
        for i, (name, values) in enumerate(series.items()):
            ax.plot(
                x,
                list(values),
                marker="o",
                color=_PALETTE[i % len(_PALETTE)],
                label=_plain(name),
            )
        step = max(1, len(periods) // 10)
        ax.set_xticks(
            x[::step], [_plain(p) for p in periods][::step], rotation=45, ha="right"
        )
        ax.set_ylabel(ylabel)
        ax.set_title(_plain(title))
        ax.set_ylim(bottom=0)
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
        )
        return _png(fig)


def site_type_by_country(
    rows: Sequence[dict[str, Any]], *, top_countries: int = 6, top_types: int = 4
) -> bytes:
    """Share of each site type's URLs by hosting country (the §3 table as a chart)."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["site_type"]] = totals.get(row["site_type"], 0) + int(row["urls"])
    types = sorted(totals, key=lambda t: (-totals[t], t))[:top_types]
    by_country: dict[str, int] = {}
    for row in rows:
        if row["site_type"] in types:
            by_country[row["country"]] = by_country.get(row["country"], 0) + int(
                row["urls"]
            )
    countries = sorted(by_country, key=lambda c: (-by_country[c], c))[:top_countries]
    parts: dict[str, list[float]] = {c: [0.0] * len(types) for c in countries}
    parts["other"] = [0.0] * len(types)
    for row in rows:
        if row["site_type"] not in types:
            continue
        key = row["country"] if row["country"] in countries else "other"
        parts[key][types.index(row["site_type"])] += float(row["share"]) * 100
    return stacked_share_chart(
        types,
        parts,
        title="Site type by hosting country",
        xlabel="% of the site type's URLs",
    )


def range_chart(labels: Sequence[str], ranges: Sequence[tuple[float, float, float]], *, title: str, xlabel: str) -> bytes:
    """Per label a bar from the lower to the upper quartile with the median marked (first at the top)."""
    with rc_context(_RC):
        fig = Figure(figsize=(6.4, 0.5 + 0.45 * max(1, len(labels))))
        ax = fig.subplots()
        y = list(range(len(labels)))[::-1]
        for i, (yy, (lo, mid, hi)) in enumerate(zip(y, ranges)):
            ax.barh(yy, max(hi - lo, 0.0), left=lo, height=0.5, color=_PALETTE[i % len(_PALETTE)], alpha=0.6)
            ax.plot([mid, mid], [yy - 0.3, yy + 0.3], color="#000000", linewidth=2)
        ax.set_yticks(y, [_plain(label) for label in labels])
        ax.set_xlabel(xlabel)
        ax.set_title(_plain(title))
        ax.set_xlim(left=0)
        return _png(fig)
