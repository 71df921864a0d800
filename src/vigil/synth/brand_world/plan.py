"""The §4 world's brands, planned to the assessment's figures (IWF Website Brands Project).

June 2009 - December 2012: 13 distributors (one of them new in 2012, active January - May
and in two later incidents), 1,292 templates, 513 brands active in 2012 of which 268 new,
8 distributors active in 2012, the ten brands with most commercial URLs in 2012 all one
distributor's and the top thirty spread over three. The table below fixes, per
distributor, its window and how many brands it runs; everything else (lifetimes, which
templates are redesigns of which, kits sold on, how many URLs each brand has) is drawn
from the seed. :func:`plan` returns the brands with the months their captured URLs fall in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from vigil.synth.captures.brands import (
    Brand,
    Distributor,
    Template,
    TemplateBook,
    new_brand,
)

#: Months are counted from June 2009 (0) to December 2012 (42); 2012 is months 31-42.
Y2012 = 31
LAST = 42
#: label, first and last month, weight, 2012: active brands, of them new, of the new ones
#: bought kits; before 2012: brands, of them bought kits. Sums: 513 active in 2012, 268
#: new (6 kits, so 262 new templates); 1,044 brands before 2012 (14 kits, 1,030
#: templates): 1,292 templates. D13 is the one new distributor, January - May 2012.
TABLE: tuple[tuple[str, int, int, float, int, int, int, int, int], ...] = (
    ("D01", 0, 42, 10.0, 175, 90, 0, 289, 0),
    ("D02", 0, 42, 6.0, 100, 52, 0, 173, 2),
    ("D03", 1, 42, 5.0, 80, 42, 0, 140, 1),
    ("D04", 0, 41, 3.0, 55, 28, 2, 87, 2),
    ("D05", 2, 40, 2.5, 40, 20, 1, 67, 1),
    ("D06", 1, 38, 2.0, 30, 15, 0, 56, 2),
    ("D07", 3, 33, 2.0, 25, 13, 0, 52, 1),
    ("D08", 0, 19, 2.0, 0, 0, 0, 37, 1),
    ("D09", 2, 24, 2.0, 0, 0, 0, 43, 2),
    ("D10", 0, 27, 2.0, 0, 0, 0, 52, 1),
    ("D11", 4, 29, 1.5, 0, 0, 0, 36, 1),
    ("D12", 5, 17, 1.0, 0, 0, 0, 12, 0),
    ("D13", 31, 35, 1.0, 8, 8, 3, 0, 0),
)
#: Commercial URLs in 2012 of the 30 brands with most: the top ten (all D01's) hold 395,
#: which is 15.26 % of 2,588 (2,587 URLs cannot give 15.26 %: 394 and 395 of them are
#: 15.23 % and 15.27 %). Ranks 11-30 are six more of D01's, nine of D02's, five of D03's.
TOP10 = (52, 48, 45, 42, 40, 38, 36, 34, 31, 29)
TOP11_30 = tuple(range(28, 8, -1))
TOP11_30_OWNERS = ("D01",) * 6 + ("D02",) * 9 + ("D03",) * 5
OTHER_MAX = 8  # every other brand has at most this many commercial URLs in 2012
COMMERCIAL_2012 = 2_588
INCIDENT_MONTHS = (39, 41)  # D13's two later incidents (September, November 2012)


def month_start(m: int) -> int:
    year, month = 2009 + (5 + m) // 12, (5 + m) % 12 + 1
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


@dataclass
class Plan:
    distributors: list[Distributor]
    book: TemplateBook
    urls: list[tuple[Brand, int]]  # (brand, month) of each captured URL
    first: dict[int, int]  # id(brand) -> first month
    last: dict[int, int]


def plan(rng: random.Random) -> Plan:
    book = TemplateBook(rng, kit_share=0.2)
    dists = [Distributor(i, row[0], month_start(row[1]), month_start(row[2] + 1), row[3]) for i, row in enumerate(TABLE)]
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    slots: list[tuple[Distributor, int, int, bool]] = []  # (distributor, first month, last month, bought kit)
    for dist, (_, lo, hi, _, active, new, kits12, pre, kits_pre) in zip(dists, TABLE):
        top = min(hi, Y2012 - 1)
        for k in range(pre):
            cont = k < active - new  # continues into 2012
            kit = k >= pre - kits_pre  # bought from another distributor (not in its first months)
            a = lo if k == pre - kits_pre - 1 else rng.randint(max(lo, 6) if kit else lo, top)  # one from the start
            b = rng.randint(max(a, Y2012), hi) if cont else min(top, a + int(rng.expovariate(1 / 5)))
            slots.append((dist, a, b, kit))
        for k in range(new):
            a = rng.randint(max(lo, Y2012), hi)
            slots.append((dist, a, min(hi, a + int(rng.expovariate(1 / 5))), k >= new - kits12))
    slots.sort(key=lambda s: (s[1], s[0].index))
    current: dict[tuple[int, int], Template] = {}  # (distributor, family) -> latest version
    brands: list[Brand] = []
    for dist, a, b, kit in slots:
        if kit:
            template = _kit(book, dist, a, first, brands, rng)
        else:
            template = _template(book, dist, a, current, first, last, rng)
        brand = new_brand(template, dist, month_start(a), month_start(b + 1))
        first[id(brand)], last[id(brand)] = a, b
        brands.append(brand)
    urls = _urls(brands, dists, first, last, rng)
    return Plan(dists, book, urls, first, last)


def _template(book: TemplateBook, dist: Distributor, a: int, current: dict[tuple[int, int], Template],
              first: dict[int, int], last: dict[int, int], rng: random.Random) -> Template:  # fmt: skip
    """A new family, or (about two times in five) a redesign of one of the distributor's own."""
    ending = [t for (d, _), t in current.items() if d == dist.index and t.successor is None
              and any(first[id(b)] < a <= last[id(b)] + 3 for b in dist.brands if b.template is t)]  # fmt: skip
    if ending and rng.random() < 0.45:
        old = rng.choice(ending)
        new = book.redesign(old)
    else:
        new = book.new_family(dist)
    current[(dist.index, new.family)] = new
    return new


