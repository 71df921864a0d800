"""How many commercial URLs each quarter of the world has, by site type and hosting country.

The default world (``DEFAULT_REPORTS`` rows) reproduces §3 of the EFC strategic assessment
2013 for Q4 2012 exactly: 1,138 commercial URLs; banner sites just over half (576, of which
US 245 = 42.5 %, RU 72 = 12.5 %, KZ 70 = 12.2 %); pay-per-view just over a third (408, of
which US 212 = 52.0 %, KZ 45 = 11.0 %, RU 40 = 9.8 %); the rest spread over the other site
types and countries. Q3 2012 is a similar but different world, earlier quarters are lighter,
and Q1 2013 trails off. At other sizes every quarter scales with ``reports / DEFAULT_REPORTS``
(largest-remainder rounding, so shares stay close to the figures above).

These are targets for the generator; the truth files are computed from the reports written,
and the generator checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from vigil.periods import Period

#: Rows written in reports/ by default; chosen so that Q4 2012 carries the assessment's figures.
DEFAULT_REPORTS = 20_000

#: The world's quarters, oldest first.
QUARTERS: tuple[str, ...] = (
    "2011Q1", "2011Q2", "2011Q3", "2011Q4", "2012Q1", "2012Q2", "2012Q3", "2012Q4", "2013Q1",
)
CALIBRATED_QUARTER = "2012Q4"

#: Commercial URLs per quarter in the default world.
QUARTER_TOTALS: Mapping[str, int] = {
    "2011Q1": 420, "2011Q2": 480, "2011Q3": 540, "2011Q4": 600,
    "2012Q1": 720, "2012Q2": 860, "2012Q3": 1000, "2012Q4": 1138, "2013Q1": 520,
}

Mix = Mapping[str, Mapping[str, float]]  # site type -> country -> weight

#: Q4 2012, exact counts at the default size (assessment §3).
Q4_2012: Mix = {
    "banner": {"US": 245, "RU": 72, "KZ": 70, "NL": 60, "DE": 45, "UA": 32, "CZ": 24, "FR": 16, "unknown": 12},
    "pay_per_view": {"US": 212, "KZ": 45, "RU": 40, "NL": 30, "DE": 20, "CZ": 14, "UA": 12, "GB": 10, "CA": 8,
                     "FR": 7, "unknown": 10},
    "cyberlocker": {"NL": 14, "US": 12, "DE": 6, "RU": 4, "FR": 4},
    "hidden_service": {"unknown": 18},
    "image_host": {"US": 15, "RU": 8, "NL": 6, "DE": 4, "UA": 3},
    "forum": {"US": 9, "RU": 6, "DE": 4, "UA": 3, "unknown": 2},
    "other": {"US": 13, "NL": 8, "RU": 5, "KZ": 4, "DE": 3, "SE": 1, "RO": 1, "unknown": 1},
}

_TYPES_Q3 = {"banner": 47, "pay_per_view": 37, "cyberlocker": 4.5, "hidden_service": 1.5, "image_host": 3.5,
             "forum": 2.5, "other": 4}
_TYPES_EARLY = {"banner": 44, "pay_per_view": 38, "cyberlocker": 6, "hidden_service": 2, "image_host": 4,
                "forum": 3, "other": 3}
_COUNTRIES_Q3 = {
    "banner": {"US": 46, "RU": 10, "KZ": 8, "NL": 12, "DE": 9, "UA": 6, "CZ": 5, "FR": 3, "unknown": 1},
    "pay_per_view": {"US": 55, "KZ": 8, "RU": 11, "NL": 9, "DE": 6, "CZ": 4, "UA": 2, "GB": 2, "CA": 2,
                     "unknown": 1},
}
_COUNTRIES_EARLY = {
    "banner": {"US": 50, "RU": 14, "NL": 12, "DE": 8, "KZ": 3, "UA": 5, "CZ": 4, "FR": 2, "unknown": 2},
    "pay_per_view": {"US": 58, "RU": 12, "NL": 10, "DE": 7, "KZ": 3, "CZ": 3, "GB": 3, "CA": 2, "unknown": 2},
    "cyberlocker": {"NL": 35, "US": 30, "DE": 15, "RU": 10, "FR": 10},
    "hidden_service": {"unknown": 100},
    "image_host": {"US": 45, "RU": 20, "NL": 15, "DE": 10, "UA": 10},
    "forum": {"US": 40, "RU": 25, "DE": 15, "UA": 10, "unknown": 10},
    "other": {"US": 40, "NL": 20, "RU": 15, "KZ": 5, "DE": 10, "LV": 4, "unknown": 6},
}

Cell = tuple[str, str]  # (site type, country)


def _blend(t: float) -> dict[Cell, float]:
    """Cell weights between the early mix (t=0) and the Q3 2012 mix (t=1)."""
    weights: dict[Cell, float] = {}
    for site_type, early_share in _TYPES_EARLY.items():
        type_share = (1 - t) * early_share + t * _TYPES_Q3[site_type]
        early = _COUNTRIES_EARLY[site_type]
        late = _COUNTRIES_Q3.get(site_type, early)
        countries = list(dict.fromkeys([*early, *late]))
        e_total, l_total = sum(early.values()), sum(late.values())
        for country in countries:
            share = (1 - t) * early.get(country, 0) / e_total + t * late.get(country, 0) / l_total
            weights[(site_type, country)] = type_share * share
    return weights


def apportion(weights: Mapping[Cell, float], total: int) -> dict[Cell, int]:
    """Largest-remainder rounding of ``weights`` to integers summing to ``total``."""
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return {cell: 0 for cell in weights}
    exact = {cell: w * total / whole for cell, w in weights.items()}
    counts = {cell: int(x) for cell, x in exact.items()}
    left = total - sum(counts.values())
    by_remainder = sorted(weights, key=lambda cell: (-(exact[cell] - counts[cell]), list(weights).index(cell)))
    for cell in by_remainder[:left]:
        counts[cell] += 1
    return counts


def quarter_weights(quarter: str) -> dict[Cell, float]:
    if quarter in (CALIBRATED_QUARTER, "2013Q1"):
        return {(t, c): float(n) for t, row in Q4_2012.items() for c, n in row.items()}
    index = QUARTERS.index(quarter)
    return _blend(min(1.0, index / 6))


def targets(scale: float) -> dict[tuple[int, str, str], int]:
    """Commercial URLs to generate per (quarter index, site type, country)."""
    found: dict[tuple[int, str, str], int] = {}
    for q, quarter in enumerate(QUARTERS):
        counts = apportion(quarter_weights(quarter), round(QUARTER_TOTALS[quarter] * scale))
        for (site_type, country), n in counts.items():
            if n:
                found[(q, site_type, country)] = n
    return found


def quarter_bounds() -> tuple[tuple[int, int], ...]:
    """Each quarter as ``[start, end)`` epoch seconds, UTC."""
    bounds = []
    for quarter in QUARTERS:
        period = Period.parse(quarter)
        bounds.append((int(period.start_ts.timestamp()), int(period.end_ts.timestamp())))
    return tuple(bounds)
