"""Benchmark: where the per-page work goes (fingerprint and identifiers), on s4 pages.

    python benchmarks/bench_pagework.py [--pages 2000] [--workdir DIR] [--profile 25] [--against CHECKOUT]

The pages are the distinct pages of one synthetic s4 world (seed 1, generated into
``--workdir`` when missing): the crawler WARC and the analyst tool's HTML files, about
4,000 pages of 4-8 KB. Each measurement reads every page once, as a run does: the
caches of the walk (tag tokens, elements, normalised names) are warm with the templates
seen before and cold for each page's one-off tags, which is what a run pays. The second
pass over the same pages shows what the one-off tags cost (everything cached).

Printed, in CPU milliseconds per page (``time.process_time``: on a loaded machine wall
time says little, and even CPU time moves by 10 %; compare ratios, not figures):

* the stages: decode, the tag regex alone, the skeleton walk (the compiled one when it is
  built, and the pure-Python one), the whole fingerprint,
  lxml's parse and the page view, the whole identifier scan;
* ``--profile N``: cProfile's top N functions by own time over one pass;
* ``--against CHECKOUT``: this tree's per-page work beside another checkout's (its
  ``src/vigil`` copied under another package name), each page run by both, which one goes
  first alternating page by page, plus the same for two copies of the *other* checkout
  (an A/A run: the harness's own bias, a few per cent, to subtract by eye); the templates
  and identifiers of both are compared on every page.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
try:
    import vigil  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from vigil.attribute.fingerprint import fingerprint, skeleton
from vigil.attribute.identifiers import extract_identifiers
from vigil.attribute.markup import decode_html, read_page
from vigil.attribute.tokens import TAG

Page = tuple[str | None, bytes]  # (capture URL, page)


def s4_pages(workdir: Path) -> list[Page]:
    """The distinct pages of the s4 world of seed 1, with the first URL each was captured at."""
    from vigil.ingest.capture_sources import warc_items
    from vigil.synth import generate_world

    world = workdir / "s4-1"
    if not (world / "captures").exists():
        generate_world(world, seed=1, profile="s4")
    pages: dict[bytes, str | None] = {}
    for item in warc_items(world / "captures" / "crawler.warc.gz"):
        if item.html:
            pages.setdefault(item.html, str(item.fields["url"]))
    for path in sorted((world / "captures").rglob("*.html")):
        pages.setdefault(path.read_bytes(), None)
    return [(url, html) for html, url in pages.items()]


def per_page(pages: list[Page], work: Callable[[str | None, bytes], Any]) -> float:
    """CPU milliseconds per page of ``work`` over every page once."""
    start = time.process_time()
    for url, html in pages:
        work(url, html)
    return (time.process_time() - start) / len(pages) * 1000


def stages(pages: list[Page]) -> None:
    texts = {html: decode_html(html, max_bytes=5_000_000) for _, html in pages}
    rows = [
        ("fingerprint (cold: first pass)", lambda u, h: fingerprint(h)),
        ("fingerprint (warm: second pass)", lambda u, h: fingerprint(h)),
        ("  decode", lambda u, h: decode_html(h, max_bytes=5_000_000)),
        ("  tag regex alone (finditer)", lambda u, h: [m[0] for m in TAG.finditer(texts[h])]),
        ("  skeleton walk (warm)", lambda u, h: skeleton(h)),
        ("  skeleton walk, Python (1st pass)", lambda u, h: _pure_python(skeleton, h)),  # its token cache is
        ("  skeleton walk, Python (2nd pass)", lambda u, h: _pure_python(skeleton, h)),  # not the C walk's
        ("identifiers (cold: first pass)", lambda u, h: extract_identifiers(h, base_url=u)),
        ("identifiers (warm: second pass)", lambda u, h: extract_identifiers(h, base_url=u)),
        ("  lxml parse + page view", lambda u, h: read_page(texts[h])),
    ]
    print(f"\n## stages: {len(pages)} pages, mean {sum(len(h) for _, h in pages) / len(pages) / 1000:.1f} KB, "
          f"{sum(len(TAG.findall(t)) for t in texts.values()) / len(texts):.0f} tokens per page")  # fmt: skip
    for name, work in rows:
        print(f"{name:34} {per_page(pages, work):7.3f} ms/page")


def _pure_python(work: Callable[[bytes], Any], html: bytes) -> Any:
    """``work(html)`` with the Python walk, also when the compiled one is built (docs/fingerprint.md)."""
    module = sys.modules["vigil.attribute.fingerprint"]
    module.USE_C, was = False, module.USE_C
    try:
        return work(html)
    finally:
        module.USE_C = was


def profile(pages: list[Page], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for url, html in pages:
        fingerprint(html)
        extract_identifiers(html, base_url=url)
    profiler.disable()
    print(f"\n## profile: one pass over {len(pages)} pages (cold), top {top} by own time")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def _load_copy(checkout: Path, name: str, into: Path) -> tuple[ModuleType, ModuleType]:
    """``fingerprint`` and ``identifiers`` of ``checkout/src/vigil``, imported as package ``name``."""
    target = into / name
    shutil.copytree(checkout / "src" / "vigil", target)
    for path in target.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"\b(from|import) vigil\.", rf"\1 {name}.", source)
        path.write_text(source.replace('"vigil.attribute', f'"{name}.attribute'), encoding="utf-8")
    if str(into) not in sys.path:
        sys.path.insert(0, str(into))
    return importlib.import_module(f"{name}.attribute.fingerprint"), importlib.import_module(f"{name}.attribute.identifiers")


def _template_row(t: Any) -> tuple[Any, ...]:
    return (t.template_id, t.signature_bytes(), t.features, t.top_features, t.kinds, t.elements, t.truncated, t.depth_limited)


def _alternate(pages: list[Page], a: tuple[ModuleType, ModuleType], b: tuple[ModuleType, ModuleType]) -> dict[str, float]:
    """CPU ms per page of both, each page run by both once, who goes first alternating."""
    clock = time.process_time
    spent = {"a fp": 0.0, "a ids": 0.0, "b fp": 0.0, "b ids": 0.0}
    both = (("a", *a), ("b", *b))
    for i, (url, html) in enumerate(pages):
        for side, fp, ids in both if i % 2 == 0 else both[::-1]:
            t0 = clock()
            fp.fingerprint(html)
            t1 = clock()
            ids.extract_identifiers(html, base_url=url)
            spent[f"{side} fp"] += t1 - t0
            spent[f"{side} ids"] += clock() - t1
    return {k: v / len(pages) * 1000 for k, v in spent.items()}


def against(pages: list[Page], checkout: Path, warm: int = 200) -> None:
    here = (sys.modules["vigil.attribute.fingerprint"], sys.modules["vigil.attribute.identifiers"])
    with tempfile.TemporaryDirectory() as tmp:
        # fresh copies for each comparison: a copy that has seen a page has it cached
        base, first, second = (_load_copy(checkout, name, Path(tmp)) for name in ("vigil_base", "vigil_aa1", "vigil_aa2"))
        for url, html in pages[:warm]:  # imports, processors, the templates' common tags
            for fp, ids in (here, base, first, second):
                fp.fingerprint(html)
                ids.extract_identifiers(html, base_url=url)
        sample = pages[warm:]
        print(f"\n## against {checkout}: {len(sample)} pages, each run once by each side")
        for label, a, b in (("base -> this tree", base, here), ("A/A: base -> base", first, second)):
            ms = _alternate(sample, a, b)
            fp, ids = ms["a fp"] / ms["b fp"], ms["a ids"] / ms["b ids"]
            whole = (ms["a fp"] + ms["a ids"]) / (ms["b fp"] + ms["b ids"])
            print(f"{label:20} fingerprint {ms['a fp']:.3f} -> {ms['b fp']:.3f} ms (x{fp:.2f}), identifiers "
                  f"{ms['a ids']:.3f} -> {ms['b ids']:.3f} ms (x{ids:.2f}), both x{whole:.2f}")  # fmt: skip
        differ = 0
        for url, html in pages:
            same = _template_row(base[0].fingerprint(html)) == _template_row(here[0].fingerprint(html))
            found = [[(f.kind, f.value, f.where, f.raw) for f in m.extract_identifiers(html, base_url=url)] for m in (base[1], here[1])]
            differ += not same or found[0] != found[1]
        print(f"{len(pages)} pages compared: {differ} with a different template or identifiers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "vigil-bench-pagework")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N functions")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT", help="compare with another checkout, page by page")
    args = parser.parse_args()
    pages = s4_pages(args.workdir)
    if args.against:
        against(pages, args.against)
        return
    pages = pages[: args.pages]
    if args.profile:
        profile(pages, args.profile)
    else:
        stages(pages)


if __name__ == "__main__":
    main()
