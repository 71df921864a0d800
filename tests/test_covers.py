"""Cover pages (docs/attribution.md, "Cover pages"), the rule alone on hand-made captures.

A URL is disguised when a capture without a referrer is unlike (MinHash estimate under the
altered threshold) every capture of that URL with one; such captures are its cover pages.
The signatures are made so that the share of equal positions is known exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vigil.attribute.derive import covers
from vigil.store import Store

ALTERED = 0.5
BASE = np.arange(128, dtype="<u4")


def _like(share: float, offset: int) -> bytes:
    """A signature sharing exactly ``share`` of its positions with ``BASE`` and none with the
    signatures of another ``offset``."""
    other = BASE.copy()
    other[round(share * 128):] += offset
    return other.tobytes()


PAGES = {"sale": BASE.tobytes(), "alike": _like(0.5, 1_000), "unlike": _like(0.49, 2_000), "other": _like(0.0, 3_000)}

CAPTURES = [  # capture_key, url, referrer, captured_at (day of May 2012), page
    ("u1-sale", "http://one.test/", "http://in.test/ > http://one.test/enter", 3, "sale"),
    ("u1-cover", "http://one.test/", None, 1, "unlike"),
    ("u1-cover2", "http://one.test/", None, 5, "other"),
    ("u1-same", "http://one.test/", None, 2, "alike"),  # at the threshold: alike, so no cover
    ("u2-late", "http://two.test/", "http://late.test/", 9, "sale"),
    ("u2-early", "http://two.test/", "http://early.test/", 4, "other"),
    ("u2-cover", "http://two.test/", None, 6, "unlike"),  # unlike "sale", and unlike "other" too
    ("u3-plain", "http://three.test/", None, 1, "other"),  # no capture with a referrer: nothing to hide
    ("u3-plain2", "http://three.test/", None, 2, "sale"),
    ("u4-sale", "http://four.test/", "http://in.test/", 1, "missing"),  # its page was never analysed
    ("u4-nr", "http://four.test/", None, 2, "other"),
    ("u5-sale", "http://five.test/", "http://in.test/", 1, "sale"),  # only referrer captures
]


def _store(path: Path) -> Store:
    store = Store(path)
    for key, url, referrer, day, page in CAPTURES:
        store.con.execute(
            "INSERT INTO captures VALUES (?, ?, 'test', ?, ?, ?, 'h.test', ?, ?, 'f', 1, 'x', 'b', now())",
            [key, key, f"2012-05-{day:02d} 10:00:00", url, url, referrer, page],
        )
    for page, signature in PAGES.items():
        store.con.execute("INSERT INTO page_skeletons VALUES (?, ?, ?, 10, 1)", [page, "S-" + page, signature])
    return store


def test_cover_pages_are_the_no_referrer_captures_unlike_every_sales_capture(tmp_path: Path) -> None:
    with _store(tmp_path / "v.duckdb") as store:
        covers(store, ALTERED)
        cover = {r[0] for r in store.con.execute("SELECT capture_key FROM _cover").fetchall()}
        disguised = store.con.execute("SELECT * FROM _disguised ORDER BY url").fetchall()
    assert cover == {"u1-cover", "u1-cover2", "u2-cover"}
    assert disguised == [
        ("http://one.test/", 2, 1, "http://in.test/ > http://one.test/enter"),
        ("http://two.test/", 1, 2, "http://early.test/"),  # the referrer of the earliest sales capture
    ]


def test_only_the_urls_asked_for_are_decided(tmp_path: Path) -> None:
    with _store(tmp_path / "v.duckdb") as store:
        store.con.execute("CREATE TEMP TABLE _asked AS SELECT 'http://two.test/' AS url")
        covers(store, ALTERED, urls="_asked")
        cover = {r[0] for r in store.con.execute("SELECT capture_key FROM _cover").fetchall()}
        urls = [r[0] for r in store.con.execute("SELECT url FROM _disguised").fetchall()]
    assert cover == {"u2-cover"} and urls == ["http://two.test/"]
