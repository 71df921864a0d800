"""Search-term trends (executive summary): volume by lexicon category and by region.

The **lexicon** is the user's, kept outside the repository: a CSV ``pattern,category``.
A pattern is a case-insensitive plain substring, or a regular expression when written
``re:<regex>`` (Python syntax, searched anywhere in the term). A term takes the category
of the first pattern that matches it, in file order; terms no pattern matches are counted
as ``unmatched`` and left out of every category and region figure. Terms never appear
in the output, only categories.

The **region table** is a CSV ``country,region`` (ISO 3166-1 alpha-2 → region); the bundled
``data/regions.csv`` uses UN M49-style regions. Countries it lacks count as ``Unassigned``.

Per category: the volume per period (periods with no volume count 0), the Mann-Kendall
trend test (S, tie-corrected variance, Z with continuity correction, two-sided p from the
normal distribution, Kendall's tau, Sen's slope), and the ordinary least-squares slope of
volume on the period index with its confidence interval (Student t, n − 2 df). Slopes
are in volume per period. By region: first-period and last-period volume and the change.

Steps build, engines execute: terms are categorised in Python (regular expressions), handed
to the engine as a table, and every sum is SQL.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from vigil.errors import ConfigError
from vigil.periods import Period
from vigil.store.engine import Engine

REGIONS_FILE = Path(__file__).parent / "data" / "regions.csv"
UNASSIGNED = "Unassigned"
ALPHA = 0.05
CONFIDENCE = 0.95

# ---------------------------------------------------------------- data files


@dataclass(frozen=True)
class LexiconEntry:
    pattern: str
    category: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    """Patterns → categories, in file order; ``sha256`` identifies the file for provenance."""

    entries: tuple[LexiconEntry, ...]
    sha256: str

    def categorise(self, term: str) -> str | None:
        for entry in self.entries:
            if entry.regex.search(term):
                return entry.category
        return None

    @property
    def categories(self) -> list[str]:
        return sorted({e.category for e in self.entries})


def _csv_rows(path: Path, columns: tuple[str, str]) -> list[tuple[int, str, str]]:
    """``(line, first, second)`` for each non-blank row of a two-column CSV data file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader, [])]
            if header[:2] != list(columns):
                raise ConfigError(f"{path}, line 1: the header must be {','.join(columns)} (found: {','.join(header)})")
            rows = []
            for row in reader:
                if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                    continue
                if len(row) < 2 or not row[0].strip() or not row[1].strip():
                    raise ConfigError(f"{path}, line {reader.line_num}: expected {columns[0]},{columns[1]}")
                rows.append((reader.line_num, row[0].strip(), row[1].strip()))
            return rows
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable UTF-8 CSV file: {exc}") from None


def load_lexicon(path: Path) -> Lexicon:
    """Read a ``pattern,category`` lexicon; raises ConfigError naming the file and line."""
    entries = []
    for line, pattern, category in _csv_rows(path, ("pattern", "category")):
        if pattern.startswith("re:"):
            try:
                regex = re.compile(pattern[3:], re.IGNORECASE)
            except re.error as exc:
                raise ConfigError(f"{path}, line {line}: bad regular expression: {exc}") from None
        else:
            regex = re.compile(re.escape(pattern), re.IGNORECASE)
        entries.append(LexiconEntry(pattern, category, regex))
    if not entries:
        raise ConfigError(f"{path}: the lexicon has no patterns")
    return Lexicon(tuple(entries), hashlib.sha256(path.read_bytes()).hexdigest())


def load_regions(path: Path | None = None) -> dict[str, str]:
    """Country (ISO alpha-2, upper case) → region; the bundled table when ``path`` is None."""
    return {country.upper(): region for _, country, region in _csv_rows(path or REGIONS_FILE, ("country", "region"))}


# ---------------------------------------------------------------- trend statistics


@dataclass(frozen=True)
class MannKendall:
    n: int
    s: float
    var_s: float
    z: float
    p: float
    tau: float
    trend: str  # increasing | decreasing | no trend
    sen_slope: float
    intercept: float


