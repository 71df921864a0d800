"""Captures of the world ("shots"): when each URL was captured, and what each page carries.

:func:`schedule` turns captured URLs into shots: a sales page a few hours after the URL was
first reported, sometimes captured again later, and for a *disguised* URL first the
lawful-looking cover page (no referrer) and then the sales page (reached through a banner
site, so with a referrer chain). Some pages of a template show no identifier at all.

:func:`assign_identifiers` gives every other page its distributor's key identifiers of the
moment. Each distributor rotates two kinds of value along its captures in time order, by
turns: the payment channel (merchant account, own payment form) and the contact (e-mail,
phone, wallet, IBAN). A payment value is therefore shown together with the contact before
and the contact after it, and vice versa: the values form a chain, so the distributor
stays connected, and no value of its own ever meets more than two other groups (the
over-matching guard of docs/attribution.md never fires on it). Site counters are a
template's own and rotate with the payment channel, so they only ever link pages of one
template that a payment value links anyway. Decoys are put on many distributors' pages: the public checkout of an
unlisted processor and a common counter; the guard must stop both.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.synth.captures.brands import (
    FIRST_CONTACT,
    FIRST_PAY,
    Brand,
    Demand,
    Distributor,
)
from vigil.synth.captures.identifiers import (
    DECOY_COUNTER,
    Contact,
    IdentifierFactory,
    Pay,
    Value,
)
from vigil.synth.captures.pages import PayForm, Slots

HOUR = 3_600
DAY = 86_400
MONTH = 30 * DAY
PAY_KINDS = ("own", "cardgate", "wallet", "sms", "transfer")
CONTACT_KINDS = ("email", "webmail", "phone", "btc", "eth", "iban")
DECOY_COUNTER_VALUE: Value = ("analytics_id", f"statcounter:{DECOY_COUNTER}")
_BANNERS = ("freepages.example", "webcorner.test", "freenames.test")


@dataclass(eq=False)
class Shot:
    """One capture: its URL, time, referrer, brand (None for a cover page) and what it shows."""

    ts: int
    url: str
    host: str
    brand: Brand | None
    referrer: str = ""
    noid: bool = False
    design: int = 0  # cover design
    slots: Slots | None = None
    values: tuple[Value, ...] = ()  # pivot identifiers of the distributor (specific)
    decoys: tuple[Value, ...] = ()  # pivot identifiers shared with unrelated distributors
    capture_id: str = ""
    source: str | None = None

    @property
    def cover(self) -> bool:
        return self.brand is None


def _chain(rng: random.Random, host: str, *, hops: int) -> str:
    banner = f"http://{rng.choice(('pics', 'links', 'top', 'club'))}{rng.randrange(1, 999)}.{rng.choice(_BANNERS)}/"
    return banner if hops == 1 else f"{banner} > http://{host}/enter"


def schedule(demands: Sequence[Demand], rng: random.Random, *, disguise_every: int = 14,
             recapture_every: int = 9, noid_share: float = 0.08) -> list[Shot]:  # fmt: skip
    """The shots of ``demands`` in time order (times are distinct seconds)."""
    shots: list[Shot] = []
    used: set[int] = set()

    def at(ts: int) -> int:
        while ts in used:
            ts += 1
        used.add(ts)
        return ts

    for i, demand in enumerate(sorted(demands, key=lambda d: (d.ts, d.url))):
        span = min(30 * HOUR, demand.deadline - demand.ts - 120)
        sale = demand.ts + 60 + (rng.randrange(span) if span > 0 else 0)
        if i % disguise_every == disguise_every // 2:
            cover = demand.ts + max(1, (sale - demand.ts) // 3)
            shots.append(Shot(at(cover), demand.url, demand.host, None, design=rng.randrange(5)))
            shots.append(Shot(at(sale), demand.url, demand.host, demand.brand, _chain(rng, demand.host, hops=2)))
            continue
        referrer = _chain(rng, demand.host, hops=rng.choice((1, 2))) if rng.random() < 0.35 else ""
        shots.append(Shot(at(sale), demand.url, demand.host, demand.brand, referrer))
        if i % recapture_every == recapture_every // 2:
            again = sale + DAY + rng.randrange(20 * DAY)
            if again < demand.deadline:
                shots.append(Shot(at(again), demand.url, demand.host, demand.brand, referrer))
    shots.sort(key=lambda s: s.ts)
    seen: set[int] = set()
    for shot in shots:  # a page without identifiers: never a template's first, never a kit
        if shot.brand is None or shot.brand.template.kit:
            continue
        template = id(shot.brand.template)
        if template in seen and rng.random() < noid_share:
            shot.noid = True
        seen.add(template)
    return shots


@dataclass
class _Window:
    pay: Pay
    counters: dict[str, tuple[str, Value]]  # per template: each site counter is a template's own


def _cuts(n: int, months: float) -> list[int]:
    """Positions where a distributor's values change (alternately payment and contact)."""
    per_cut = max(2, round(n / max(2.0, months * 0.6)))
    return list(range(per_cut, n, per_cut))


