"""The noisy world's pages: identifier spellings, shared decoy blocks, and loads that differ.

Real sales pages of one site are not one string: every load brings other advertisements and
trackers, a cookie banner or not, blocks in another order or missing, other whitespace and
attribute order. :func:`plan_load` decides, per capture, what the generator must know before
the truth is computed: how the page spells its key identifiers (:data:`SPELLINGS`, each
family behind a switch) and which decoy blocks it shows (an ad network's tracker ID, a
hosting company's abuse address: values that many unrelated sites share). :func:`render_load`
then writes the page: :func:`vigil.synth.captures.pages.render` with the spelled slots, then the
load's changes applied to its blocks. Nothing here changes which values a page carries:
the truth (``Shot.values`` and ``Shot.decoys``) is exactly what a reader of every enabled
spelling finds.

Everything is fictional and reserved: hosts under ``.example``, the phone numbers the
identifier factory drew from the ranges kept for fiction (:mod:`vigil.synth.captures.identifiers`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import phonenumbers

from vigil.synth.captures.identifiers import PROCESSORS, Value
from vigil.synth.captures.pages import PayForm, render
from vigil.synth.captures.schedule import Shot

#: Every spelling family, by identifier kind. E-mail: ``mailto`` (a mailto: link),
#: ``brackets`` (``name [at] host [dot] test``), ``parens`` (``name(at)host(dot)test``),
#: ``entity`` (``name&#64;host.test``), ``upper`` (``Name@HOST.TEST``), ``split``
#: (``<span>name</span>@<b>host</b>.test``), ``commat`` (``&commat;``/``&period;``),
#: ``worded`` (``name at host dot test`` after a cue word), ``at_brackets``
#: (``name[@]host[.]test``). Phone: ``tel`` (only in a ``tel:`` link), ``intl``
#: (``+44 20 7946 0123``), ``trunk`` (``+44 (0)20 7946 0123``, ``+1 (202) 555-0123``),
#: ``idd`` (``0044 20 ...``, ``001 202 ...``), ``idd_spaced`` (``00 44 20 ...``). Merchant
#: account at a processor's shared checkout: ``hidden`` (a hidden input), ``link_query``
#: (``<a href="…/checkout?mid=M-1">``), ``action_query`` (``<form action="…/checkout?mid=M-1">``),
#: ``path`` (``…/m/M-1/checkout``).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "email": ("mailto", "brackets", "parens", "entity", "upper", "split", "commat", "worded", "at_brackets"),
    "phone": ("tel", "intl", "trunk", "idd", "idd_spaced"),
    "merchant": ("hidden", "link_query", "action_query", "path"),
}
ALL_SPELLINGS: frozenset[str] = frozenset(f"{kind}:{name}" for kind, names in SPELLINGS.items() for name in names)
#: The spellings shown when none of a kind is enabled (the s4 world's own).
_FALLBACK = {"email": "mailto", "phone": "intl", "merchant": "hidden"}

#: Ad networks whose blocks many unrelated sites carry: (host, tracker ID). The IDs are decoys.
AD_NETWORKS = (("adcorner.example", "UA-3141592-1"), ("linkcorner.example", "UA-2718281-2"),
               ("bannerhub.example", "UA-1414213-1"))  # fmt: skip
#: A hosting company's badge with its abuse address, on every site it hosts: a decoy.
HOST_BADGE = "abuse@hostcorner.example"


@dataclass
class Load:
    """What one capture of a sales page shows besides its layout."""

    spelled: dict[str, str] = field(default_factory=dict)  # kind -> spelling used
    link: str = ""  # a payment link after the form (merchant account in its query)
    network: int = -1  # the ad network whose tracker the page carries (-1: none)
    badge: bool = False


def _enabled(spellings: Collection[str], kind: str) -> list[str]:
    names = [name for name in SPELLINGS[kind] if f"{kind}:{name}" in spellings]
    return names or [_FALLBACK[kind]]


def _email(value: str, how: str) -> tuple[str, str, str]:
    local, domain = value.split("@")
    first, _, rest = domain.partition(".")
    return {
        "mailto": ("Contact", f"mailto:{value}", value),
        "brackets": ("Contact", "#contact", f"{local} [at] {domain.replace('.', ' [dot] ')}"),
        "parens": ("Write to", "#contact", f"{local}(at){domain.replace('.', '(dot)')}"),
        "entity": ("Contact", "#contact", f"{local}&#64;{domain}"),
        "upper": ("Contact", "#contact", f"{local.title()}@{domain.upper()}"),
        "split": ("Contact", "#contact", f"<span>{local}</span>@<b>{first}</b>.{rest}"),
        "commat": ("Contact", "#contact", f"{local}&commat;{domain.replace('.', '&period;')}"),
        "worded": ("E-mail", "#contact", f"{local} at {domain.replace('.', ' dot ')}"),
        "at_brackets": ("Contact", "#contact", f"{local}[@]{domain.replace('.', '[.]')}"),
    }[how]


def _phone(value: str, how: str) -> tuple[str, str, str]:
    number = phonenumbers.parse(value)
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    code = str(number.country_code)
    rest = intl.split(" ", 1)[1]
    if how == "tel":
        return "Members line", f"tel:{intl}", "call us any time"
    text = {
        "intl": intl,
        "trunk": f"+{code} (0){national[1:]}" if national.startswith("0") else f"+{code} {national}",
        "idd": f"00{code} {rest}",
        "idd_spaced": f"00 {code} {rest}",
    }[how]
    return "Members line", "#call", f"call {text}"


def plan_load(shot: Shot, rng: random.Random, spellings: Collection[str], *, decoys: float) -> Load:
    """Spell the shot's identifiers (rewriting its slots) and pick its decoy blocks."""
    load = Load()
    slots = shot.slots
    if slots is None or shot.brand is None:
        return load
    kinds = {kind: value for kind, value in shot.values}
    if "email" in kinds:
        how = rng.choice(_enabled(spellings, "email"))
        load.spelled["email"] = how
        label, href, text = _email(kinds["email"], how)
        slots = replace(slots, contact_label=label, contact_href=href, contact_text=text)
    if "phone" in kinds:
        how = rng.choice(_enabled(spellings, "phone"))
        load.spelled["phone"] = how
        label, href, text = _phone(kinds["phone"], how)
        slots = replace(slots, contact_label=label, contact_href=href, contact_text=text)
    pay = slots.pay
    shared = {action for action, _, _ in PROCESSORS.values()}
    if pay.account and pay.action in shared:
        how = rng.choice(_enabled(spellings, "merchant"))
        load.spelled["merchant"] = how
        if how == "link_query":
            load.link = f"{pay.action}?mid={pay.account}"
            slots = replace(slots, pay=PayForm("/join/step2", pay.field, ""))
        elif how == "action_query":
            slots = replace(slots, pay=PayForm(f"{pay.action}?mid={pay.account}", "", ""))
        elif how == "path":
            scheme, _, rest = pay.action.partition("://")
            host, _, path = rest.partition("/")
            slots = replace(slots, pay=PayForm(f"{scheme}://{host}/m/{pay.account}/{path}", "", ""))
    shot.slots = slots
    brand = shot.brand
    network = hash_pick(brand.template.label + brand.distributor.label, len(AD_NETWORKS) + 1) - 1
    if network >= 0 and rng.random() < min(0.95, 0.3 * decoys):
        load.network = network
    load.badge = hash_pick(shot.host, 4) == 0 and rng.random() < min(1.0, 0.6 * decoys)
    extra: list[Value] = []
    if load.network >= 0:
        extra.append(("analytics_id", AD_NETWORKS[load.network][1]))
    if load.badge:
        extra.append(("email", HOST_BADGE))
    shot.decoys = (*shot.decoys, *extra)
    return load