def mann_kendall(values: Sequence[float], *, alpha: float = ALPHA) -> MannKendall:
    """The original Mann-Kendall test (no autocorrelation correction), two-sided."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        raise ValueError("the Mann-Kendall test needs at least two values")
    i, j = np.triu_indices(n, k=1)
    s = float(np.sign(x[j] - x[i]).sum())
    _, ties = np.unique(x, return_counts=True)
    var_s = float((n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18)
    if s == 0 or var_s == 0:
        z = 0.0
    else:
        z = (s - 1 if s > 0 else s + 1) / math.sqrt(var_s)
    p = math.erfc(abs(z) / math.sqrt(2))
    trend = ("increasing" if z > 0 else "decreasing") if p < alpha else "no trend"
    slope = float(np.median((x[j] - x[i]) / (j - i)))
    intercept = float(np.median(x) - np.median(np.arange(n)) * slope)
    return MannKendall(n, s, var_s, z, p, s / (0.5 * n * (n - 1)), trend, slope, intercept)


def t_two_sided(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3–4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, total = math.cos(theta) ** 2, 0.0
    term, m = (math.cos(theta), 1) if df % 2 else (1.0, 0)
    while m <= df - 2:
        total += term
        term *= c2 * (m + 1) / (m + 2)
        m += 2
    if df % 2:
        return 2 / math.pi * (theta + math.sin(theta) * total)
    return math.sin(theta) * total


def t_quantile(confidence: float, df: int) -> float:
    """The ``t`` with P(|T| < t) = ``confidence`` (e.g. 0.95 → 2.306 for 8 df), by bisection."""
    low, high = 0.0, 1e7
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if t_two_sided(mid, df) < confidence else (low, mid)
    return (low + high) / 2


@dataclass(frozen=True)
class LinearTrend:
    n: int
    slope: float
    intercept: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float


def linear_trend(values: Sequence[float], *, confidence: float = CONFIDENCE) -> LinearTrend:
    """OLS of value on index 0..n-1: slope, intercept and the slope's confidence interval."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 2:
        raise ValueError("a regression slope needs at least two values")
    x = np.arange(n, dtype=float)
    sxx = float(((x - x.mean()) ** 2).sum())
    slope = float(((x - x.mean()) * (y - y.mean())).sum() / sxx)
    intercept = float(y.mean() - slope * x.mean())
    if n < 3:
        return LinearTrend(n, slope, intercept, None, None, None, confidence)
    residuals = y - (intercept + slope * x)
    stderr = math.sqrt(float((residuals**2).sum()) / (n - 2) / sxx)
    half = t_quantile(confidence, n - 2) * stderr
    return LinearTrend(n, slope, intercept, stderr, slope - half, slope + half, confidence)


# ---------------------------------------------------------------- set steps

_WINDOW = "v.period_start >= $start AND v.period_start < $end"

SQL_PERIODS = f"SELECT DISTINCT v.period, v.period_start FROM search_volumes v WHERE {_WINDOW} ORDER BY v.period_start, v.period"
SQL_TERMS = f"SELECT DISTINCT v.term FROM search_volumes v WHERE {_WINDOW}"

SQL_BY_CATEGORY = f"""
SELECT c.category, v.period, sum(v.volume) AS volume
FROM search_volumes v JOIN _search_categories c ON c.term = v.term
WHERE {_WINDOW}
GROUP BY c.category, v.period
"""

SQL_CATEGORY_TERMS = f"""
SELECT c.category, count(DISTINCT v.term) AS terms, sum(v.volume) AS volume
FROM search_volumes v JOIN _search_categories c ON c.term = v.term
WHERE {_WINDOW} GROUP BY c.category
"""

SQL_UNMATCHED = f"""
SELECT count(DISTINCT v.term) AS terms, coalesce(sum(v.volume), 0) AS volume
FROM search_volumes v LEFT JOIN _search_categories c ON c.term = v.term
WHERE {_WINDOW} AND c.term IS NULL
"""

SQL_BY_REGION = f"""
SELECT coalesce(r.region, '{UNASSIGNED}') AS region, c.category, v.period,
       sum(v.volume) AS volume
FROM search_volumes v
JOIN _search_categories c ON c.term = v.term
LEFT JOIN _search_regions r ON r.country = v.country
WHERE {_WINDOW} AND v.period IN ($first, $last)
GROUP BY coalesce(r.region, '{UNASSIGNED}'), c.category, v.period
"""


def _change(first: float, last: float) -> float | None:
    return None if first == 0 else (last - first) / first * 100


