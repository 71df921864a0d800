"""The compiled skeleton walk (``vigil.attribute._walk``) gives exactly the Python walk's output.

The Python walk (``fingerprint._walk_python``) is the reference: on every input the C walk
must give the same :class:`Skeleton` — the same feature set, element count, ``truncated``
and ``depth_limited``. Compared here on the pages of an s4 world, the hostile inputs of
tests/test_fingerprint.py, the pinned pages of tests/test_pagework_identical.py, and random
HTML-ish text rich in what the tokenizer branches on (Hypothesis), with small bounds too.
Each input is walked twice by C: once with the token cache cold, once warm.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_fingerprint import JUNK, Family
from test_pagework_identical import _pages

from vigil.attribute import fingerprint as fp
from vigil.attribute.markup import decode_html
from vigil.attribute.tokens import _ATTR, RAW_TEXT, VOID, attributes

pytestmark = pytest.mark.skipif(
    fp._cwalk is None,
    reason="the C walk is not built (pip install -e . builds it with gcc and the Python headers): "
    "only the Python walk runs, nothing to compare",
)

BOUNDS = ((256, 50_000), (1, 0), (1, 1), (2, 3), (3, 50), (5, 7), (64, 20))


def python_walk(text: str, truncated: bool, depth: int, elements: int) -> fp.Skeleton:
    return fp._walk_python(text, truncated, max_depth=depth, max_elements=elements)


def c_walk(text: str, truncated: bool, depth: int, elements: int) -> fp.Skeleton:
    assert fp._cwalk is not None
    return fp.Skeleton(*fp._cwalk.walk(text, truncated, depth, elements))


def assert_same(text: str, truncated: bool = False, bounds: tuple[tuple[int, int], ...] = BOUNDS) -> None:
    for depth, elements in bounds:
        expected = python_walk(text, truncated, depth, elements)
        fp._cwalk.clear()  # type: ignore[union-attr]
        cold = c_walk(text, truncated, depth, elements)
        warm = c_walk(text, truncated, depth, elements)
        assert cold == expected, (depth, elements, sorted(cold.features ^ expected.features)[:10])
        assert warm == expected, (depth, elements)


def test_the_c_walk_is_the_one_used() -> None:
    """skeleton() takes the C walk when built (a spy sees it), the Python one when switched off."""
    calls: list[int] = []
    real = fp._cwalk.walk  # type: ignore[union-attr]

    def spy(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    page = Family.make(3).capture(__import__("random").Random(3))
    try:
        fp._cwalk.walk = spy  # type: ignore[union-attr]
        with_c = fp.skeleton(page)
        assert calls == [1]
        fp.USE_C = False
        without = fp.skeleton(page)
        assert calls == [1]
    finally:
        fp._cwalk.walk = real  # type: ignore[union-attr]
        fp.USE_C = True
    assert with_c == without and len(with_c.features) > 50


def test_the_environment_switch_selects_python() -> None:
    code = "from vigil.attribute import fingerprint as f; print(f.USE_C, f._cwalk is not None)"
    for value, expected in (("1", "False True"), ("0", "True True"), ("", "True True")):
        env = {**os.environ, "VIGIL_PURE_PYTHON": value}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_hostile_inputs_walk_the_same(junk: str | bytes) -> None:
    text = decode_html(junk, max_bytes=fp.MAX_BYTES)
    assert_same(text, bounds=((256, 50_000), (3, 10), (1, 2)))
    assert_same(text[:5000], truncated=True)


def test_pinned_pages_walk_the_same() -> None:
    """The pages whose templates tests/test_pagework_identical.py pins (so: known-good output)."""
    for _, html in _pages():
        assert_same(decode_html(html, max_bytes=fp.MAX_BYTES), bounds=BOUNDS[:4])


@pytest.mark.parametrize(
    "text",
    [
        "<div>" * 300 + "</div>" * 300 + "<p class=after>",
        "<div><span>" * 200 + "</div>" * 50 + "<p>x</p>" + "</span>" * 100,
        "<ul><li><p>a<li>b<div><dl><dt>x<dd>y<dt>z</dl><table><tr><td>1<td>2<tr><th>3<tbody><tr></table>",
        "<select><option>a<optgroup><option>b<option>c</optgroup></select>",
        "<script>a</script ><script/>x<style>b</STYLE><title>t</tItLe\x0c><textarea>u</textarea",
        "<script>a</\u017fcript>b</script><xmp>c</XMP/><iframe>d",  # ſ matches s case-insensitively
        "<a x=\x0b'1>2'>y</a><a x=\x1c\"3>\">z</a><a x=\u3000'5>'>w</a><a x=\x85\"6>\"><a x=\xa0'>'>",
        "<div id='" + "x" * 600 + "'><b class=" + "y " * 300 + ">",
        "<" + "d" * 100 + " a=1>",
        "<DİV><dİv></dİv></DIV><\u212aBD>",
        "<!-->a--><!--->b--><!---->c<!-- -- -->d<!--x",
        "<!--><b>--><i><!---><u>--><s>",  # "<!-->" does not end the comment
        "<a x=\x1c\"y>\"<b><a x=\x85'y>'<i><a x=\u3000\"y>\"<u><a x=\xa0'y>'<s>",  # Unicode space after "="
        "<a x=\x1e'y>'<b><a x=\u2028\"y>\"<i><a x=\u200b'y>'<u>",  # U+200B is no space
        "</ x><? pi ?><!doctype html></><</a><<b>>",
        "<a\ud800 b='\udfff'>\U0001f600<i\U0001f600>",
        "".join(f"<div class=c{i}>" for i in range(300)),
        "<html><head><body><html><p><head>",
        "<input/><img><br/><p/><div/>x</div>",
        "<a " + "b" * 70_000 + "=1 c=2>",
    ],
)
def test_tricky_inputs_walk_the_same(text: str) -> None:
    assert_same(text)


def test_a_full_token_cache_is_emptied_as_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiny caches the C walk clears them mid-page and still gives the same skeleton."""
    page = decode_html(Family.make(5).capture(__import__("random").Random(5)), max_bytes=fp.MAX_BYTES)
    expected = python_walk(page, False, 256, 50_000)
    monkeypatch.setattr(fp, "_TOKENS_MAX", 3)
    monkeypatch.setattr(fp, "_TOKEN_CACHED", 20)
    try:
        fp._configure_c()
        assert c_walk(page, False, 256, 50_000) == expected
        assert fp._cwalk.cache_size() <= 3  # type: ignore[union-attr]
        assert c_walk(page, False, 256, 50_000) == expected
    finally:
        monkeypatch.undo()
        fp._configure_c()