def hash_pick(text: str, n: int) -> int:
    """A stable choice among ``n`` from ``text`` (the same on every run and platform)."""
    return sum(ord(c) * (i + 1) for i, c in enumerate(text)) % n


# --------------------------------------------------------------------------- one load

_ADS = (
    '<div class="ad-slot ad-{n}"><iframe src="https://serve.{net}/f?z={z}" width="300" height="250"></iframe></div>',
    '<aside class="promo-box"><a href="https://go.{net}/c?id={z}"><img src="https://img.{net}/b{z}.gif" alt=""></a></aside>',
    '<div id="sponsor-{z}" class="sponsored"><span>Sponsored</span><a href="https://go.{net}/r/{z}">{w}</a></div>',
    '<p class="text-ad"><a href="https://go.{net}/t?id={z}">{w}</a></p>',
)
_COOKIE = ('<div class="cookie-note" id="cn-{z}"><p>This site uses cookies.</p>'
           '<button class="cn-ok" type="button">OK</button></div>')  # fmt: skip
#: How often a load leaves the tiers out, swaps two neighbouring blocks, shows a cookie
#: banner; how many advertisements it rotates in.
DROP, SWAP, COOKIE, ADS = 0.15, 0.25, 0.2, (0, 1, 1)
_TAG = re.compile(r'<([a-z]+)((?: [a-z-]+="[^"<>]*")+)(>)')
_ATTR = re.compile(r' [a-z-]+="[^"<>]*"')


