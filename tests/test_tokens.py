"""The one HTML tokenizer (vigil.attribute.tokens), shared by the fingerprint and markup's depth pre-pass."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.attribute.fingerprint import skeleton
from vigil.attribute.markup import bound_depth
from vigil.attribute.tokens import RAW_TEXT, VOID, attributes, opens, raw_text_end, tags


def names(text: str) -> list[tuple[str, str]]:
    """Each tag as ("/" for an end tag, "+" for a start tag that opens, "." for one that does not, name)."""
    return [("/" if closing else "+" if opening else ".", name) for _, _, closing, name, _, opening in tags(text)]


def test_tags_of_a_page() -> None:
    page = (
        "<!DOCTYPE html><HTML><body class='a>b'><!-- <p> in a comment --><br/><img src=x>"
        "<div/><span>t</span><script>if (a<b) document.write('<div>')</script>"
        "<?php echo 1 ?><p>a</ <b>b</b></p><textarea><i>kept as text</textarea ></body>"
    )
    assert names(page) == [
        ("+", "html"), ("+", "body"), (".", "br"), (".", "img"), (".", "div"), ("+", "span"), ("/", "span"),
        ("+", "script"), ("/", "script"), ("+", "p"), ("/", "b"), ("/", "p"), ("+", "textarea"), ("/", "textarea"),
        ("/", "body"),
    ]  # fmt: skip


def test_spans_and_attribute_text() -> None:
    page = "x<a href='/y?a>b' title=t>z</A>"
    assert list(tags(page)) == [
        (1, 26, False, "a", " href='/y?a>b' title=t", True),
        (27, 31, True, "a", "", False),
    ]
    assert page[1:26] == "<a href='/y?a>b' title=t>"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("<script>a</script", [("+", "script"), ("/", "script")]),  # an end tag cut by the end of input
        ("<script>a</scripts></script>", [("+", "script"), ("/", "script")]),  # not its end tag
        ("<script/><p>", [(".", "script"), ("+", "p")]),  # self-closing: no body to skip
        ("<style>unterminated <p>", [("+", "style")]),
        ("<title>x</TITLE\t><p>", [("+", "title"), ("/", "title"), ("+", "p")]),
    ],
)
def test_raw_text_bodies(page: str, expected: list[tuple[str, str]]) -> None:
    assert names(page) == expected


def test_void_and_raw_text_rules() -> None:
    assert {"br", "img", "input", "meta", "link", "frame"} <= VOID and not VOID & RAW_TEXT
    assert not opens("br", "") and not opens("div", " /") and opens("div", " class=x") and opens("bgsound", "")
    assert raw_text_end("script", "<script>a</script>", 8) == 9
    assert raw_text_end("script", "<script>a</scriptx>", 8) == 19


def test_attributes_first_wins_and_caps() -> None:
    assert attributes(" ID=a id=b Class='c d' data-x", max_attrs=32, max_chars=1000) == {"id": "a", "class": "c d", "data-x": ""}
    many = " ".join(f"a{i}=v" for i in range(50))
    assert list(attributes(many, max_attrs=5, max_chars=1000)) == ["a0", "a1", "a2", "a3", "a4"]
    assert attributes("x=1 " + "y" * 100 + "=2", max_attrs=32, max_chars=10) == {"x": "1", "yyyyyy": ""}


def test_the_fingerprint_and_the_depth_bound_nest_alike() -> None:
    # Self-closing and void elements open nothing in either reader: 300 of them in a row
    # are not "deep" for the pre-pass, and the link after them is not their child.
    page = "<div/>" * 300 + "<br>" * 300 + "<a href='https://a.test/'>x</a>"
    assert bound_depth(page, max_depth=128) == page
    assert "path:a" in skeleton(page).features and not any(">" in f for f in skeleton(page).features if f.startswith("path:"))
    # A start tag that opens is deep in both from the same point on.
    deep = "<b>" * 10 + "<i>x</i>" + "</b>" * 10
    assert bound_depth(deep, max_depth=10).count("<i>") == 0
    assert bound_depth(deep, max_depth=11).count("<i>") == 1
    assert skeleton(deep, max_depth=10).depth_limited and not skeleton(deep, max_depth=11).depth_limited


@pytest.mark.parametrize(
    "page",
    [
        "<" * 500_000,
        "<a " + "'" * 500_000,
        "<a b=\"" + "x" * 1_000_000,
        "<!--" + "-" * 500_000,
        "</" * 300_000,
        "<script>" + "</scrip" * 100_000,
        "<a =" * 200_000,
    ],
)
def test_hostile_input_is_read_in_linear_time(page: str) -> None:
    start = time.perf_counter()
    for _ in tags(page):
        pass
    assert time.perf_counter() - start < 3


@given(st.text(alphabet="<>/!-?='\" abcdiv\nscriptle", max_size=300))
def test_tags_never_raise_and_spans_move_forward(page: str) -> None:
    last = 0
    for start, end, closing, name, _, opening in tags(page):
        assert last <= start < end <= len(page) and page[start] == "<" and name == name.lower()
        assert not (closing and opening)
        last = end
