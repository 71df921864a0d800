"""The dirt of a real feed: URL spellings, timestamp styles and bad rows.

Every spelling made here canonicalises back to the URL it was made from (a standard
canonicaliser: WHATWG parsing, RFC 3986 §6.2.2 normalisation, default port and fragment
dropped, missing scheme = http). Every bad row has exactly one problem, named by its
quarantine reason code.
"""

from __future__ import annotations

import bisect
import json
import random
from datetime import UTC, datetime
from typing import Any

#: Quarantine reason codes the world produces (every one appears in the default world).
REASONS: tuple[str, ...] = (
    "missing_url",
    "url_too_long",
    "bad_url",
    "missing_reported_at",
    "bad_date",
    "bad_ip",
    "bad_commercial",
    "unknown_site_type",
    "unknown_payment_type",
    "binary_junk",
    "missing_source",
    "bad_json",
    "bad_row",
)
CSV_ONLY = frozenset({"bad_row"})
JSONL_ONLY = frozenset({"bad_json"})

#: Stands for invalid UTF-8 bytes in a CSV field; the writer swaps it for ``INVALID_UTF8``.
JUNK_MARKER = "\U000f0000"
INVALID_UTF8 = b"\xff\xfe"

_OFFSETS = (180, 240, 360, 60, 120, -300, -240, 330, 0)  # minutes east of UTC
_HOUR = 3600


def _split(url: str) -> tuple[str, str, str, str]:
    scheme, rest = url.split("://", 1)
    slash = rest.find("/")
    host, tail = rest[:slash], rest[slash:]
    path, _, query = tail.partition("?")
    return scheme, host, path, query