def test_attribute_edge_cases_walk_the_same() -> None:
    """Start tags whose label and features C reads from _element's cache by the key it computes."""
    many = " ".join(f"a{i % 40}={i}" for i in range(70))
    cases = [
        f"<div {many} id=x1 class=y2>", f"<div id=a1 {many}>", "<input TYPE=Email Name=e1 type=x><input type=\x0bemail>",
        "<div id=a id=b1 ID=c class='x' CLASS=y>", "<div id='' class=\"\">", "<div id class>", "<div id =\x1c'q1'>",
        "<link rel=stylesheet href='/s.1.css' rel=icon>", "<script src=a.js src=b.js></script>", "<meta name=a1 NAME=b>",
        "<form method=POST method=get>", "<div \u0130d=x>", "<div \u212aey=1 class=c1>", "<div \xe9=1 id=z>",
        "<div id='x\u0663 y\xb2 z9'>", "<div class='a1b\u3000c\x85d2 e\xa0f3'>", "<div id=" + "9" * 300 + ">",
        "<div id=\"a>b\" class=c>", "<div 'x=1 \"y=2 =z>", "<a id=1/>", "<div id=x/ class=y>",
        "<button type=Submit name=go1>", "<select name=s1><textarea name=t2>x</textarea>",
    ]  # fmt: skip
    for case in cases:
        fp._ELEMENTS.clear()
        assert_same(case + case)  # the first walk of each side fills _ELEMENTS; C's second reads it


def python_key(tag: str, attr_text: str) -> tuple[object, ...]:
    attrs = attributes(attr_text, max_attrs=fp._MAX_ATTRS, max_chars=fp._MAX_ATTR_TEXT) if attr_text else {}
    return fp._element_key(tag, attrs)


_ATTR_PIECES = st.one_of(
    st.sampled_from(
        [" ", "=", "'", '"', "/", ">", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u3000", "id", "ID", "class",
         "Class", "type", "name", "src", "rel", "href", "method", "property", "http-equiv", "itemprop", "a1", "x-2",
         "b.c", "d_e", "f:g", "\u0663", "\xb2", "\u0130", "\u212a", "\xe9", "\ud800", "\U0001f600"]
    ),  # fmt: skip
    st.text(alphabet="abcXYZ019-_:. =\"'\x0b\x1c\xa0\u3000", max_size=5),
)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["div", "input", "button", "form", "script", "link", "meta", "a", "select"]),
       st.lists(_ATTR_PIECES, max_size=60).map("".join))  # fmt: skip
