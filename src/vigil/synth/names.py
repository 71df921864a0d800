"""Neutral, fictional names for the synthetic world: site labels, paths, notes, sources.

Every name here is invented and neutral. Site labels are two plain words (landscape,
colour, material) and a number, e.g. ``cedarharbor417``; a label is a bijective function
of the family index, so labels never repeat within a world however large it grows
(a repeated label would look like a domain-hopping family that does not exist).
"""

from __future__ import annotations

import random

import idna

#: Reserved top-level names the synthetic world may use (and nothing else).
RESERVED_TLDS: tuple[str, ...] = ("test", "example", "invalid")

# Neutral first and second words of a site label (64 each, no word a prefix-collision
# of another: every first+second concatenation is unique, which a test checks).
FIRST_WORDS: tuple[str, ...] = (
    "amber", "azure", "birch", "bronze", "cedar", "chalk", "cobalt", "copper",
    "coral", "cotton", "dusk", "ember", "fern", "flint", "frost", "garnet",
    "granite", "hazel", "indigo", "iron", "ivory", "jade", "juniper", "larch",
    "lime", "linen", "maple", "marble", "moss", "nickel", "north", "oak",
    "ochre", "olive", "onyx", "opal", "pewter", "pine", "quartz", "rowan",
    "russet", "rust", "saffron", "sage", "salt", "sandy", "silver", "slate",
    "south", "spruce", "steel", "tawny", "teal", "tin", "umber", "velvet",
    "walnut", "west", "wheat", "willow", "winter", "yarrow", "zinc", "zircon",
)
SECOND_WORDS: tuple[str, ...] = (
    "atlas", "beacon", "bridge", "brook", "canyon", "cape", "cliff", "compass",
    "cove", "creek", "delta", "dune", "field", "fjord", "forge", "glade",
    "glen", "grove", "harbor", "haven", "heath", "hill", "inlet", "island",
    "key", "lake", "lantern", "ledge", "marsh", "meadow", "mesa", "mill",
    "moor", "orbit", "outpost", "pass", "peak", "pier", "plain", "plateau",
    "pond", "quarry", "quay", "range", "reef", "ridge", "river", "rock",
    "shoal", "shore", "slope", "sound", "spire", "spring", "strand", "summit",
    "tarn", "tide", "tower", "trail", "vale", "valley", "wharf", "weir",
)

# A bijection on [0, 2**22): label number -> (first word, second word, number < 1024).
_SPACE_BITS = 22
_MULTIPLIER = 0x2C9277  # odd, so multiplication is a bijection modulo 2**22

#: Neutral path segments (none of the words the site-type URL rules key on).
PATH_WORDS: tuple[str, ...] = (
    "en", "de", "ru", "index", "page", "item", "list", "catalog", "section", "info",
    "about", "start", "main", "home", "p", "n", "archive", "news", "links", "help",
    "contact", "map", "data", "go", "ref", "out", "a", "b", "c", "docs",
)

#: Sub-domain labels for extra hosts of a site.
SUBDOMAINS: tuple[str, ...] = ("www", "m", "en", "de", "go", "web", "s1", "s2", "cdn", "one")

#: Hotline and partner codes (fictional) and the share of reports each sends.
SOURCES: tuple[tuple[str, int], ...] = (
    ("HL-A", 30), ("HL-B", 25), ("HL-C", 20), ("PARTNER-X", 15), ("PARTNER-Y", 10),
)

#: Neutral analyst notes; some have commas, quotes or a line break on purpose.
NOTES: tuple[str, ...] = (
    "Referred by a partner hotline",
    "Landing page with a payment form",
    "Redirects to another domain",
    "Same layout as an earlier report",
    "Mirror, checked twice",
    'Page title reads "Welcome"',
    "Hosting changed, new IP noted",
    "Reported via web form; see ticket",
    "Several reports, one site",
    "Page unavailable on second check",
    "Banner links to an external site",
    "Price list and payment page seen",
    'Checked with the "safe view" tool, metadata only',
    "First check: online\nSecond check: offline",
    "Forwarded, awaiting reply, no action yet",
)

#: Fictional analyst codes for the extra ``analyst`` column (never real people).
ANALYSTS: tuple[str, ...] = tuple(f"A-{n:02d}" for n in range(1, 13))

_IDN_SWAPS: tuple[tuple[str, str], ...] = (("o", "ö"), ("a", "ä"), ("u", "ü"), ("e", "é"))
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def site_label(index: int, *, salt: int) -> str:
    """The unique ASCII label of family ``index`` (e.g. ``cedarharbor417``)."""
    if index < (1 << _SPACE_BITS):
        value = (index * _MULTIPLIER + salt) % (1 << _SPACE_BITS)
        number = value >> 12
    else:  # beyond four million families: plain, still unique, numbers
        value = index
        number = index >> 12
    first = FIRST_WORDS[(value >> 6) & 63]
    second = SECOND_WORDS[value & 63]
    return f"{first}{second}{number}"


def idn_label(label: str) -> str | None:
    """A Unicode twin of ``label`` (one vowel with a diacritic), or None if it has none."""
    for plain, marked in _IDN_SWAPS:
        if plain in label:
            return label.replace(plain, marked, 1)
    return None


def to_ascii(host: str) -> str:
    """The canonical (lower-case, punycode) form of a possibly Unicode host."""
    return idna.encode(host, uts46=True).decode("ascii")


def hidden_label(index: int, rng: random.Random) -> str:
    """A 16-character base32 label, unique per index (plays the role of an onion name)."""
    head = "".join(rng.choice(_BASE32) for _ in range(11))
    tail = ""
    value = index
    for _ in range(5):
        tail = _BASE32[value & 31] + tail
        value >>= 5
    if value:  # more than 32**5 families: keep it unique, length be damned
        tail = f"{value}{tail}"
    return head + tail


def path(rng: random.Random) -> str:
    """A canonical path: ``/``, ``/en/``, ``/item-123.html``, ``/catalog/section-3/`` ..."""
    shape = rng.random()
    if shape < 0.12:
        return "/"
    if shape < 0.30:
        return f"/{rng.choice(PATH_WORDS)}/"
    if shape < 0.55:
        return f"/{rng.choice(PATH_WORDS)}-{rng.randrange(1, 9999)}.html"
    if shape < 0.80:
        return f"/{rng.choice(PATH_WORDS)}/{rng.choice(PATH_WORDS)}-{rng.randrange(1, 999)}/"
    return f"/{rng.choice(PATH_WORDS)}/{rng.randrange(1, 99999)}"


def query(rng: random.Random) -> str:
    """An optional canonical query (``""`` most of the time)."""
    shape = rng.random()
    if shape < 0.85:
        return ""
    if shape < 0.95:
        return f"?id={rng.randrange(1, 99999)}"
    return f"?p={rng.randrange(1, 50)}&s={rng.randrange(1, 9)}"


def report_id(source: str, counter: int) -> str:
    """The ``counter``-th report ID of ``source``; unique within the source."""
    if source == "HL-A":
        return str(100000 + counter)
    if source == "HL-B":
        return f"B{counter:07d}"
    if source == "HL-C":
        return f"c{(counter * 2654435761) % (1 << 32):08x}" + (f"-{counter >> 32}" if counter >> 32 else "")
    if source == "PARTNER-Y":
        return f"py-{counter}"
    return f"X{counter}"
