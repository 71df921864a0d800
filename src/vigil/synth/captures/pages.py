"""The HTML of synthetic captures: neutral, fictional membership and photo-club shops.

A :class:`Layout` is one page template: its class vocabulary, its blocks (header, menu,
membership tiers, picture cards, join form, payment form, footer) and their markup. A
family of templates starts with :meth:`Layout.make`; :meth:`Layout.altered` is a
structural redesign of it (docs/attribution.md: a *new* template with lineage).
:func:`render` is one capture of a layout with everything commercial sites rotate on every
load: a new site name and title, prices and text, menu order, image file names, a new
domain in every link, random-looking class and id suffixes, cache-busting queries and
hash-named scripts. What carries an operator's key identifiers is a :class:`Slots`
(payment form, contact line, counter script); its markup never depends on the values.
:func:`render_cover` is the lawful-looking page a disguised URL shows without a referrer.

Everything here is bland placeholder text: no content of any kind, no pictures (image
file names only), every host under ``.test`` or ``.example``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

SYLLABLES = tuple(c + v for c in "gklmnprstvz" for v in "aiou")  # no hex-only runs
ROLES = ("page", "wrap", "head", "logo", "menu", "intro", "tiers", "tier", "grid", "card", "cap", "price",
         "btn", "join", "row", "pay", "side", "foot", "contact", "note")  # fmt: skip
ROLE_WORDS = ("box", "area", "zone", "part", "unit", "panel", "block", "frame", "pane", "cell")
MENU = ("home", "albums", "members", "plans", "join", "help", "news", "contact", "tour", "prints", "faq", "login")
JOIN_FIELDS = (("input", "text", "username"), ("input", "email", "email"), ("input", "password", "password"),
               ("input", "password", "password2"), ("select", "", "plan"), ("select", "", "country"),
               ("input", "checkbox", "agree"), ("input", "text", "nickname"))  # fmt: skip
SCRIPTS = ("jquery.min", "main", "slider", "lightbox", "menu", "vendor", "club", "forms", "tabs", "zoom")
STYLES = ("style", "main", "theme", "layout", "print", "fonts", "grid")
WORDS = ["amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper", "kelp", "lumen", "maple", "nectar", "onyx", "pepper", "quartz", "raven", "sage", "tulip", "umber", "violet", "willow", "atlas", "birch", "comet", "dune", "meadow", "orchard", "canyon"]
TEXT = ["photo", "club", "member", "plan", "monthly", "weekly", "offer", "new", "prints", "landscape", "harbour", "garden", "bridge", "travel", "archive", "collection", "series", "weekend", "season", "classic", "selection", "journey", "studio", "lake", "forest"]
TIERS = ("Bronze", "Silver", "Gold", "Basic", "Plus", "Premium")
KINDS = ("Picture Club", "Photo Club", "Album Club", "Print Society")


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(TEXT) for _ in range(n))


def _price(rng: random.Random) -> str:
    return f"${rng.randrange(5, 60)}.{rng.choice(('95', '99', '49', '00'))}"


def _hex(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n)) + str(rng.randrange(10))


@dataclass(frozen=True)
class PayForm:
    """A payment form: where it posts and the hidden field with the merchant's account."""

    action: str  # absolute, or a path on the site itself (a join step: no identifier)
    field: str  # the hidden field's name (the processor's merchant field)
    account: str  # "" for a page without an identifier


@dataclass(frozen=True)
class Slots:
    """Where the key identifiers go; the markup is the same whatever the values."""

    pay: PayForm
    contact_label: str  # "Contact", "Members line", "Bitcoin" ...
    contact_href: str  # "mailto:...", "tel:...", "bitcoin:...", "#join"
    contact_text: str  # the address as shown (maybe obfuscated, or HTML entities)
    counter: str  # the counter ID ("" for none): digits (statcounter style) or "UA-..." (tag style)