def search_stats(engine: Engine, *, lexicon: Path, regions: Path | None, start: str, end: str) -> dict[str, Any]:
    """Category trends and regional growth of search volumes in periods ``start``..``end``.

    Raises ConfigError for a bad lexicon or region file, a window that ends before it
    starts, or a window mixing months, quarters and years.
    """
    first_p, last_p = Period.parse(start), Period.parse(end)
    if last_p.end <= first_p.start:
        raise ConfigError(f"--to {end} ends before --from {start} starts")
    window = {"start": first_p.start, "end": last_p.end}
    lex = load_lexicon(lexicon)
    region_of = load_regions(regions)

    periods = [row["period"] for row in engine.rows("search_periods", SQL_PERIODS, window)]
    kinds = {Period.parse(p).kind for p in periods}
    if len(kinds) > 1:
        raise ConfigError(
            f"search volumes between {start} and {end} mix {' and '.join(sorted(kinds))} periods; "
            "choose a window holding one granularity"
        )
    terms = [row["term"] for row in engine.rows("search_terms", SQL_TERMS, window)]
    pairs = [(t, c) for t in terms if (c := lex.categorise(t)) is not None]
    engine.put_arrow("_search_categories", pa.table({"term": [t for t, _ in pairs], "category": [c for _, c in pairs]},
                                                    schema=pa.schema([("term", pa.string()), ("category", pa.string())])))  # fmt: skip
    engine.put_arrow("_search_regions", pa.table({"country": list(region_of), "region": list(region_of.values())},
                                                 schema=pa.schema([("country", pa.string()), ("region", pa.string())])))  # fmt: skip

    volumes: dict[tuple[str, str], float] = {}
    for row in engine.rows("search_by_category", SQL_BY_CATEGORY, window):
        volumes[(row["category"], row["period"])] = float(row["volume"])
    categories = []
    for row in sorted(engine.rows("search_category_terms", SQL_CATEGORY_TERMS, window), key=lambda r: str(r["category"])):
        series = [volumes.get((row["category"], p), 0.0) for p in periods]
        categories.append({
            "category": row["category"],
            "terms": int(row["terms"]),
            "volume": float(row["volume"]),
            "series": [{"period": p, "volume": v} for p, v in zip(periods, series)],
            "mann_kendall": asdict(mann_kendall(series)) if len(series) >= 2 else None,
            "regression": asdict(linear_trend(series)) if len(series) >= 2 else None,
        })  # fmt: skip
    unmatched = engine.rows("search_unmatched", SQL_UNMATCHED, window)[0]

    by_region: dict[str, dict[str, Any]] = {}
    if periods:
        params = {**window, "first": periods[0], "last": periods[-1]}
        for row in engine.rows("search_by_region", SQL_BY_REGION, params):
            entry = by_region.setdefault(row["region"], {"region": row["region"], "first": 0.0, "last": 0.0, "categories": {}})
            cat = entry["categories"].setdefault(row["category"], {"first": 0.0, "last": 0.0})
            for side in [s for s, p in (("first", periods[0]), ("last", periods[-1])) if row["period"] == p]:
                entry[side] += float(row["volume"])
                cat[side] += float(row["volume"])
    region_rows = []
    for name in sorted(by_region):
        entry = by_region[name]
        entry["change_pct"] = _change(entry["first"], entry["last"])
        for category in categories:
            entry["categories"].setdefault(category["category"], {"first": 0.0, "last": 0.0})
        for cat in entry["categories"].values():
            cat["change_pct"] = _change(cat["first"], cat["last"])
        entry["categories"] = dict(sorted(entry["categories"].items()))
        region_rows.append(entry)
    return {
        "from": first_p.label,
        "to": last_p.label,
        "periods": periods,
        "lexicon": {"sha256": lex.sha256, "patterns": len(lex.entries), "categories": lex.categories},
        "regions_file": str(regions) if regions else "bundled",
        "method": {
            "trend_test": f"Mann-Kendall (original, two-sided, alpha {ALPHA}); Sen's slope per period",
            "regression": f"OLS slope of volume on period index with {CONFIDENCE:.0%} CI (Student t, n-2 df)",
            "growth": "volume in the last period vs the first period of the window, matched terms only",
        },
        "categories": categories,
        "unmatched": {"terms": int(unmatched["terms"]), "volume": float(unmatched["volume"])},
        "regions": region_rows,
    }
