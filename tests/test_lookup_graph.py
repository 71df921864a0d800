"""Typed recognition of a pasted query, and the evidence graph's collapse past its node budget."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_access import _actor
from vigil.access import scoped
from vigil.publish.graph import evidence_graph
from vigil.publish.lookup import recognise
from vigil.store import Store


@pytest.mark.parametrize(
    "query, kind, value, identifier_kind",
    [
        ("http://Example.TEST/a/../b", "url", "http://example.test/b", None),
        ("shop.example/checkout", "url", "http://shop.example/checkout", None),
        ("192.0.2.7", "ip", "192.0.2.7", None),
        ("[2001:db8::1]", "ip", "2001:db8::1", None),
        ("AS64500", "asn", "64500", None),
        ("asn 65536", "asn", "65536", None),
        ("DE89 3704 0044 0532 0130 00", "identifier", "DE89370400440532013000", "iban"),
        ("Sales@Alpha-Shop.test", "identifier", "sales@alpha-shop.test", "email"),
        ("B-157f07b1ff", "brand", "B-157f07b1ff", None),
        ("D-3994b5e17b", "distributor", "D-3994b5e17b", None),
        ("site11-0.test", "host", "site11-0.test", None),
        ("", "text", "", None),
    ],
)
def test_recognise_types_what_was_pasted(query: str, kind: str, value: str, identifier_kind: str | None) -> None:
    got = recognise(query)
    assert (got.kind, got.value, got.identifier_kind) == (kind, value, identifier_kind)


@given(st.text(max_size=300))
def test_recognise_never_raises(text: str) -> None:
    assert recognise(text).kind in ("url", "host", "ip", "asn", "brand", "distributor", "identifier", "text")


def test_the_graph_collapses_past_its_node_budget(marked_world: dict[str, Any]) -> None:
    dist = marked_world["distributor"]["op-a"]
    with Store(marked_world["db"], read_only=True) as store, scoped(store, _actor("analyst")) as view:
        full = evidence_graph(view, dist)
        small = evidence_graph(view, dist, max_nodes=4)
        only_email = evidence_graph(view, dist, kinds={"email"})
    assert full is not None and small is not None and only_email is not None
    assert not full["collapsed"] and {n["type"] for n in full["nodes"]} == {"brand", "value"}
    assert small["collapsed"] and len(small["nodes"]) <= 5
    assert sum(n["brands"] for n in small["nodes"] if n["type"] == "cluster") == full["brands"] == 3
    assert [n["label"] for n in only_email["nodes"] if n["type"] == "value"] == ["sales@alpha-shop.test"]