@dataclass
class Layout:
    """One page template. Class names are the family's own; blocks have markup styles."""

    prefix: str
    classes: dict[str, str] = field(default_factory=dict)
    wrappers: int = 1
    header: int = 0
    nav: int = 0
    nav_place: int = 0  # 0 in the header, 1 below it, 2 in the sidebar
    menu: tuple[str, ...] = ()
    tiers: int = 0
    card: int = 0
    grid: int = 0
    fields: tuple[tuple[str, str, str], ...] = ()
    rows: int = 0
    sidebar: bool = False
    footer: int = 0
    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    counter: int = 0  # 0: statcounter style, 1: tag style
    imgdir: str = "img"
    hashed: bool = False  # script file names carry a build hash (a new one on every load)
    used_cards: frozenset[int] = frozenset()

    @classmethod
    def make(cls, rng: random.Random, prefix: str) -> Layout:
        classes = {role: f"{prefix}-{role}{rng.choice(('', '', 'x', 's'))}" for role in ROLES}
        for role in rng.sample(ROLES, 6):
            classes[role] = f"{prefix}-{rng.choice(ROLE_WORDS)}{role}"
        return cls(
            prefix=prefix, classes=classes, wrappers=rng.randint(1, 3), header=rng.randrange(3),
            nav=rng.randrange(3), nav_place=rng.randrange(2), menu=tuple(rng.sample(MENU, rng.randint(4, 7))),
            tiers=rng.randrange(3), card=rng.randrange(len(_CARDS)), grid=rng.randrange(3),
            fields=tuple(rng.sample(JOIN_FIELDS, rng.randint(3, 5))), rows=rng.randrange(3),
            sidebar=rng.random() < 0.5, footer=rng.randrange(2),
            scripts=tuple(rng.sample(SCRIPTS, rng.randint(2, 4))), styles=tuple(rng.sample(STYLES, rng.randint(1, 3))),
            counter=rng.randrange(2), imgdir=rng.choice(("img", "images", "thumbs", "pics", "media")),
            hashed=rng.random() < 0.3,
        )  # fmt: skip

    def altered(self, rng: random.Random, *, version: int) -> Layout:
        """The ``version``-th structural redesign (2, 3, ...): a new template with lineage.

        Even versions get new card markup, form rows and footer; odd ones new tier markup, menu
        markup, sidebar and footer. Measured with the fingerprint on this generator: about
        0.50-0.65 exact Jaccard to the layout it came from, so a redesign is "sufficiently
        altered" (below 0.8) but still recognisably derived (0.5 and up, mostly).
        """
        new = replace(self, classes=dict(self.classes), used_cards=self.used_cards | {self.card})
        if version % 2 == 0:
            fresh = [k for k in range(len(_CARDS)) if k not in new.used_cards]
            new.card = rng.choice(fresh or [k for k in range(len(_CARDS)) if k != self.card])
            new.rows = (2, 2, 1)[self.rows]  # div and p rows become a table (a bigger change than div <-> p)
            new.classes["btn"] = f"{self.prefix}-{rng.choice(ROLE_WORDS)}btn"
        else:
            new.footer = 1 - self.footer
            new.tiers = (self.tiers + 1) % 3
            new.nav = (self.nav + 1) % 3
            new.sidebar = not self.sidebar
        return new


# Card markups: {c}=card class {k}=caption {p}=price {b}=button; {id} {hx} rotate per load.
_CARDS = (
    (
        '<div class="{c} {pf}-c-{hx}" id="item-{id}"><a href="{link}"><img src="{img}" alt="{alt}" width="160"></a>'
        '<div class="{k}"><h3>{title}</h3><span class="{p}">{cost}</span></div></div>'
    ),
    (
        '<li class="{c}"><figure><a href="{link}" title="{alt}"><img src="{img}" loading="lazy"></a>'
        '<figcaption>{title}</figcaption></figure><p class="{p}"><b>{cost}</b></p></li>'
    ),
    (
        '<article class="{c} {pf}-c-{hx}"><header><h2><a href="{link}">{title}</a></h2></header><img src="{img}" alt="{alt}">'
        '<footer class="{k}"><em class="{p}">{cost}</em><a class="{b}" href="{link}">view</a></footer></article>'
    ),
    (
        '<div class="{c}"><table><tr><td><img src="{img}" width="90"></td><td class="{k}">{title}</td>'
        '<td class="{p}">{cost}</td></tr></table></div>'
    ),
    (
        '<section class="{c}" id="set-{id}"><h4 class="{k}">{title}</h4><dl><dt>Prints</dt><dd>{n}</dd><dt>Price</dt>'
        '<dd class="{p}">{cost}</dd></dl><a class="{b}" href="{link}"><img src="{img}" alt="{alt}"></a></section>'
    ),
)


