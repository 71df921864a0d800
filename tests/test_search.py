"""Search-term trends: ingest, lexicon and regions, and trend statistics against references.

Fixtures use neutral placeholder terms only (DOMAIN.md): real lexicons are the user's.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pymannkendall
import pytest
from scipy import stats as scipy_stats

from vigil.analyse.search import (
    linear_trend,
    load_lexicon,
    load_regions,
    mann_kendall,
    search_stats,
    t_quantile,
)
from vigil.errors import ConfigError, InvalidRecord
from vigil.ingest.search import ingest_search_volumes, parse_search_volume
from vigil.store import Store

LEXICON = "pattern,category\nalpha series,series\nre:^generic term (one|two)$,generic\nedge,borderline\n"
MONTHS = [f"2012-{m:02d}" for m in range(1, 13)]
NOISE = [3, -2, 1, -4, 2, 0, -1, 3, -3, 1, 2, -2]


# ---------------------------------------------------------------- trend statistics


def _series(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 60))
    drift = rng.normal(0, 0.05) * np.arange(n)
    return [
        rng.normal(size=n) + drift,  # continuous, no ties
        rng.integers(0, 5, size=n).astype(float),  # many ties
        np.round(rng.normal(size=n) + drift, 1),  # some ties
    ]


@pytest.mark.parametrize("seed", range(40))
def test_mann_kendall_matches_pymannkendall(seed: int) -> None:
    for x in _series(seed):
        ours = mann_kendall(list(x))
        ref = pymannkendall.original_test(x)
        assert ours.s == ref.s and ours.var_s == pytest.approx(ref.var_s)
        if ref.var_s:
            assert ours.z == pytest.approx(ref.z) and ours.p == pytest.approx(ref.p, abs=1e-12)
            assert ours.trend == ref.trend
        assert ours.tau == pytest.approx(ref.Tau)
        assert ours.sen_slope == pytest.approx(ref.slope) and ours.intercept == pytest.approx(ref.intercept)


def test_mann_kendall_on_obvious_series() -> None:
    assert mann_kendall([1, 2, 3, 4, 5, 6, 7, 8]).trend == "increasing"
    assert mann_kendall([8, 7, 6, 5, 4, 3, 2, 1]).trend == "decreasing"
    flat = mann_kendall([3, 3, 3, 3])
    assert (flat.s, flat.z, flat.p, flat.trend, flat.sen_slope) == (0.0, 0.0, 1.0, "no trend", 0.0)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 8, 13, 30, 57, 200])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_t_quantile_matches_scipy(df: int, confidence: float) -> None:
    expected = scipy_stats.t.ppf(0.5 + confidence / 2, df)
    assert t_quantile(confidence, df) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_regression_slope_and_interval_match_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 40))
    y = 100 + rng.normal(0, 1) * np.arange(n) + rng.normal(0, 5, size=n)
    ours = linear_trend(list(y))
    ref = scipy_stats.linregress(np.arange(n), y)
    half = scipy_stats.t.ppf(0.975, n - 2) * ref.stderr
    assert ours.slope == pytest.approx(ref.slope) and ours.intercept == pytest.approx(ref.intercept)
    assert ours.stderr == pytest.approx(ref.stderr)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((ref.slope - half, ref.slope + half))


def test_two_points_give_a_slope_without_an_interval() -> None:
    two = linear_trend([1.0, 3.0])
    assert two.slope == 2.0 and two.ci_low is None and two.stderr is None


# ---------------------------------------------------------------- ingest


@pytest.mark.parametrize(
    "period, label, start",
    [("2012-10", "2012-10", date(2012, 10, 1)), ("2012Q4", "2012Q4", date(2012, 10, 1)),
     ("2012q2", "2012Q2", date(2012, 4, 1)), (" 2012 ", "2012", date(2012, 1, 1))],
)  # fmt: skip
def test_periods_are_months_quarters_or_years(period: str, label: str, start: date) -> None:
    row = parse_search_volume({"period": period, "country": "br", "term": "alpha  series", "volume": "12"})
    assert row == (label, start, "BR", "alpha series", 12.0)


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"period": "2012-13", "country": "BR", "term": "t", "volume": 1}, "bad_period"),
        ({"period": "2012-10-01..2012-10-31", "country": "BR", "term": "t", "volume": 1}, "bad_period"),
        ({"period": "Oct 2012", "country": "BR", "term": "t", "volume": 1}, "bad_period"),
        ({"period": "2012", "country": "Brazil", "term": "t", "volume": 1}, "bad_country"),
        ({"period": "2012", "country": "BR", "term": " ", "volume": 1}, "missing_field"),
        ({"period": "2012", "country": "BR", "term": "t" * 201, "volume": 1}, "field_too_long"),
        ({"period": "2012", "country": "BR", "term": "t", "volume": -1}, "bad_value"),
        ({"period": "2012", "country": "BR", "term": "t", "volume": "lots"}, "bad_value"),
    ],
)
def test_bad_search_rows_are_rejected_with_a_code(fields: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        parse_search_volume(fields)
    assert caught.value.code == code


def test_ingest_quarantines_bad_rows_and_reingest_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "volumes.csv"
    path.write_text(
        "period,country,term,volume\n"
        "2012-10,BR,alpha series,10\n"
        "2012-10,XXX,alpha series,10\n"
        "2012-10,BR,alpha series,11\n"
        "2012-11,BR,generic term one,5\n"
        "2012-19,BR,generic term one,5\n",
        encoding="utf-8",
    )
    with Store(tmp_path / "v.duckdb") as store:
        first = ingest_search_volumes(store, [path])
        rows = store.con.execute("SELECT period, period_start, country, term, volume, source_line FROM search_volumes ORDER BY ALL").fetchall()
        bad = store.con.execute("SELECT kind, line, reason_code FROM quarantine ORDER BY line").fetchall()
        again = ingest_search_volumes(store, [path])
        count = store.scalar("SELECT count(*) FROM search_volumes")
    assert (first.total("stored"), first.total("duplicates"), first.total("quarantined")) == (2, 1, 2)
    assert rows == [("2012-10", date(2012, 10, 1), "BR", "alpha series", 10.0, 2),
                    ("2012-11", date(2012, 11, 1), "BR", "generic term one", 5.0, 5)]  # fmt: skip
    assert bad == [("search_volume", 3, "bad_country"), ("search_volume", 6, "bad_period")]
    assert again.files[0].status == "already ingested" and count == 2


# ---------------------------------------------------------------- lexicon and regions


def test_lexicon_substrings_regexes_and_first_match_wins(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.csv"
    path.write_text(LEXICON + "re:term,other\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert lexicon.categorise("The ALPHA Series 3") == "series"
    assert lexicon.categorise("generic term one") == "generic"
    assert lexicon.categorise("generic term three") == "other"
    assert lexicon.categorise("cutting edge") == "borderline"
    assert lexicon.categorise("unrelated") is None
    assert lexicon.categories == ["borderline", "generic", "other", "series"]
    dotted = tmp_path / "dotted.csv"
    dotted.write_text("pattern,category\na.b,plain\n", encoding="utf-8")
    assert load_lexicon(dotted).categorise("axb") is None  # plain patterns are not regexes


@pytest.mark.parametrize(
    "text, message",
    [("pattern,category\nre:(unclosed,series\n", "line 2: bad regular expression"),
     ("term,kind\nx,y\n", "header must be pattern,category"),
     ("pattern,category\nonly-a-pattern\n", "line 2"),
     ("pattern,category\n", "no patterns")],
)  # fmt: skip
def test_a_bad_lexicon_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "lexicon.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_lexicon(path)


def test_bundled_regions() -> None:
    regions = load_regions()
    assert regions["BR"] == regions["MX"] == "Latin America and the Caribbean"
    assert regions["US"] == "Northern America" and regions["DE"] == regions["RU"] == "Europe"
    assert regions["KZ"] == regions["JP"] == "Asia" and regions["ZA"] == "Africa" and regions["AU"] == "Oceania"
    assert all(len(code) == 2 and code.isupper() for code in regions)


# ---------------------------------------------------------------- search_stats


def _world(tmp_path: Path) -> tuple[Path, Path]:
    """A year of monthly volumes: series falling, generic flat, borderline rising fastest in BR."""
    rows = ["period,country,term,volume"]
    for m, period in enumerate(MONTHS):
        rows += [
            f"{period},DE,alpha series one,{200 - 10 * m}",
            f"{period},US,Alpha Series Two,{100 - 5 * m}",
            f"{period},DE,generic term one,{50 + NOISE[m]}",
            f"{period},US,generic term two,{50 - (m % 2)}",
            f"{period},BR,edge case,{10 + 10 * m}",
            f"{period},MX,edge case,{5 + m}",
            f"{period},US,edge case,{40 + m}",
            f"{period},ZZ,unrelated term,7",
        ]
    volumes = tmp_path / "volumes.csv"
    volumes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(LEXICON, encoding="utf-8")
    return volumes, lexicon


def test_search_stats_finds_the_executive_summary_patterns(tmp_path: Path) -> None:
    volumes, lexicon = _world(tmp_path)
    with Store(tmp_path / "v.duckdb") as store:
        ingest_search_volumes(store, [volumes])
        result = search_stats(store.engine, lexicon=lexicon, regions=None, start="2012-01", end="2012-12")
    assert result["periods"] == MONTHS
    by = {c["category"]: c for c in result["categories"]}
    assert set(by) == {"series", "generic", "borderline"}
    assert by["series"]["terms"] == 2 and by["series"]["series"][0] == {"period": "2012-01", "volume": 300.0}
    assert by["series"]["mann_kendall"]["trend"] == "decreasing"
    assert by["series"]["regression"]["slope"] == pytest.approx(-15.0)
    assert by["generic"]["mann_kendall"]["trend"] == "no trend"
    assert by["generic"]["regression"]["ci_low"] < 0 < by["generic"]["regression"]["ci_high"]
    assert by["borderline"]["mann_kendall"]["trend"] == "increasing"
    assert by["borderline"]["mann_kendall"]["sen_slope"] == pytest.approx(12.0)
    assert result["unmatched"] == {"terms": 1, "volume": 7.0 * 12}
    regions = {r["region"]: r for r in result["regions"]}
    latin = regions["Latin America and the Caribbean"]
    assert (latin["first"], latin["last"]) == (15.0, 136.0)  # BR 10 → 120, MX 5 → 16
    assert latin["change_pct"] == pytest.approx((136 - 15) / 15 * 100)
    assert latin["categories"] == {
        "borderline": {"first": 15.0, "last": 136.0, "change_pct": pytest.approx(806.666, rel=1e-4)},
        "generic": {"first": 0.0, "last": 0.0, "change_pct": None},
        "series": {"first": 0.0, "last": 0.0, "change_pct": None},
    }
    assert regions["Europe"]["change_pct"] < 0
    assert "Unassigned" not in regions  # ZZ only carries an unmatched term
    text = json.dumps(result)
    assert "alpha series" not in text.lower() and "edge case" not in text  # categories only, never terms


def test_a_window_selects_periods_and_zero_fills_missing_ones(tmp_path: Path) -> None:
    volumes = tmp_path / "volumes.csv"
    volumes.write_text(
        "period,country,term,volume\n2012Q1,BR,edge a,4\n2012Q2,BR,alpha series,9\n2012Q3,BR,edge b,8\n"
        "2012Q4,BR,edge a,1\n2013Q1,BR,edge a,100\n",
        encoding="utf-8",
    )
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(LEXICON, encoding="utf-8")
    regions = tmp_path / "regions.csv"
    regions.write_text("country,region\nbr,South\n", encoding="utf-8")
    with Store(tmp_path / "v.duckdb") as store:
        ingest_search_volumes(store, [volumes])
        result = search_stats(store.engine, lexicon=lexicon, regions=regions, start="2012Q1", end="2012")
    assert result["periods"] == ["2012Q1", "2012Q2", "2012Q3", "2012Q4"]
    by = {c["category"]: c for c in result["categories"]}
    assert [p["volume"] for p in by["borderline"]["series"]] == [4.0, 0.0, 8.0, 1.0]
    assert [p["volume"] for p in by["series"]["series"]] == [0.0, 9.0, 0.0, 0.0]
    (south,) = result["regions"]
    assert (south["region"], south["first"], south["last"]) == ("South", 4.0, 1.0)
    assert south["categories"]["series"] == {"first": 0.0, "last": 0.0, "change_pct": None}
    assert math.isclose(south["change_pct"], -75.0)


def test_a_window_mixing_granularities_or_running_backwards_is_refused(tmp_path: Path) -> None:
    volumes = tmp_path / "volumes.csv"
    volumes.write_text("period,country,term,volume\n2012-01,BR,edge,1\n2012Q2,BR,edge,2\n", encoding="utf-8")
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(LEXICON, encoding="utf-8")
    with Store(tmp_path / "v.duckdb") as store:
        ingest_search_volumes(store, [volumes])
        with pytest.raises(ConfigError, match="mix month and quarter"):
            search_stats(store.engine, lexicon=lexicon, regions=None, start="2012", end="2012")
        with pytest.raises(ConfigError, match="ends before"):
            search_stats(store.engine, lexicon=lexicon, regions=None, start="2013", end="2012")
        only_months = search_stats(store.engine, lexicon=lexicon, regions=None, start="2012-01", end="2012-03")
    assert only_months["periods"] == ["2012-01"]
    (edge,) = only_months["categories"]
    assert edge["mann_kendall"] is None and edge["regression"] is None


def test_gzip_csv_and_a_truncated_gzip(tmp_path: Path) -> None:
    import gzip

    body = "period,country,term,volume\n" + "".join(f"2012-{m:02d},BR,edge {i},{i}\n" for m in range(1, 13) for i in range(300))
    whole = tmp_path / "whole.csv.gz"
    whole.write_bytes(gzip.compress(body.encode()))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(body.replace("BR", "MX").encode())[:-400])
    with Store(tmp_path / "v.duckdb") as store:
        ok = ingest_search_volumes(store, [whole])
        partial = ingest_search_volumes(store, [cut])
        codes = store.con.execute("SELECT DISTINCT reason_code FROM quarantine").fetchall()
    assert ok.total("stored") == 3600 and ok.total("quarantined") == 0
    assert 0 < partial.total("stored") < 3600 and codes == [("truncated_file",)]