def _mixed_case(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text.upper()
    return "".join(ch.upper() if rng.random() < 0.5 else ch for ch in text)


def _escape_one(path: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(path) if ch.isalnum() or ch == "-"]
    if not spots:
        return path
    i = rng.choice(spots)
    code = f"{ord(path[i]):02X}"
    if rng.random() < 0.5:
        code = code.lower()
    return f"{path[:i]}%{code}{path[i + 1:]}"


def _dot_segment(path: str, rng: random.Random) -> str:
    slashes = [i for i, ch in enumerate(path) if ch == "/"]
    i = rng.choice(slashes) + 1
    insert = "./" if rng.random() < 0.5 else rng.choice(("tmp/../", "x/../", "old/../"))
    return path[:i] + insert + path[i:]


#: Spellings only the dirtier feed uses (``vigil synth --dirt`` above 1): what pasting from
#: mail clients, browsers' address bars and spreadsheets adds to a URL. Each still
#: canonicalises back (WHATWG: a backslash is a slash in http(s) paths, tabs are removed,
#: ``%2e`` is a dot segment, userinfo is dropped; the host is percent-decoded; a port's
#: leading zeros do not count).
EXTRA_SPELLINGS = ("backslash", "encoded_dots", "userinfo", "host_escape", "port_zeros", "inner_tab")


def _host_escape(host: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(host) if ch.isascii() and ch.isalnum()]
    if not spots:
        return host
    i = rng.choice(spots)
    return f"{host[:i]}%{ord(host[i]):02X}{host[i + 1:]}"


def spell_url(url: str, unicode_host: str | None, rng: random.Random, *, dirty: float = 0.3, extra: bool = False) -> str:
    """``url`` as a hotline might have typed it: one or two variations, or as it is.

    ``extra`` adds :data:`EXTRA_SPELLINGS` to the variations drawn from and allows up to
    three at a time (the dirtier feed); without it the draws are those of the default world.
    """
    if rng.random() >= dirty:
        return url
    scheme, host, path, query = _split(url)
    ops = ["scheme_case", "host_case", "trailing_dot", "port", "escape", "dots", "fragment", "no_scheme", "spaces"]
    if unicode_host:
        ops += ["unicode", "unicode", "unicode"]
    if path == "/" and not query:
        ops.append("empty_path")
    if extra:
        ops += EXTRA_SPELLINGS
        chosen = set(rng.sample(ops, rng.choice((1, 2, 2, 3))))
    else:
        chosen = set(rng.sample(ops, 2 if rng.random() < 0.25 else 1))
    if "empty_path" in chosen:
        chosen -= {"backslash", "encoded_dots", "inner_tab"}
    if "unicode" in chosen:
        chosen.discard("host_escape")
    if scheme != "http" or chosen & {"port", "port_zeros", "scheme_case", "empty_path", "userinfo"}:
        chosen.discard("no_scheme")
    if "unicode" in chosen:
        chosen.discard("host_case")
        host = unicode_host or host
    port = ""
    fragment = ""
    if "scheme_case" in chosen:
        scheme = scheme.upper() if rng.random() < 0.5 else scheme.capitalize()
    if "host_case" in chosen:
        host = _mixed_case(host, rng)
    if "trailing_dot" in chosen:
        host += "."
    if "host_escape" in chosen:
        host = _host_escape(host, rng)
    if "port" in chosen:
        port = ":443" if scheme.lower() == "https" else ":80"
    if "port_zeros" in chosen:
        port = ":" + "0" * rng.randint(1, 2) + ("443" if scheme.lower() == "https" else "80")
    if "escape" in chosen:
        path = _escape_one(path, rng)
    if "dots" in chosen:
        path = _dot_segment(path, rng)
    if "encoded_dots" in chosen:
        slashes = [i for i, ch in enumerate(path) if ch == "/"]
        i = rng.choice(slashes) + 1
        path = path[:i] + rng.choice(("%2e/", "%2E/", "x/%2e%2e/", "y/.%2E/")) + path[i:]
    if "backslash" in chosen:
        slashes = [i for i, ch in enumerate(path) if ch == "/"]
        i = rng.choice(slashes)
        path = path[:i] + "\\" + path[i + 1:]
    if "inner_tab" in chosen:
        i = rng.randrange(1, len(path) + 1)
        path = path[:i] + "\t" + path[i:]
    if "empty_path" in chosen:
        path = ""
    if "fragment" in chosen:
        fragment = rng.choice(("#top", "#s2", "#main", "#"))
    if "userinfo" in chosen:
        host = rng.choice(("user@", "guest:guest@", "a@")) + host
    text = f"{host}{port}{path}{'?' + query if query else ''}{fragment}"
    if "no_scheme" not in chosen:
        text = f"{scheme}://{text}"
    if "spaces" in chosen:
        text = rng.choice((" ", "  ", "\t")) + text + rng.choice(("", " ", "  "))
    return text


_DAYS: dict[int, str] = {}


def _day(day: int) -> str:
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")
    return text


def _clock(ts: int) -> str:
    day, sec = divmod(ts, 86_400)
    return f"{_day(day)}T{sec // 3600:02d}:{sec % 3600 // 60:02d}:{sec % 60:02d}"


def render_time(ts: int, *, date_only: bool, boundaries: list[int], rng: random.Random) -> str:
    """An ISO 8601 spelling of instant ``ts``: Z, an offset, no zone (UTC) or a bare date.

    Near a quarter boundary the offset is usually chosen so that the local date falls in
    the other quarter than the UTC instant.
    """
    if date_only:
        return _day(ts // 86_400)
    i = bisect.bisect_left(boundaries, ts)
    offset: int | None = None
    if i < len(boundaries) and 0 < boundaries[i] - ts <= 6 * _HOUR and rng.random() < 0.8:
        offset = rng.choice([o for o in _OFFSETS if o * 60 >= boundaries[i] - ts])
    elif i > 0 and 0 <= ts - boundaries[i - 1] < 5 * _HOUR and rng.random() < 0.8:
        offset = rng.choice([o for o in _OFFSETS if -o * 60 > ts - boundaries[i - 1]])
    if offset is None:
        style = rng.random()
        if style < 0.5:
            return _clock(ts) + "Z"
        if style < 0.7:
            return _clock(ts)
        offset = rng.choice(_OFFSETS)
    sign = "+" if offset >= 0 else "-"
    return f"{_clock(ts + offset * 60)}{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def long_url(host: str, length: int) -> str:
    """A URL longer than the 8,192-character limit (and otherwise fine)."""
    head = f"http://{host}/"
    unit = "k0123456789"
    return head + (unit * (length // len(unit) + 1))[: max(0, length - len(head))]


def break_fields(reason: str, fields: dict[str, Any], *, jsonl: bool, host: str, ts: int, rng: random.Random) -> None:
    """Give a prepared row exactly one problem, in place (bad_json/bad_row: see writers)."""
    empty: Any = None if jsonl else ""
    if reason == "missing_url":
        fields["url"] = empty
    elif reason == "url_too_long":
        fields["url"] = long_url(host, rng.randrange(9_000, 30_000))
    elif reason == "bad_url":
        fields["url"] = rng.choice(("http://", "gopher://x.test/", f"gopher://{host}/"))
    elif reason == "missing_reported_at":
        fields["reported_at"] = empty
    elif reason == "bad_date":
        day = datetime.fromtimestamp(ts, UTC)
        fields["reported_at"] = rng.choice((day.strftime("%d/%m/%Y"), "yesterday", day.strftime("%Y-13-%d")))
    elif reason == "bad_ip":
        fields["ip"] = rng.choice(("999.1.2.3", "192.0.2.300", "240.1.2"))
    elif reason == "bad_commercial":
        fields["commercial"] = rng.choice(("maybe", "perhaps"))
    elif reason == "unknown_site_type":
        fields["site_type"] = rng.choice(("portal", "webshop", "blog"))
    elif reason == "unknown_payment_type":
        bad = rng.choice(("cheque", "barter"))
        fields["payment_types"] = ["credit_card", bad] if jsonl else f"credit_card;{bad}"
    elif reason == "binary_junk":
        junk = "\x00" if jsonl or rng.random() < 0.5 else JUNK_MARKER
        fields["notes"] = f"Checked{junk}twice"
    elif reason == "missing_source":
        fields["source"] = empty
    elif reason not in ("bad_json", "bad_row"):
        raise ValueError(f"unknown reason {reason!r}")


def bad_json_line(fields: dict[str, Any], rng: random.Random) -> str:
    """A JSON Lines line that is not a JSON object."""
    text = json.dumps(fields, ensure_ascii=False)
    shape = rng.random()
    if shape < 0.5:  # a truncated object, never cut inside a URL (a cut host would not be a reserved name)
        url = str(fields.get("url") or "")
        at = text.find(json.dumps(url, ensure_ascii=False)[1:-1]) if url else -1
        cuts = [i for i in range(1, len(text) - 1) if at < 0 or not at < i < at + len(url) + 1]
        return text[: rng.choice(cuts)]
    if shape < 0.8:
        return json.dumps(list(fields.values()), ensure_ascii=False)
    return json.dumps(str(fields.get("url")))