def _shuffle_attributes(line: str, rng: random.Random, share: float) -> str:
    def swap(m: re.Match[str]) -> str:
        attrs = _ATTR.findall(m.group(2))
        if len(attrs) > 1 and rng.random() < share:
            rng.shuffle(attrs)
        return f"<{m.group(1)}{''.join(attrs)}{m.group(3)}"

    return _TAG.sub(swap, line)


def render_load(shot: Shot, load: Load, rng: random.Random, *, mutations: float) -> str:
    """One capture of a sales page: the layout rendered, then this load's changes."""
    assert shot.slots is not None and shot.brand is not None
    layout = shot.brand.template.layout
    html = render(layout, shot.slots, rng, host=shot.host, mutations=mutations)
    lines = html.rstrip("\n").split("\n")
    c = layout.classes
    start = next(i for i, line in enumerate(lines) if line.startswith(f'<main class="{c["intro"]}"'))
    head, main, tail = lines[: start + 1], lines[start + 1 : start + 5], lines[start + 5 :]  # tiers, grid, join, pay
    tiers, grid, join, pay = main
    if load.link:
        pay += f'\n<p class="{c["pay"]}-link"><a href="{load.link}">Pay by card</a></p>'
    m = mutations
    blocks = [tiers, grid, join, pay]
    if rng.random() < DROP * m:  # membership tiers left out of this load
        blocks.remove(tiers)
    if rng.random() < SWAP * m:  # the grid first, or the join form after the payment form
        i = rng.randrange(len(blocks) - 1)
        blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    network = AD_NETWORKS[load.network][0] if load.network >= 0 else rng.choice(AD_NETWORKS)[0]
    for _ in range(rng.choice(ADS) if m else 0):  # rotating advertisements
        ad = rng.choice(_ADS).format(n=rng.randrange(1, 9), net=network, z=rng.randrange(10**5), w=rng.choice(("Offer", "More", "Visit")))
        blocks.insert(rng.randrange(len(blocks) + 1), ad)
    if load.network >= 0:  # the network's tracker: its account ID is on every site it serves
        blocks.append(f"<script>var _ac = _ac || []; _ac.push(['_setAccount', '{AD_NETWORKS[load.network][1]}']);</script>")
    out = head + blocks + tail
    if rng.random() < COOKIE * m:
        out.insert(start, _COOKIE.format(z=rng.randrange(10**5)))
    if load.badge:
        out.insert(len(out) - 1, f'<div class="hosted-by"><small>Hosted by Example Host Corner, abuse: '
                                 f'<a href="mailto:{HOST_BADGE}">{HOST_BADGE}</a></small></div>')  # fmt: skip
    share = 0.5 * m
    text = "\n".join(
        (" " * rng.choice((0, 0, 2, 4)) if m and rng.random() < 0.5 else "") + _shuffle_attributes(line, rng, share)
        for line in out
    )
    if m and rng.random() < 0.3:
        text = text.replace("\n", "\r\n")
    return text + "\n"
