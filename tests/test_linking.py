"""The distributor step on its own: inverted index, over-matching guard, judgements."""

from vigil.attribute.linking import link

# page -> template
PAGES = {f"p{i}": f"t{i}" for i in range(12)}


def groups(result) -> list[set[str]]:  # type: ignore[no-untyped-def]
    by_root: dict[str, set[str]] = {}
    for page, root in result.group.items():
        by_root.setdefault(root, set()).add(page)
    return sorted((g for g in by_root.values()), key=lambda g: sorted(g))


def test_a_shared_merchant_account_links_and_a_public_checkout_does_not() -> None:
    values = [
        # three operators, each with its own account shared by its brands
        ("p0", "merchant_account", "gw/M-1"), ("p1", "merchant_account", "gw/M-1"),
        ("p2", "merchant_account", "gw/M-2"), ("p3", "merchant_account", "gw/M-2"),
        ("p4", "merchant_account", "gw/M-3"), ("p5", "merchant_account", "gw/M-3"),
        # one public checkout used by all of them
        *((f"p{i}", "payment_form", "https://checkout.bigpay.test/pay") for i in range(6)),
    ]  # fmt: skip
    result = link({k: PAGES[k] for k in [f"p{i}" for i in range(6)]}, values)
    assert groups(result) == [{"p0", "p1"}, {"p2", "p3"}, {"p4", "p5"}]
    decision = next(d for d in result.decisions if d.kind == "payment_form")
    assert decision.status == "generic" and "3 otherwise unrelated groups" in decision.reason


def test_one_hub_value_over_many_single_brands_still_links_them() -> None:
    values = [(f"p{i}", "email", "sales@operator.test") for i in range(10)]
    result = link({f"p{i}": PAGES[f"p{i}"] for i in range(10)}, values)
    assert groups(result) == [{f"p{i}" for i in range(10)}]


def test_the_guard_can_be_tuned() -> None:
    values = [
        ("p0", "email", "a@x.test"), ("p1", "email", "a@x.test"),
        ("p2", "email", "b@x.test"), ("p3", "email", "b@x.test"),
        ("p4", "email", "c@x.test"), ("p5", "email", "c@x.test"),
        *((f"p{i}", "analytics_id", "UA-1234-1") for i in range(6)),
    ]  # fmt: skip
    pages = {f"p{i}": PAGES[f"p{i}"] for i in range(6)}
    assert len(groups(link(pages, values, max_groups=3))) == 3
    assert len(groups(link(pages, values, max_groups=4))) == 1


def test_warning_listed_values_never_link() -> None:
    values = [("p0", "email", "info@example.com"), ("p1", "email", "info@example.com")]
    result = link({"p0": "t0", "p1": "t1"}, values, warned=lambda v: "docs" if v.endswith("example.com") else None)
    assert groups(result) == [{"p0"}, {"p1"}]
    assert result.decisions[0].status == "warninglist"


def test_judgements_override_links_both_ways() -> None:
    values = [("p0", "phone", "+442079460001"), ("p1", "phone", "+442079460001")]
    pages = {"p0": "t0", "p1": "t1", "p2": "t2"}
    blocked = link(pages, values, not_same=[("t0", "t1")])
    assert groups(blocked) == [{"p0"}, {"p1"}, {"p2"}] and blocked.decisions[0].status == "blocked"
    joined = link(pages, values, same=[("J-1", "t1", "t2")])
    assert groups(joined) == [{"p0", "p1", "p2"}]


def test_order_of_input_does_not_change_the_result() -> None:
    values = [(f"p{i}", "email", f"e{i % 3}@x.test") for i in range(9)] + [(f"p{i}", "iban", "GB00TEST") for i in (0, 4)]
    pages = {f"p{i}": PAGES[f"p{i}"] for i in range(9)}
    assert groups(link(pages, values)) == groups(link(pages, list(reversed(values))))
