"""The s4 world's other assessment inputs: test purchases, expert estimates, search volumes.

* ``purchases/purchases.csv`` (docs/payments.md): about 200 test purchases from the world's
  commercial sites in 2012. Each is made on a captured sales page, a few hours to a few days
  after its capture; when the page carries a merchant account of a listed processor
  (``attribute/data/processors.toml``), the purchase names that processor and that account,
  so purchases and pages meet on the same account. Pages whose payment channel the world
  does not tie to a listed processor are bought with one chosen from the list, without an
  account.
* ``estimates/estimates.csv`` (docs/assessment-inputs.md): seven answers to one neutral
  question, giving n=7, mean 10.1, median 7.5 and one Tukey outlier (40), as in §2.1.
* ``search/volumes.csv``: monthly volumes 2011-01 .. 2012-12 for a few countries and neutral
  placeholder terms; the "series" terms fall, the "generic" terms stay flat in total (every
  month sums to the same volume), the "borderline" terms rise, and every category grows in
  the Latin American countries.
* ``search/lexicon.csv``: the placeholder lexicon for those terms. A real lexicon is the
  user's file and is kept outside the repository; this one only matches the placeholders.

Everything is drawn from ``random.Random(f"{seed}:<file>")``: the same seed gives the same
bytes.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigil.synth.captures.schedule import Shot

HOUR = 3_600
DAY = 86_400
Y2012 = int(datetime(2012, 1, 1, tzinfo=UTC).timestamp())
Y2013 = int(datetime(2013, 1, 1, tzinfo=UTC).timestamp())
PURCHASES = 200

#: Listed processors (attribute/data/processors.toml): scope slug -> (name, payment type).
PROCESSORS: dict[str, tuple[str, str]] = {
    "example-card-gateway": ("Example Card Gateway", "credit_card"),
    "example-wallet": ("Example Wallet", "digital_wallet"),
    "example-sms-billing": ("Example SMS Billing", "sms"),
    "example-money-transfer": ("Example Money Transfer", "money_transfer"),
}
_PRICES = {"credit_card": (19.95, 29.95, 39.95, 49.95), "digital_wallet": (25.0, 30.0, 45.0),
           "sms": (5.0, 9.0, 12.0), "money_transfer": (50.0, 75.0, 100.0)}  # fmt: skip
_CURRENCIES = (("USD", 60), ("EUR", 35), ("GBP", 5))
_OUTCOMES = (("approved", 85), ("declined", 10), ("refunded", 5))

ESTIMATE_QUESTION = "share of material offered online that is paid for"
ESTIMATE_VALUES = (1.0, 2.2, 5.0, 7.5, 7.5, 7.5, 40.0)
#: What the estimates give (truth/world.json): n, mean, median, outliers.
ESTIMATE_TRUTH = {"question": ESTIMATE_QUESTION, "unit": "percent", "n": 7, "mean": 10.1, "median": 7.5,
                  "outliers": [40.0]}  # fmt: skip

SEARCH_MONTHS = tuple(f"{y}-{m:02d}" for y in (2011, 2012) for m in range(1, 13))
#: (country, base volume, Latin America?)
SEARCH_COUNTRIES = (("US", 1000, False), ("GB", 450, False), ("DE", 500, False), ("RU", 400, False),
                    ("BR", 250, True), ("MX", 180, True), ("AR", 120, True))  # fmt: skip
SEARCH_TERMS: dict[str, tuple[str, ...]] = {
    "series": ("alpha series", "beta series", "gamma series"),
    "generic": ("generic term one", "generic term two"),
    "borderline": ("borderline term one", "borderline term two"),
}
LEXICON = (
    ("series", "series"),
    ("re:^generic term (one|two)$", "generic"),
    ("borderline term", "borderline"),
)
#: Monthly factor of each category outside Latin America (generic is balanced, see below).
_CATEGORY_RATE = {"series": 0.955, "borderline": 1.045}
_LATAM_RATE = 1.05
#: What the search volumes give (truth/world.json): Mann-Kendall direction by category.
SEARCH_TRUTH = {"series": "decreasing", "generic": "no trend", "borderline": "increasing",
                "rising_region": "Latin America and the Caribbean"}  # fmt: skip


def _csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _account(shot: Shot) -> tuple[str, str] | None:
    """(processor slug, account) of the first listed-processor merchant account on the page."""
    for kind, value in shot.values:
        if kind == "merchant_account":
            scope, _, account = value.partition("/")
            if scope in PROCESSORS and account:
                return scope, account
    return None


def purchase_rows(
    shots: Sequence[Shot], seed: int, *, n: int = PURCHASES
) -> list[list[str]]:
    """About ``n`` test purchases on sales pages captured in 2012 (fewer if the world has fewer)."""
    rng = random.Random(f"{seed}:purchases")
    pages = [s for s in shots if s.brand is not None and Y2012 <= s.ts < Y2013 - DAY]
    picked = sorted(rng.sample(pages, min(n, len(pages))), key=lambda s: (s.ts, s.url))
    rows: list[tuple[int, str, list[str]]] = []
    slugs = sorted(PROCESSORS)
    for shot in picked:
        ts = min(Y2013 - 1, shot.ts + rng.randrange(2 * HOUR, 4 * DAY))
        known = _account(shot)
        slug, account = known if known else (rng.choice(slugs), "")
        name, payment_type = PROCESSORS[slug]
        amount = f"{rng.choice(_PRICES[payment_type]):.2f}"
        currency = rng.choices(
            [c for c, _ in _CURRENCIES], [w for _, w in _CURRENCIES]
        )[0]
        outcome = rng.choices([o for o, _ in _OUTCOMES], [w for _, w in _OUTCOMES])[0]
        rows.append(
            (
                ts,
                shot.url,
                [
                    _iso(ts),
                    shot.url,
                    payment_type,
                    name,
                    account,
                    amount,
                    currency,
                    outcome,
                ],
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [[f"TP-{i:04d}", *row] for i, (_, _, row) in enumerate(rows, 1)]


def search_rows(seed: int) -> list[list[str]]:
    """Monthly volumes by country and placeholder term (see the module docstring)."""
    rng = random.Random(f"{seed}:search")
    rows: list[list[str]] = []
    shares = {
        c: {t: rng.uniform(0.6, 1.4) for ts in SEARCH_TERMS.values() for t in ts}
        for c, _, _ in SEARCH_COUNTRIES
    }
    for m, month in enumerate(SEARCH_MONTHS):
        growth = _LATAM_RATE**m
        # generic: Latin America grows, the rest shrinks by as much, so each month's total is the same
        generic: dict[tuple[str, str], int] = {}
        for term in SEARCH_TERMS["generic"]:
            base = {c: round(v * shares[c][term]) for c, v, _ in SEARCH_COUNTRIES}
            total = sum(base.values())
            latam = {c: round(base[c] * growth) for c, _, la in SEARCH_COUNTRIES if la}
            rest = [c for c, _, la in SEARCH_COUNTRIES if not la]
            left = total - sum(latam.values())
            rest_base = sum(base[c] for c in rest)
            for c in rest[:-1]:
                generic[(c, term)] = round(base[c] * left / rest_base)
            generic[(rest[-1], term)] = left - sum(
                generic[(c, term)] for c in rest[:-1]
            )
            generic.update({(c, term): v for c, v in latam.items()})
        for country, volume, latin in SEARCH_COUNTRIES:
            for category, terms in SEARCH_TERMS.items():
                for term in terms:
                    if category == "generic":
                        value = generic[(country, term)]
                    else:
                        factor = _CATEGORY_RATE[category] ** m * (
                            growth if latin else 1.0
                        )
                        value = round(
                            volume
                            * shares[country][term]
                            * factor
                            * rng.uniform(0.96, 1.04)
                        )
                    rows.append([month, country, term, str(max(0, value))])
    return rows


def write_inputs(out: Path, shots: Sequence[Shot], seed: int) -> dict[str, Any]:
    """Write the four files; return their description for truth/world.json."""
    purchases = purchase_rows(shots, seed)
    _csv(out / "purchases" / "purchases.csv",
         ("purchase_id", "purchased_at", "url", "payment_type", "processor", "merchant_account", "amount", "currency",
          "outcome"), purchases)  # fmt: skip
    _csv(out / "estimates" / "estimates.csv", ("question", "respondent", "value", "unit"),
         [[ESTIMATE_QUESTION, f"r{i}", f"{v:g}", "percent"] for i, v in enumerate(ESTIMATE_VALUES, 1)])  # fmt: skip
    volumes = search_rows(seed)
    _csv(
        out / "search" / "volumes.csv", ("period", "country", "term", "volume"), volumes
    )
    _csv(out / "search" / "lexicon.csv", ("pattern", "category"), LEXICON)
    return {
        "purchases": {"file": "purchases/purchases.csv", "rows": len(purchases),
                      "with_merchant_account": sum(1 for r in purchases if r[5])},
        "estimates": {"file": "estimates/estimates.csv", **ESTIMATE_TRUTH},
        "search": {"file": "search/volumes.csv", "lexicon": "search/lexicon.csv", "rows": len(volumes),
                   "from": SEARCH_MONTHS[0], "to": SEARCH_MONTHS[-1], "trends": SEARCH_TRUTH},
    }  # fmt: skip
