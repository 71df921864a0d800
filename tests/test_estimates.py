"""Expert estimates (§2.1): ingest with quarantine, and statistics with a stated outlier rule."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from vigil.analyse.estimates import estimate_stats
from vigil.ingest.estimates import ingest_estimates, parse_estimate
from vigil.errors import InvalidRecord
from vigil.store import Store

QUESTION = "share of material that is paid for"
#: Seven answers consistent with §2.1: sum 70.7 → mean 10.1, sorted 4th value 7.5, one at 40.
ASSESSMENT = [1.0, 2.2, 5.0, 7.5, 7.5, 7.5, 40.0]


def _csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["question,respondent,value,unit"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_assessment_figures_are_reproduced(tmp_path: Path) -> None:
    assert sum(ASSESSMENT) == pytest.approx(70.7) and sorted(ASSESSMENT)[3] == 7.5
    path = _csv(tmp_path / "e.csv", [(QUESTION, f"r{i}", str(v), "percent") for i, v in enumerate(ASSESSMENT, 1)])
    with Store(tmp_path / "v.duckdb") as store:
        ingest_estimates(store, [path])
        stats = estimate_stats(store.engine)
    assert stats["rule"] == "tukey_fences" and "1.5*IQR" in stats["rule_text"]
    (q,) = stats["questions"]
    assert q["question"] == QUESTION and q["unit"] == "percent"
    assert q["n"] == 7
    assert round(q["mean"], 1) == 10.1 and q["mean"] == pytest.approx(70.7 / 7)
    assert q["median"] == 7.5
    assert (q["min"], q["max"]) == (1.0, 40.0)
    assert q["outliers"] == [{"respondent": "r7", "value": 40.0}]
    assert q["sd"] == pytest.approx(float(np.std(ASSESSMENT, ddof=1)))
    json.dumps(stats)  # JSON-ready


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_quartiles_and_spread_match_numpy_per_question_and_unit(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[float]] = {}
    rows = []
    for g in range(6):
        question, unit = f"question {g % 3}", ("percent" if g < 3 else "count")
        values = [float(rng.choice([rng.randint(0, 60), rng.randint(0, 5)])) for _ in range(rng.randint(1, 15))]
        groups[(question, unit)] = values
        rows += [(question, f"r{g}-{i}", str(v), unit) for i, v in enumerate(values)]
    with Store(tmp_path / "v.duckdb") as store:
        ingest_estimates(store, [_csv(tmp_path / "e.csv", rows)])
        stats = estimate_stats(store.engine)
    assert len(stats["questions"]) == 6  # units are never pooled
    for q in stats["questions"]:
        values = np.array(groups[(q["question"], q["unit"])])
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        assert (q["q1"], q["median"], q["q3"]) == pytest.approx((q1, median, q3))
        assert q["n"] == len(values) and q["mean"] == pytest.approx(values.mean())
        assert q["sd"] is None if len(values) == 1 else q["sd"] == pytest.approx(values.std(ddof=1))
        iqr = q3 - q1
        expected = sorted(v for v in values if v < q1 - 1.5 * iqr or v > q3 + 1.5 * iqr)
        assert [o["value"] for o in q["outliers"]] == pytest.approx(expected)


def test_bad_rows_are_quarantined_with_file_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        "\n".join([
            json.dumps({"question": QUESTION, "respondent": "r1", "value": "7.5%"}),
            json.dumps({"question": QUESTION, "respondent": "r2", "value": "many", "unit": "percent"}),
            "not json",
            json.dumps({"question": "", "respondent": "r3", "value": 2, "unit": "percent"}),
            json.dumps({"question": QUESTION, "respondent": "r4", "value": 140, "unit": "percent"}),
            json.dumps({"question": QUESTION, "respondent": "r5", "value": "5%", "unit": "count"}),
            json.dumps({"question": QUESTION, "respondent": "r6", "value": 3}),
            json.dumps({"question": QUESTION, "respondent": "r7", "value": True, "unit": "percent"}),
        ]) + "\n", encoding="utf-8",
    )  # fmt: skip
    with Store(tmp_path / "v.duckdb") as store:
        summary = ingest_estimates(store, [path])
        stored = store.con.execute("SELECT respondent, value, unit, source_line FROM expert_estimates").fetchall()
        bad = store.con.execute("SELECT kind, source_file, line, reason_code FROM quarantine ORDER BY line").fetchall()
    assert summary.total("stored") == 1 and summary.total("quarantined") == 7
    assert stored == [("r1", 7.5, "percent", 1)]
    assert [(line, code) for _, _, line, code in bad] == [
        (2, "bad_value"), (3, "bad_json"), (4, "missing_field"), (5, "bad_value"),
        (6, "bad_unit"), (7, "missing_field"), (8, "bad_value"),
    ]  # fmt: skip
    assert {(k, f) for k, f, _, _ in bad} == {("expert_estimate", str(path))}


def test_reingesting_changes_nothing_and_repeated_answers_are_duplicates(tmp_path: Path) -> None:
    rows = [(QUESTION, "r1", "5", "percent"), (QUESTION, "r2", "10", "percent"), (QUESTION, "r1", "6", "percent")]
    first = _csv(tmp_path / "a.csv", rows)
    second = _csv(tmp_path / "b.csv", rows[:2] + [(QUESTION, "r3", "8", "percent")])
    with Store(tmp_path / "v.duckdb") as store:
        one = ingest_estimates(store, [first])
        before = store.con.execute("SELECT question, respondent, value FROM expert_estimates ORDER BY ALL").fetchall()
        again = ingest_estimates(store, [first])
        after = store.con.execute("SELECT question, respondent, value FROM expert_estimates ORDER BY ALL").fetchall()
        other = ingest_estimates(store, [second])
        count = store.scalar("SELECT count(*) FROM expert_estimates")
    assert one.total("stored") == 2 and one.total("duplicates") == 1
    assert again.files[0].status == "already ingested" and before == after
    assert other.total("stored") == 1 and other.total("duplicates") == 2 and count == 3


def test_a_file_without_the_columns_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("question,value\nq,1\n", encoding="utf-8")
    with Store(tmp_path / "v.duckdb") as store:
        summary = ingest_estimates(store, [path])
    error = summary.files[0].error
    assert error and "line 1" in error and "'respondent'" in error and "'unit'" in error


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"question": " q  one ", "respondent": 7, "value": "12.5", "unit": "Percent"}, ("q one", "7", 12.5, "percent")),
        ({"question": "q", "respondent": "a", "value": 3, "unit": "%"}, ("q", "a", 3.0, "percent")),
        ({"question": "q", "respondent": "a", "value": -2, "unit": "count"}, ("q", "a", -2.0, "count")),
    ],
)
def test_parse_estimate_table(fields: dict[str, object], expected: tuple[object, ...]) -> None:
    assert parse_estimate(fields) == expected


@pytest.mark.parametrize("value", ["nan", "inf", "", None, [1], "1e999"])
def test_parse_estimate_rejects_non_numbers(value: object) -> None:
    with pytest.raises(InvalidRecord):
        parse_estimate({"question": "q", "respondent": "a", "value": value, "unit": "count"})


def test_an_empty_store_has_no_questions(tmp_path: Path) -> None:
    with Store(tmp_path / "v.duckdb") as store:
        assert estimate_stats(store.engine)["questions"] == []