class _Page:
    """One load of a layout: the rotating values, then the blocks in order."""

    def __init__(self, layout: Layout, rng: random.Random, *, host: str, mutations: float) -> None:
        self.l, self.rng = layout, rng
        self.c = layout.classes
        self.name = f"Example {rng.choice(WORDS).title()} {rng.choice(KINDS)}"
        other = f"{rng.choice(WORDS)}{rng.randrange(100, 999)}.{rng.choice(('test', 'example'))}"
        self.base = f"http://{host}" if rng.random() < 0.5 else f"https://www.{other}"
        self.bust = f"?v={rng.randrange(10**5)}" if rng.random() < min(1.0, 0.5 * mutations) else ""
        menu = list(layout.menu)
        for _ in range(int(0.5 * mutations) + (rng.random() < (0.5 * mutations) % 1)):  # swap two neighbours
            i = rng.randrange(len(menu) - 1)
            menu[i], menu[i + 1] = menu[i + 1], menu[i]
        self.menu = menu
        spread = 2 if rng.random() < min(1.0, 0.5 * mutations) else 0
        self.cards = rng.randint(7 - spread, 9 + spread)

    def link(self, path: str) -> str:
        return f"{self.base}/{path}"

    def img(self) -> str:
        return f"/{self.l.imgdir}/{self.rng.choice(WORDS)}_{self.rng.randrange(10**6)}.jpg"

    def head(self, slots: Slots) -> str:
        rng, l = self.rng, self.l
        out = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
               f"<title>{self.name} - {_words(rng, 3)}</title>",
               f'<meta name="viewport" content="width=device-width"><meta name="description" content="{_words(rng, 6)}">']
        out += [f'<link rel="stylesheet" href="/css/{s}.css{self.bust}">' for s in l.styles]
        for s in l.scripts:
            name = f"{s}.{_hex(rng)}" if l.hashed and s != "jquery.min" else s
            out.append(f'<script src="/js/{name}.js{self.bust}"></script>')
        out.append(f'<script>var club = {{"name": "{self.name}", "since": {rng.randrange(2005, 2012)}}};</script>')
        if l.counter == 0:
            out.append(f'<script>var sc_project={slots.counter or "0"}; var sc_invisible=1; var sc_security="{_hex(rng, 7)}";</script>')
        else:
            out.append(f"<script>var _q = _q || []; _q.push(['_setAccount', '{slots.counter}']); _q.push(['_trackPageview']);</script>")
        out.append("</head>")
        return "\n".join(out)

    def nav(self) -> str:
        c, pf = self.c, self.l.prefix
        if self.l.nav == 0:
            items = "".join(f'<li class="{pf}-m-{m}"><a href="{self.link(m)}.html">{m.title()}</a></li>' for m in self.menu)
            return f'<nav class="{c["menu"]}"><ul>{items}</ul></nav>'
        if self.l.nav == 1:
            items = "".join(f'<a class="{pf}-m-{m}" href="{self.link(m)}/">{m.title()}</a>' for m in self.menu)
            return f'<div class="{c["menu"]}">{items}</div>'
        items = "".join(f'<li><a class="{pf}-m-{m}" href="{self.link(m)}.php">{m.title()}</a></li>' for m in self.menu)
        return f'<ul class="{c["menu"]}">{items}</ul>'

    def header(self) -> str:
        c, rng = self.c, self.rng
        nav = self.nav() if self.l.nav_place == 0 else ""
        logo = f'<img src="/{self.l.imgdir}/logo-{rng.randrange(10**5)}.png" alt="{self.name}">'
        if self.l.header == 0:
            return f'<header class="{c["head"]}" id="top-{rng.randrange(10**5)}"><a class="{c["logo"]}" href="{self.link("")}">{logo}</a>{nav}</header>'
        if self.l.header == 1:
            return f'<div class="{c["head"]}"><h1 class="{c["logo"]}"><a href="{self.link("")}">{self.name}</a></h1>{nav}</div>'
        return f'<div class="{c["head"]}"><table><tr><td class="{c["logo"]}">{logo}</td><td>{nav}</td></tr></table></div>'

    def tiers(self) -> str:
        c, rng = self.c, self.rng
        names = rng.sample(TIERS, 3)
        if self.l.tiers == 0:
            items = "".join(f'<li class="{c["tier"]}"><b>{n}</b> {_words(rng, 3)} <span class="{c["price"]}">{_price(rng)}</span></li>' for n in names)
            return f'<ul class="{c["tiers"]}">{items}</ul>'
        if self.l.tiers == 1:
            rows = "".join(f'<tr class="{c["tier"]}"><th>{n}</th><td>{_words(rng, 3)}</td><td>{_price(rng)}</td></tr>' for n in names)
            return f'<table class="{c["tiers"]}"><tbody>{rows}</tbody></table>'
        items = "".join(f'<div class="{c["tier"]}"><h3>{n}</h3><p>{_words(rng, 4)}</p><strong>{_price(rng)}</strong></div>' for n in names)
        return f'<div class="{c["tiers"]}">{items}</div>'

    def grid(self) -> str:
        c, rng, l = self.c, self.rng, self.l
        tag = ("div", "ul" if l.card == 1 else "section", "div")[l.grid] if l.card != 1 else "ul"
        cards = []
        for _ in range(self.cards):
            cards.append(_CARDS[l.card].format(
                c=c["card"], k=c["cap"], p=c["price"], b=c["btn"], pf=l.prefix, hx=_hex(rng), id=rng.randrange(10**6),
                link=self.link(f"set/{rng.randrange(10**5)}.html"), img=self.img(), alt=_words(rng, 2),
                title=_words(rng, 3).title(), cost=_price(rng), n=rng.randrange(10, 90),
            ))  # fmt: skip
        return f'<{tag} class="{c["grid"]}">{"".join(cards)}</{tag}>'

    def _row(self, label: str, widget: str) -> str:
        if self.l.rows == 2:
            return f"<tr><td>{label}</td><td>{widget}</td></tr>"
        tag = ("div", "p")[self.l.rows]
        return f'<{tag} class="{self.c["row"]}">{label}{widget}</{tag}>'

    def join(self) -> str:
        c, rng = self.c, self.rng
        rows = []
        for tag, kind, name in self.l.fields:
            if tag == "select":
                options = "".join(f'<option value="{v}">{rng.choice(TIERS)} {_price(rng)}</option>' for v in range(3))
                widget = f'<select name="{name}">{options}</select>'
            else:
                widget = f'<input type="{kind}" name="{name}" value="">'
            rows.append(self._row(f"<label>{name.title()}</label>", widget))
        body = "".join(rows)
        if self.l.rows == 2:
            body = f"<table>{body}</table>"
        return f'<form class="{c["join"]}" method="post" action="/join/step1"><h2>Join {_words(rng, 2)}</h2>{body}</form>'

    def pay(self, pay: PayForm) -> str:
        c, rng = self.c, self.rng
        plan = self._row("<label>Plan</label>", f'<input type="text" name="plan_code" value="{rng.randrange(100, 999)}">')
        body = f"<table>{plan}</table>" if self.l.rows == 2 else plan
        return (f'<form class="{c["pay"]}" method="post" action="{pay.action}"><input type="hidden" name="{pay.field}" value="{pay.account}">'
                f'{body}<button type="submit" class="{c["btn"]}">Pay {_price(rng)}</button></form>')  # fmt: skip

    def side(self) -> str:
        rng = self.rng
        nav = self.nav() if self.l.nav_place == 2 else ""
        news = "".join(f"<li><a href='{self.link(f'n/{rng.randrange(999)}')}'>{_words(rng, 3)}</a></li>" for _ in range(rng.randint(3, 5)))
        return f'<aside class="{self.c["side"]}">{nav}<h4>{_words(rng, 2)}</h4><ul>{news}</ul></aside>'

    def footer(self, slots: Slots) -> str:
        c = self.c
        contact = f'<p class="{c["contact"]}"><span>{slots.contact_label}</span> <a href="{slots.contact_href}">{slots.contact_text}</a></p>'
        if self.l.footer == 0:
            return f'<footer class="{c["foot"]}">{contact}<p>&copy; {self.name}</p></footer>'
        return f'<div class="{c["foot"]}"><div class="{c["note"]}">{_words(self.rng, 5)}</div>{contact}<small>{self.name}</small></div>'