def assign_identifiers(shots: Sequence[Shot], distributors: Sequence[Distributor], ids: IdentifierFactory,
                       rng: random.Random, *, decoys: float) -> list[Value]:  # fmt: skip
    """Fill every shot's slots and values; returns the decoy values placed."""
    by_dist: dict[int, list[Shot]] = {d.index: [] for d in distributors}
    for shot in shots:
        if shot.brand is not None:
            by_dist[shot.brand.distributor.index].append(shot)
    placed: list[Value] = []
    _decoy_counters(distributors, rng, decoys)
    users = _checkout_users(distributors, by_dist, decoys, rng)
    for dist in distributors:
        seq = [s for s in by_dist[dist.index] if not s.noid]
        if not seq:
            continue
        months = (seq[-1].ts - seq[0].ts) / MONTH
        cuts = _cuts(len(seq), months)
        f_cuts, c_cuts = cuts[0::2], cuts[1::2]
        pays = _pay_windows(dist, len(f_cuts) + 1, ids, rng)
        if dist.index in users:
            spans = _window_spans(seq, f_cuts)
            ok = [w for w, span in enumerate(spans) if len({id(s.brand.template) for s in span if s.brand}) >= 2]
            for w in rng.sample(ok, min(len(ok), max(1, round(decoys)))):
                pays[w] = _Window(ids.pay("decoy", dist.tag), {})
        contacts = _contacts(dist, len(c_cuts) + 1, ids, rng)
        f_of = _window_index(len(seq), f_cuts)
        c_of = _window_index(len(seq), c_cuts)
        for pos, shot in enumerate(seq):
            window, contact = pays[f_of[pos]], contacts[c_of[pos]]
            _fill(shot, window, contact, ids, rng)
        _fill_noid([s for s in by_dist[dist.index] if s.noid], seq, f_of, pays)
    for shot in shots:
        for value in shot.decoys:
            if value not in placed:
                placed.append(value)
    return sorted(placed)


def _decoy_counters(distributors: Sequence[Distributor], rng: random.Random, decoys: float) -> None:
    for dist in distributors:
        for brand in dist.brands:
            brand.decoy_counter = False
    if decoys <= 0:
        return
    order = sorted(distributors, key=lambda d: -len(d.brands))
    chosen = order[: min(len(order), round(6 * decoys))]
    share = min(0.9, 0.25 * decoys)
    for dist in chosen:
        able = [b for b in dist.brands if b.template.layout.counter == 0]
        for brand in able:
            brand.decoy_counter = rng.random() < share
        if able and not any(b.decoy_counter for b in able):  # every chosen distributor pastes it somewhere
            rng.choice(able).decoy_counter = True


def _checkout_users(distributors: Sequence[Distributor], by_dist: dict[int, list[Shot]], decoys: float,
                    rng: random.Random) -> set[int]:  # fmt: skip
    if decoys <= 0:
        return set()
    able = [d.index for d in distributors if len(by_dist[d.index]) >= 8]
    return set(rng.sample(able, min(len(able), math.ceil(5 * decoys))))


def _window_spans(seq: list[Shot], cuts: list[int]) -> list[list[Shot]]:
    edges = [0, *cuts, len(seq)]
    return [seq[a:b] for a, b in itertools.pairwise(edges)]


def _window_index(n: int, cuts: list[int]) -> list[int]:
    out, w = [], 0
    for pos in range(n):
        while w < len(cuts) and pos >= cuts[w]:
            w += 1
        out.append(w)
    return out


def _pay_windows(dist: Distributor, n: int, ids: IdentifierFactory, rng: random.Random) -> list[_Window]:
    kind = FIRST_PAY[dist.index % len(FIRST_PAY)]
    out = []
    for i in range(n):
        if i and rng.random() < 0.3:
            kind = rng.choice([k for k in PAY_KINDS if k != kind])
        out.append(_Window(ids.pay(kind, dist.tag), {}))
    return out


def _contacts(dist: Distributor, n: int, ids: IdentifierFactory, rng: random.Random) -> list[Contact]:
    kind = FIRST_CONTACT[dist.index % len(FIRST_CONTACT)]
    out = []
    for i in range(n):
        if i and rng.random() < 0.35:
            kind = rng.choice([k for k in CONTACT_KINDS if k != kind])
        out.append(ids.contact(kind, dist.tag))
    return out


def _fill(shot: Shot, window: _Window, contact: Contact, ids: IdentifierFactory, rng: random.Random) -> None:
    assert shot.brand is not None
    style = shot.brand.template.layout.counter
    decoys = list(window.pay.decoys)
    values = [*window.pay.values, contact.pivot]
    if shot.brand.decoy_counter:
        counter = DECOY_COUNTER
        decoys.append(DECOY_COUNTER_VALUE)
    else:
        template = shot.brand.template.label
        if template not in window.counters:
            window.counters[template] = ids.counter(style)
        counter, value = window.counters[template]
        values.append(value)
    label, href, text = contact.render(rng)
    pay = window.pay
    shot.slots = Slots(PayForm(pay.action, pay.field, pay.account), label, href, text, counter)
    shot.values = tuple(values)
    shot.decoys = tuple(decoys)


def _fill_noid(noid: list[Shot], seq: list[Shot], f_of: list[int], pays: list[_Window]) -> None:
    """A page without identifiers: a join step on the site itself, same markup."""
    times = [s.ts for s in seq]
    for shot in noid:
        pos = max(0, bisect.bisect_right(times, shot.ts) - 1)
        pay = pays[f_of[pos]].pay
        shot.slots = Slots(PayForm("/join/step2", pay.field, ""), "Contact", "#join", "use the join form below", "")
