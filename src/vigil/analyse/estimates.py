"""§2.1 expert estimates: per question, n, mean, median, spread and outliers by a stated rule.

Outlier rule: **Tukey fences** — a value is an outlier when it lies outside
``[Q1 − 1.5×IQR, Q3 + 1.5×IQR]``, quartiles by linear interpolation between order
statistics (Hyndman–Fan type 7, the default of numpy and R). On the assessment's own
answers (n=7, mean 10.1%, median 7.5%) it flags exactly the 40% answer.

Steps build, engines execute: the quartiles are computed in portable SQL (window
functions and CASE, no engine-specific quantile function); Python only shapes rows.
Answers are grouped by ``(question, unit)`` so different units are never pooled.
"""

from __future__ import annotations

from typing import Any

from vigil.store.engine import Engine

TUKEY_K = 1.5
RULE = "tukey_fences"


def rule_text(k: float) -> str:
    return (
        f"Tukey fences: outlier when value < Q1 - {k:g}*IQR or value > Q3 + {k:g}*IQR "
        "(quartiles by linear interpolation, type 7)"
    )


def _quantile(p: str) -> str:
    """Linear interpolation between the 0-based order statistics around position ``p``."""
    return (
        f"sum(CASE WHEN i = floor({p}) THEN value * (1 - ({p} - floor({p}))) "
        f"WHEN i = floor({p}) + 1 THEN value * ({p} - floor({p})) ELSE 0 END)"
    )


def sql_summary() -> str:
    """One row per (question, unit): n, mean, sd, min, max and the three quartiles."""
    return f"""
    WITH ranked AS (
        SELECT question, unit, value,
               row_number() OVER (PARTITION BY question, unit ORDER BY value) - 1 AS i,
               CAST(count(*) OVER (PARTITION BY question, unit) - 1 AS DOUBLE) AS last
        FROM expert_estimates
    )
    SELECT question, unit, count(*) AS n, avg(value) AS mean, stddev_samp(value) AS sd,
           min(value) AS min, max(value) AS max,
           {_quantile("last * 0.25")} AS q1,
           {_quantile("last * 0.5")} AS median,
           {_quantile("last * 0.75")} AS q3
    FROM ranked
    GROUP BY question, unit
    """


def sql_outliers() -> str:
    """Answers outside the Tukey fences (``$k`` × IQR beyond the quartiles)."""
    return f"""
    WITH summary AS ({sql_summary()})
    SELECT e.question, e.unit, e.respondent, e.value
    FROM expert_estimates e
    JOIN summary s ON s.question = e.question AND s.unit = e.unit
    WHERE e.value < s.q1 - $k * (s.q3 - s.q1) OR e.value > s.q3 + $k * (s.q3 - s.q1)
    ORDER BY e.question, e.unit, e.value, e.respondent
    """


def estimate_stats(engine: Engine, *, k: float = TUKEY_K) -> dict[str, Any]:
    """Per-question statistics of the stored expert estimates (JSON-ready).

    ``{"rule": "tukey_fences", "rule_text": ..., "k": 1.5, "questions": [{"question", "unit",
    "n", "mean", "median", "min", "max", "sd", "q1", "q3", "iqr", "fences": {"low", "high"},
    "outliers": [{"respondent", "value"}]}]}``; ``sd`` is the sample standard deviation
    (n − 1), ``None`` for a single answer.
    """
    summary = engine.rows("estimates_summary", sql_summary() + " ORDER BY question, unit")
    outliers = engine.rows("estimates_outliers", sql_outliers(), {"k": k})
    flagged: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in outliers:
        flagged.setdefault((row["question"], row["unit"]), []).append(
            {"respondent": row["respondent"], "value": float(row["value"])}
        )
    questions = []
    for row in summary:
        q1, q3 = float(row["q1"]), float(row["q3"])
        iqr = q3 - q1
        questions.append({
            "question": row["question"],
            "unit": row["unit"],
            "n": int(row["n"]),
            "mean": float(row["mean"]),
            "median": float(row["median"]),
            "min": float(row["min"]),
            "max": float(row["max"]),
            "sd": None if row["sd"] is None else float(row["sd"]),
            "q1": q1,
            "q3": q3,
            "iqr": iqr,
            "fences": {"low": q1 - k * iqr, "high": q3 + k * iqr},
            "outliers": flagged.get((row["question"], row["unit"]), []),
        })  # fmt: skip
    return {"rule": RULE, "rule_text": rule_text(k), "k": k, "questions": questions}