def render(layout: Layout, slots: Slots, rng: random.Random, *, host: str, mutations: float = 1.0) -> str:
    """One capture of ``layout`` on ``host`` (2-8 KB of HTML)."""
    page = _Page(layout, rng, host=host, mutations=mutations)
    c = layout.classes
    out = [page.head(slots), f'<body class="{c["page"]}">']
    out += [f'<div class="{c["wrap"]}">'] * layout.wrappers
    out.append(page.header())
    if layout.nav_place == 1:
        out.append(page.nav())
    out.append(f'<main class="{c["intro"]}"><h1>{page.name}</h1><p class="{c["note"]}">{_words(rng, 14)}</p>')
    out += [page.tiers(), page.grid(), page.join(), page.pay(slots.pay), "</main>"]
    if layout.sidebar or layout.nav_place == 2:
        out.append(page.side())
    out.append(page.footer(slots))
    out += ["</div>"] * layout.wrappers
    out.append("</body></html>\n")
    return "\n".join(out)


# ------------------------------------------------------------------------- cover pages

COVERS = ("Garden Supplies", "Tea Room", "Bicycle Repairs", "Bookbinding Workshop", "Piano Tuning")


def render_cover(design: int, rng: random.Random, *, host: str) -> str:
    """The lawful-looking page of a disguised site: another structure altogether, no identifiers."""
    what = COVERS[design % len(COVERS)]
    name = f"Example {rng.choice(WORDS).title()} {what}"
    pf = ("qz", "vw", "xk", "jq", "wy")[design % 5]
    rows = "".join(
        f"<tr><td class='{pf}-item'>{_words(rng, 2).title()}</td><td class='{pf}-qty'>{rng.randrange(1, 20)}</td>"
        f"<td class='{pf}-cost'>{_price(rng)}</td></tr>" for _ in range(rng.randint(11, 16))
    )
    notes = "".join(f"<dt>{_words(rng, 1).title()}</dt><dd>{_words(rng, 10)}</dd>" for _ in range(rng.randint(3, 6)))
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{name}</title>'
        f'<link rel="icon" href="/favicon.ico"><style>td{{padding:{rng.randrange(2, 6)}px}}</style></head>\n'
        f'<body id="{pf}-body"><center><table class="{pf}-layout" width="{rng.choice((760, 800, 960))}"><tr>'
        f'<td class="{pf}-banner" colspan="2"><font size="5">{name}</font></td></tr>\n<tr><td class="{pf}-left" valign="top">'
        f'<dl class="{pf}-notes">{notes}</dl></td><td class="{pf}-right"><table class="{pf}-list">{rows}</table>'
        f'<blockquote>{_words(rng, 12)}</blockquote></td></tr>\n<tr><td colspan="2" class="{pf}-bottom">'
        f"<i>Opening hours {rng.randrange(7, 10)} to {rng.randrange(16, 19)}, {_words(rng, 4)}</i> "
        f'<a href="http://{host}/">{host}</a></td></tr></table></center></body></html>\n'
    )


def prefix_for(index: int) -> str:
    """A unique, pronounceable class prefix for family ``index`` (letters only)."""
    n = len(SYLLABLES)
    first, rest = SYLLABLES[index % n], index // n
    second = SYLLABLES[rest % n]
    third = SYLLABLES[(rest // n) % n] if rest >= n else ""
    return first + second + third