@example("div", " ".join(f"a{i % 40}={i}" for i in range(70)) + " id=x1")
@example("div", " ".join(f"a{i}={i}" for i in range(32)) + " a0=z")  # 33 matches: first wins, in order
@example("div", " ".join(f"a{i}={i}" for i in range(31)) + " a0=z")  # 32: reversed, still first wins
def test_c_files_elements_under_the_python_key(tag: str, attr_text: str) -> None:
    """The key C computes for _ELEMENTS is _element's: else C would miss (slow) or hit another
    tag's entry (wrong). C leaves only tags with non-ASCII attribute names to Python."""
    key = fp._cwalk.element_key(tag, attr_text)  # type: ignore[union-attr]
    if key is None:
        assert any(not found[0].isascii() for found in _ATTR.findall(attr_text[: fp._MAX_ATTR_TEXT]))
    else:
        assert key == python_key(tag, attr_text)


# ------------------------------------------------------------------ random HTML-ish text

_NAMES = sorted(VOID | RAW_TEXT | set(fp._CLOSES) | {"html", "head", "body", "a", "b", "span", "svg", "form"})
_CHARS = "<>/!?-=\"' \t\n\r\x0b\x0c\x1c\x1d\x85\xa0\u2028\u3000abcdiklpsxyzABKIS\u017f\u212a\u0130\u0131\xe9#.0123"
_PIECES = st.one_of(
    st.sampled_from(_NAMES).map(lambda n: f"<{n}"),
    st.sampled_from(_NAMES).map(lambda n: f"</{n}"),
    st.sampled_from(_NAMES).map(lambda n: f"<{n.upper()}>"),
    st.sampled_from(
        [">", "/>", "<!--", "-->", "--", "<!", "<?", "</", "<", " class=", " id=", " type=", " name=", "='", '="',
         "= '", "=\x0c\"", "=\x1c'", "=\x85\"", "=\xa0'", "=\u3000\"", "<!-->", "<!--->",
         "</script", "</\u017fcript", "</title ", "<script>", "<style>", " src=a.js", " rel=stylesheet",
         " href=s.css", " id=a1", " id=b", " class='c1 d'", " ID=Q", " Class=x", " name=n2", " type=T",
         " method=Post", " src=x.1.js", " rel=Stylesheet", " \u0130d=", "\ud800", "\udc00", "\U0001f600", "\U00010400"]
    ),  # fmt: skip
    st.text(alphabet=_CHARS, max_size=6),
)
_HTMLISH = st.lists(_PIECES, max_size=120).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HTMLISH, st.booleans(), st.integers(1, 6), st.integers(0, 40))
@example("<a x=\u3000'>'>b", False, 2, 5)
@example("<p>" * 10, True, 1, 3)
def test_random_htmlish_text_walks_the_same(text: str, truncated: bool, depth: int, elements: int) -> None:
    assert_same(text, truncated, bounds=((depth, elements), (256, 50_000)))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_walks_the_same(text: str) -> None:
    assert_same(text, bounds=((256, 50_000), (2, 4)))


# ------------------------------------------------------------------ the s4 world


def _s4_pages(world: Any) -> Iterator[bytes]:
    from vigil.ingest.capture_sources import warc_items

    seen: set[bytes] = set()
    captures = world.path / "captures"
    items = (item.html for path in sorted(captures.rglob("*.warc.gz")) for item in warc_items(path))
    for html in (*items, *(path.read_bytes() for path in sorted(captures.rglob("*.html")))):
        if html and html not in seen:
            seen.add(html)
            yield html


@pytest.mark.slow
def test_every_page_of_an_s4_world_walks_the_same(synth_world: Callable[..., Any]) -> None:
    pages = 0
    for html in _s4_pages(synth_world(profile="s4")):
        text = decode_html(html, max_bytes=fp.MAX_BYTES)
        expected = python_walk(text, False, fp.MAX_DEPTH, fp.MAX_ELEMENTS)
        assert c_walk(text, False, fp.MAX_DEPTH, fp.MAX_ELEMENTS) == expected
        assert c_walk(text, False, 4, 30) == python_walk(text, False, 4, 30)
        pages += 1
    assert pages > 1000
