"""The world behind the captures: distributors, template families and their versions, brands.

A **template** is a page layout (:class:`~vigil.synth.captures.pages.Layout`); a **family** is a
template and its structural redesigns (versions 2, 3, ...), each of which is a new template
by the definitions of docs/attribution.md. A **brand** is a template used by one
distributor: a kit sold to two distributors is two brands. These are the generator's own
labels, from which the truth is computed (never from the pipeline).

:func:`assign_brands` gives each captured URL of the §3 world a brand, one URL at a time in
time order (distributors come and go, brands are founded, redesigned and sold on). The §4
world plans its brands instead (:mod:`vigil.synth.brand_world.plan`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from vigil.synth.captures.pages import Layout, prefix_for

DAY = 86_400
#: Invented operator words, used in distributors' own hosts (``pay7.kestro.test``).
TAGS = ("kestro", "valmor", "tiskel", "orvane", "pelmar", "zunito", "marlov", "quenta", "sorvik", "brisko",
        "fenwal", "gorlin", "havrik", "jastel", "lumiro", "nadrel")  # fmt: skip
#: Payment channel each distributor starts with (rotating through its life).
FIRST_PAY = ("own", "cardgate", "wallet", "own", "sms", "transfer", "cardgate", "own", "wallet", "cardgate",
             "own", "sms", "own", "cardgate", "wallet", "own")  # fmt: skip
FIRST_CONTACT = ("email", "webmail", "phone", "email", "btc", "webmail", "iban", "email", "eth", "phone",
                 "webmail", "email", "btc", "email", "phone", "webmail")  # fmt: skip


@dataclass(eq=False)
class Distributor:
    """An operator behind a group of brands (the seed's "Top Level Distributor")."""

    index: int
    label: str  # D01, D02, ...
    start: int  # epoch seconds: the window it is active in (planning only)
    end: int
    weight: float = 1.0
    brands: list[Brand] = field(default_factory=list)

    @property
    def tag(self) -> str:
        return TAGS[self.index % len(TAGS)] + ("" if self.index < len(TAGS) else str(self.index))


@dataclass(eq=False)
class Template:
    """One page template: a family's layout at one version."""

    family: int
    version: int
    layout: Layout
    parent: Template | None  # the template it is a redesign of
    kit: bool  # may be sold to other distributors (and is then never shown without identifiers)
    owner: Distributor
    label: str = ""  # T0001, ... in order of first capture (set when the captures are known)
    successor: Template | None = None


@dataclass(eq=False)
class Brand:
    """A template used by one distributor."""

    template: Template
    distributor: Distributor
    start: int = 0  # planned window (epoch seconds)
    end: int = 0
    decoy_counter: bool = False  # pastes the common counter instead of its own
    urls: int = 0

    @property
    def label(self) -> str:
        return f"{self.template.label}.{self.distributor.label}"


class TemplateBook:
    """Makes templates: new families, redesigns and kits, from one random stream."""

    def __init__(self, rng: random.Random, *, kit_share: float = 0.25) -> None:
        self.rng = rng
        self.kit_share = kit_share
        self.families = 0
        self.templates: list[Template] = []

    def new_family(self, owner: Distributor) -> Template:
        layout = Layout.make(self.rng, prefix_for(self.families))
        template = Template(self.families, 1, layout, None, self.rng.random() < self.kit_share, owner)
        self.families += 1
        self.templates.append(template)
        return template

    def redesign(self, old: Template) -> Template:
        layout = old.layout.altered(self.rng, version=old.version + 1)
        new = Template(old.family, old.version + 1, layout, old, old.kit, old.owner)
        old.successor = new
        self.templates.append(new)
        return new


def new_brand(template: Template, distributor: Distributor, start: int, end: int) -> Brand:
    brand = Brand(template, distributor, start, end)
    distributor.brands.append(brand)
    return brand


@dataclass
class Demand:
    """A URL that will be captured: when it was first reported and who runs it."""

    url: str
    host: str
    ts: int  # its first commercial report
    deadline: int  # captures stay before this instant
    commercial_ts: tuple[int, ...]  # times of the reports that say commercial = true
    brand: Brand | None = None
    site: str = ""  # the site's label: URLs of one site get one brand while it lives


def s3_distributors(start: int, end: int) -> list[Distributor]:
    """Eight distributors over the §3 world: most all along, one leaves, one arrives late."""
    span = end - start
    windows = [(0.0, 1.0, 5.0), (0.0, 1.0, 3.0), (0.0, 1.0, 2.5), (0.0, 1.0, 2.0), (0.05, 1.0, 1.5),
               (0.0, 0.9, 1.5), (0.0, 0.55, 1.2), (0.6, 1.0, 1.0)]  # fmt: skip
    return [Distributor(i, f"D{i + 1:02d}", start + int(a * span), start + int(b * span), w)
            for i, (a, b, w) in enumerate(windows)]  # fmt: skip


def assign_brands(demands: Sequence[Demand], distributors: Sequence[Distributor], book: TemplateBook,
                  rng: random.Random) -> None:  # fmt: skip
    """Give each demand (in time order) a brand: an active one, a new family, a redesign or a kit."""
    by_site: dict[str, Brand] = {}
    for demand in sorted(demands, key=lambda d: (d.ts, d.url)):
        ts = demand.ts
        known = by_site.get(demand.site)
        if known is not None and known.end >= ts and known.template.successor is None:
            known.urls += 1
            demand.brand = known
            continue
        active = [d for d in distributors if d.start <= ts <= d.end] or list(distributors)
        dist = rng.choices(active, [d.weight for d in active])[0]
        live = [b for b in dist.brands if b.end >= ts and b.template.successor is None]
        if live and rng.random() < 0.72:
            brand = rng.choices(live, [1.0 + b.urls for b in live])[0]
        else:
            brand = _found(dist, ts, book, rng)
        brand.urls += 1
        brand.end = max(brand.end, ts + int(rng.expovariate(1 / (90 * DAY))))
        demand.brand = by_site[demand.site] = brand


def _found(dist: Distributor, ts: int, book: TemplateBook, rng: random.Random) -> Brand:
    """A new brand of ``dist`` at ``ts``: a redesign of its own, a bought kit, or a new family."""
    roll = rng.random()
    own = [b for b in dist.brands if b.template.successor is None and b.template.owner is dist and b.start < ts - DAY]
    if roll < 0.25 and own:
        old = rng.choice(own)
        old.end = min(old.end, ts + 20 * DAY)
        return new_brand(book.redesign(old.template), dist, ts, ts)
    mine = {id(b.template) for b in dist.brands}
    kits = [t for t in book.templates if t.kit and t.owner is not dist and t.successor is None and id(t) not in mine]
    if roll < 0.35 and kits:
        return new_brand(rng.choice(kits), dist, ts, ts)
    return new_brand(book.new_family(dist), dist, ts, ts)