def _kit(book: TemplateBook, dist: Distributor, a: int, first: dict[int, int], brands: list[Brand],
         rng: random.Random) -> Template:  # fmt: skip
    """A kit another distributor used first (a month or more earlier), bought by ``dist``."""
    mine = {id(b.template) for b in dist.brands}
    offers = [b.template for b in brands if b.template.kit and b.distributor is not dist and first[id(b)] < a
              and id(b.template) not in mine]  # fmt: skip
    if not offers:
        raise RuntimeError("synthetic world: no kit to sell")
    return rng.choice(sorted(set(offers), key=lambda t: (t.family, t.version)))


def _urls(brands: list[Brand], dists: list[Distributor], first: dict[int, int], last: dict[int, int],
          rng: random.Random) -> list[tuple[Brand, int]]:  # fmt: skip
    """Each brand's captured URLs by month: at least one in its first month, and one in 2012 if active then."""
    in_2012 = [b for b in brands if last[id(b)] >= Y2012]
    counts = {id(b): 1 + min(OTHER_MAX - 1, int(rng.expovariate(1 / 1.3))) for b in in_2012}
    by_label = {d.label: [b for b in in_2012 if b.distributor is d] for d in dists}
    top = _pick_top(by_label, first, last, rng)
    for brand, n in zip(top, TOP10 + TOP11_30):
        counts[id(brand)] = n
    out: list[tuple[Brand, int]] = []
    for brand in brands:
        a, b = first[id(brand)], last[id(brand)]
        if a < Y2012:  # URLs before 2012: one in the first month, more over the life
            pre_end = min(b, Y2012 - 1)
            out.append((brand, a))
            out += [(brand, rng.randint(a, pre_end)) for _ in range(int(rng.expovariate(1 / max(0.3, (pre_end - a) / 6))))]
        if b >= Y2012:
            lo = max(a, Y2012)
            months = [lo] + [rng.randint(lo, b) for _ in range(counts[id(brand)] - 1)]
            out += [(brand, m) for m in months]
    for month in INCIDENT_MONTHS:  # the payment site of D13, twice more late in 2012
        brand = rng.choice([b for b in by_label["D13"] if counts[id(b)] < OTHER_MAX])
        counts[id(brand)] += 1
        out.append((brand, month))
    return out


def _pick_top(by_label: dict[str, list[Brand]], first: dict[int, int], last: dict[int, int],
              rng: random.Random) -> list[Brand]:  # fmt: skip
    """The 30 most prolific brands of 2012, in rank order: long-lived ones of D01, D02 and D03."""
    pools = {}
    for label in ("D01", "D02", "D03"):
        pool = sorted(by_label[label], key=lambda b: (-(last[id(b)] - max(first[id(b)], Y2012)), first[id(b)]))
        pools[label] = pool[:20]
        rng.shuffle(pools[label])
    ranked = [pools["D01"].pop() for _ in TOP10]
    owners = list(TOP11_30_OWNERS)
    rng.shuffle(owners)
    return ranked + [pools[label].pop() for label in owners]
