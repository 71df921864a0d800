"""The distributor step on its own: inverted index, over-matching guard, judgements, components."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from vigil.attribute.linking import components, link
from vigil.attribute.warninglists import WarningLists
from vigil.store.engine import DuckDBEngine, Engine

ENGINES = ["duckdb", pytest.param("spark", marks=[pytest.mark.slow, pytest.mark.spark])]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """The step on each engine: the judgement paths are not exercised by the synthetic worlds."""
    if request.param == "duckdb":
        return DuckDBEngine(duckdb.connect())
    pytest.importorskip("pyspark", reason="the Spark engine is the optional extra vigil[spark]")
    from vigil.store.spark import SparkEngine, spark_session

    return SparkEngine(spark_session(), tmp_path / "data")


# page -> template
PAGES = {f"p{i}": f"t{i}" for i in range(12)}


class Result:
    def __init__(self, engine: Engine) -> None:
        self.group = {r["page_sha256"]: r["grp"] for r in engine.rows("t", "SELECT * FROM _page_groups")}
        self.decisions = engine.rows("t", "SELECT * FROM _decisions ORDER BY spread, kind, value")

    def groups(self) -> list[set[str]]:
        by_root: dict[str, set[str]] = {}
        for page, root in self.group.items():
            by_root.setdefault(root, set()).add(page)
        return sorted(by_root.values(), key=sorted)

    def status(self, value: str) -> dict[str, Any]:
        return next(d for d in self.decisions if d["value"] == value)


def run(pages: dict[str, str], values: Iterable[tuple[str, str, str]], engine: Engine | None = None, **options: Any) -> Result:
    engine = engine or DuckDBEngine(duckdb.connect())
    engine.put_arrow("_lk_pages", pa.table({"page": list(pages), "template_id": list(pages.values())}))
    rows = sorted({v for v in values if v[0] in pages})
    engine.put_arrow("_lk_pivots", pa.table({"page": [r[0] for r in rows], "kind": [r[1] for r in rows],
                                             "value": [r[2] for r in rows]}, schema=pa.schema(
                                                 [("page", pa.string()), ("kind", pa.string()), ("value", pa.string())])))  # fmt: skip
    link(engine, **options)
    return Result(engine)


def test_a_shared_merchant_account_links_and_a_public_checkout_does_not(engine: Engine) -> None:
    values = [
        # three operators, each with its own account shared by its brands
        ("p0", "merchant_account", "gw/M-1"), ("p1", "merchant_account", "gw/M-1"),
        ("p2", "merchant_account", "gw/M-2"), ("p3", "merchant_account", "gw/M-2"),
        ("p4", "merchant_account", "gw/M-3"), ("p5", "merchant_account", "gw/M-3"),
        # one public checkout used by all of them
        *((f"p{i}", "payment_form", "https://checkout.bigpay.test/pay") for i in range(6)),
    ]  # fmt: skip
    result = run({k: PAGES[k] for k in [f"p{i}" for i in range(6)]}, values, engine)
    assert result.groups() == [{"p0", "p1"}, {"p2", "p3"}, {"p4", "p5"}]
    decision = result.status("https://checkout.bigpay.test/pay")
    assert decision["status"] == "generic" and "3 otherwise unrelated groups" in decision["reason"]
    assert result.status("gw/M-1")["status"] == "link" and result.status("gw/M-1")["reason"] == "links 2 groups"


def test_one_hub_value_over_many_single_brands_still_links_them() -> None:
    values = [(f"p{i}", "email", "sales@operator.test") for i in range(10)]
    result = run({f"p{i}": PAGES[f"p{i}"] for i in range(10)}, values)
    assert result.groups() == [{f"p{i}" for i in range(10)}]


def test_the_guard_can_be_tuned() -> None:
    values = [
        ("p0", "email", "a@x.test"), ("p1", "email", "a@x.test"),
        ("p2", "email", "b@x.test"), ("p3", "email", "b@x.test"),
        ("p4", "email", "c@x.test"), ("p5", "email", "c@x.test"),
        *((f"p{i}", "analytics_id", "UA-1234-1") for i in range(6)),
    ]  # fmt: skip
    pages = {f"p{i}": PAGES[f"p{i}"] for i in range(6)}
    assert len(run(pages, values, max_groups=3).groups()) == 3
    assert len(run(pages, values, max_groups=4).groups()) == 1


def test_warning_listed_values_never_link(engine: Engine) -> None:
    values = [("p0", "email", "info@example.com"), ("p1", "email", "info@example.com")]
    result = run({"p0": "t0", "p1": "t1"}, values, engine, warnings=WarningLists(names=["docs"], hostnames={"example.com": "docs"}))
    assert result.groups() == [{"p0"}, {"p1"}]
    assert result.decisions[0]["status"] == "warninglist" and result.decisions[0]["reason"] == "on the warning list 'docs'"


def test_judgements_override_links_both_ways(engine: Engine) -> None:
    values = [("p0", "phone", "+442079460001"), ("p1", "phone", "+442079460001")]
    pages = {"p0": "t0", "p1": "t1", "p2": "t2"}
    blocked = run(pages, values, engine, not_same=[("t0", "t1")])
    assert blocked.groups() == [{"p0"}, {"p1"}, {"p2"}] and blocked.decisions[0]["status"] == "blocked"
    joined = run(pages, values, engine, same=[("J-1", "t1", "t2")])
    assert joined.groups() == [{"p0", "p1", "p2"}]


def test_values_of_one_level_that_breach_a_judgement_only_together_are_taken_in_order(engine: Engine) -> None:
    # a@ ties t0 to t5 and b@ ties t5 to t1: each alone is fine, together they join t0 and t1
    values = [("p0", "email", "a@x.test"), ("p5", "email", "a@x.test"), ("p5", "email", "b@x.test"), ("p1", "email", "b@x.test")]
    result = run({"p0": "t0", "p1": "t1", "p5": "t5"}, values, engine, not_same=[("t1", "t0")])
    assert result.groups() == [{"p0", "p5"}, {"p1"}]
    assert result.status("a@x.test")["status"] == "link"
    assert result.status("b@x.test")["status"] == "blocked" and "t0 and t1" in result.status("b@x.test")["reason"]


def test_values_of_equal_spread_are_judged_together_whatever_their_spelling() -> None:
    # three operators with two brands each; one value of spread 6 spans them all, and one
    # of spread 2 per operator: the wide value is judged after the operators are formed
    values = [(f"p{i}", "email", f"op{i // 2}@x.test") for i in range(6)] + [(f"p{i}", "phone", "+15550100") for i in range(6)]
    pages = {f"p{i}": PAGES[f"p{i}"] for i in range(6)}
    for spelling in ("+15550100", "0000", "zzzz"):
        renamed = [(p, k, spelling if k == "phone" else v) for p, k, v in values]
        result = run(pages, renamed)
        assert result.groups() == [{"p0", "p1"}, {"p2", "p3"}, {"p4", "p5"}]
        assert result.status(spelling)["status"] == "generic"


def test_order_of_input_does_not_change_the_result() -> None:
    values = [(f"p{i}", "email", f"e{i % 3}@x.test") for i in range(9)] + [(f"p{i}", "iban", "GB00TEST") for i in (0, 4)]
    pages = {f"p{i}": PAGES[f"p{i}"] for i in range(9)}
    assert run(pages, values).groups() == run(pages, list(reversed(values))).groups()


@pytest.mark.parametrize("local_limit", [0, 10_000], ids=["in SQL", "on the driver"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_components_equal_scipys_on_random_graphs(seed: int, local_limit: int) -> None:
    rng = random.Random(seed)
    n = 400
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(300)]
    chain = list(range(n))
    rng.shuffle(chain)
    edges += list(zip(chain[:120], chain[1:121]))  # one long path, in random order
    engine = DuckDBEngine(duckdb.connect())
    name = [f"n{i:04d}" for i in range(n)]
    engine.put_arrow("_edges", pa.table({"a": [name[a] for a, b in edges], "b": [name[b] for a, b in edges]}))
    assert components(engine, "SELECT a, b FROM _edges", "_out", local_limit=local_limit) == len({x for e in edges for x in e})
    got = {r["node"]: r["label"] for r in engine.rows("t", "SELECT node, label FROM _out")}
    matrix = coo_matrix((np.ones(len(edges)), ([a for a, b in edges], [b for a, b in edges])), shape=(n, n))
    _, labels = connected_components(matrix, directed=False)
    touched = {x for e in edges for x in e}
    smallest: dict[int, str] = {}
    for i in sorted(touched):
        smallest.setdefault(int(labels[i]), name[i])
    assert got == {name[i]: smallest[int(labels[i])] for i in touched}


def test_groups_are_named_by_their_smallest_page_and_clashes_by_template_id(engine: Engine) -> None:
    # names whose text order is not their order of arrival: the levels work on numbers, and
    # what comes out must still be named as the text orders it
    pages = {"p9": "tz", "p10": "ta", "p2": "tm", "p11": "tb"}
    values = [("p9", "merchant_account", "gw/M-9"), ("p10", "merchant_account", "gw/M-9"),
              ("p2", "merchant_account", "gw/M-8"), ("p11", "merchant_account", "gw/M-8"),
              ("p2", "email", "sales@example.test"), ("p9", "email", "sales@example.test")]  # fmt: skip
    result = run(pages, values, engine, not_same=[("tz", "tm")])
    assert result.group == {"p9": "p10", "p10": "p10", "p2": "p11", "p11": "p11"}
    assert result.status("sales@example.test")["reason"] == "an analyst judged templates tm and tz not the same"
    assert {d["value"]: d["first_page"] for d in result.decisions} == {
        "gw/M-9": "p10", "gw/M-8": "p11", "sales@example.test": "p2"}
