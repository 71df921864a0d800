"""URL canonicalisation: one table per rule, properties, and outside vectors.

The outside suites (WHATWG URL tests, WHATWG domain-to-ASCII, Safe Browsing
canonicalisation) are read in place from ``vectors_dir``. Each records its
passes/total with ``vector_score`` and asserts the exact set of cases that do not
match (:data:`DEPARTURES`, by position in the suite as read), so that fixing one case
while breaking another fails too. They are intended departures, each category listed
with an example in docs/urls.md (checked by ``test_documented_examples``).
"""

from __future__ import annotations

import codecs
import json
import re
import string
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vigil.errors import InvalidRecord, InvalidURL
from vigil.urls import CanonicalURL, canonicalize_url
from vigil.urls import _canonicalize as general_path

Score = Callable[[str, int, int], None]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "urls.md"


def canon(raw: str) -> str:
    return canonicalize_url(raw).url


# --- one table per rule --------------------------------------------------------

CASES = {
    "scheme and host lower-cased": [
        ("HTTP://Shop.Example/", "http://shop.example/"),
        ("hTTpS://WWW.Shop.TEST/Path/Keeps/Case", "https://www.shop.test/Path/Keeps/Case"),
        ("FTP://Files.Example/", "ftp://files.example/"),
    ],
    "IDN hosts to punycode": [
        ("http://bücher.test/", "http://xn--bcher-kva.test/"),
        ("http://BÜCHER.test/", "http://xn--bcher-kva.test/"),
        ("http://faß.example/", "http://xn--fa-hia.example/"),  # non-transitional: ß kept
        ("http://xn--bcher-kva.test/", "http://xn--bcher-kva.test/"),
        ("http://ｓｈｏｐ．ｔｅｓｔ/", "http://shop.test/"),  # full-width letters and dot
        ("http://☃.test/", "http://xn--n3h.test/"),  # fallback: UTS #46 but not IDNA 2008
        ("http://b%C3%BCcher.test/", "http://xn--bcher-kva.test/"),  # escaped host
    ],
    "default ports removed": [
        ("http://shop.test:80/", "http://shop.test/"),
        ("https://shop.test:443/", "https://shop.test/"),
        ("ftp://shop.test:21/", "ftp://shop.test/"),
        ("http://shop.test:0080/", "http://shop.test/"),
        ("http://shop.test:/", "http://shop.test/"),
        ("http://shop.test:443/", "http://shop.test:443/"),
        ("https://shop.test:80/", "https://shop.test:80/"),
        ("http://shop.test:8080/", "http://shop.test:8080/"),
    ],
    "trailing dots removed": [
        ("http://shop.test./", "http://shop.test/"),
        ("http://shop.test.../a", "http://shop.test/a"),
        ("http://..shop..test./", "http://shop.test/"),
        ("http://192.0.2.1./", "http://192.0.2.1/"),
    ],
    "percent-encoding normalised": [
        ("http://shop.test/%7e%41%2d%5F", "http://shop.test/~A-_"),
        ("http://shop.test/a%2fb%3a", "http://shop.test/a%2Fb%3A"),
        ("http://shop.test/a b", "http://shop.test/a%20b"),
        ("http://shop.test/ü?q=ü", "http://shop.test/%C3%BC?q=%C3%BC"),
        ("http://shop.test/50%", "http://shop.test/50%25"),
        ("http://shop.test/%zz", "http://shop.test/%25zz"),
        ('http://shop.test/<"{|}>^`', "http://shop.test/%3C%22%7B%7C%7D%3E%5E%60"),
        ("http://shop.test/?a=%2b%26&b=c+d", "http://shop.test/?a=%2B%26&b=c+d"),
        ("http://shop.test/?q=a?b/c", "http://shop.test/?q=a?b/c"),
        ("http://shop.test/it's?it's", "http://shop.test/it's?it%27s"),
        ("http://shop.test/a\\b", "http://shop.test/a/b"),
    ],
    "dot-segments resolved": [
        ("http://shop.test/a/./b/../c", "http://shop.test/a/c"),
        ("http://shop.test/a/b/..", "http://shop.test/a/"),
        ("http://shop.test/a/b/.", "http://shop.test/a/b/"),
        ("http://shop.test/../../a", "http://shop.test/a"),
        ("http://shop.test/a/%2e%2E/b", "http://shop.test/b"),
        ("http://shop.test/a/..b/.c", "http://shop.test/a/..b/.c"),
        ("http://shop.test/a//../b", "http://shop.test/a/b"),
    ],
    "fragment dropped": [
        ("http://shop.test/a#top", "http://shop.test/a"),
        ("http://shop.test/a?q#x?y", "http://shop.test/a?q"),
        ("http://shop.test#", "http://shop.test/"),
    ],
    "empty path becomes /": [
        ("http://shop.test", "http://shop.test/"),
        ("http://shop.test?q=1", "http://shop.test/?q=1"),
        ("http://shop.test:8080", "http://shop.test:8080/"),
    ],
    "missing scheme means http": [
        ("name.test/page", "http://name.test/page"),
        ("Name.Test", "http://name.test/"),
        ("//name.test/page", "http://name.test/page"),
        ("name.test:8080/page", "http://name.test:8080/page"),
        ("localhost:8080", "http://localhost:8080/"),
        ("http%3A%2F%2Fname.test/", "http://name.test/"),  # copied out of a query string
    ],
    "userinfo dropped": [
        ("http://user:secret@shop.test/", "http://shop.test/"),
        ("http://a@b@shop.test/", "http://shop.test/"),
        ("http://@shop.test/", "http://shop.test/"),
    ],
    "WHATWG IPv4 forms": [
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://3221225985/", "http://192.0.2.1/"),
        ("http://0300.0.2.1/", "http://192.0.2.1/"),
        ("http://192.0x00.513/", "http://192.0.2.1/"),
        ("http://0xC0.0x0.0x2.0x1/", "http://192.0.2.1/"),
        ("http://0x7f.0.0.0x7g/", "http://0x7f.0.0.0x7g/"),  # last label not a number
    ],
    "IPv6 compressed": [
        ("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/"),
        ("http://[2001:db8:0:0:1:0:0:1]:8080/", "http://[2001:db8::1:0:0:1]:8080/"),
        ("http://[::ffff:192.0.2.1]/", "http://[::ffff:c000:201]/"),
        ("http://[2001:db8:1:1:1:1:1:1]/", "http://[2001:db8:1:1:1:1:1:1]/"),
    ],
    "whitespace, tabs and newlines": [
        ("  http://shop.test/  ", "http://shop.test/"),
        ("http://shop.test/a\tb\r\nc", "http://shop.test/abc"),
        ("\x00http://shop.test/\x1f", "http://shop.test/"),
    ],
    "onion hosts are ordinary hosts": [
        ("http://ExampleOnionAddr234567.onion/x", "http://exampleonionaddr234567.onion/x"),
    ],
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [pytest.param(raw, want, id=f"{rule}: {raw!r}") for rule, rows in CASES.items() for raw, want in rows],
)
def test_rule(raw: str, expected: str) -> None:
    assert canon(raw) == expected


REJECTED = [
    ("", "empty URL"),
    ("   \t ", "only whitespace"),
    ("http://", "no host"),
    ("http:///", "no host"),
    ("http://user@/path", "no host"),
    ("/path/only", "relative reference"),
    ("?q=1", "relative reference"),
    ("mailto:someone@shop.test", "unsupported scheme 'mailto'"),
    ("javascript:void(0)", "unsupported scheme"),
    ("gopher://shop.test/", "unsupported scheme 'gopher'"),
    ("file:///etc/hosts", "unsupported scheme"),
    ("C:\\Users\\report.html", "unsupported scheme 'c'"),
    ("http://sh op.test/", "invalid character ' '"),
    ("http://shop^.test/", "invalid character '^'"),
    ("http://shop%2Fx.test/", "invalid character '/'"),
    ("http://sh<op.test/", "invalid character '<'"),
    ("http://shop.test:99999/", "invalid port"),
    ("http://shop.test:8o/", "invalid port"),
    ("http://shop.test:-80/", "invalid port"),
    ("http://shop.test:80:80/", "invalid port"),
    ("http://" + "a" * 64 + ".test/", "longer than 63"),
    ("http://" + "a." * 126 + "test/", "at most 253"),
    ("http://shop.test/a\x00b", "control character (U+0000)"),
    ("http://shop\x1b.test/", "control character (U+001B)"),
    ("http://shop.test/\x7fa", "control character (U+007F)"),
    ("http://shop.test/\ud800", "lone surrogate"),
    ("http://1.2.3.4.5/", "more than four parts"),
    ("http://256.0.0.1/", "out of range"),
    ("http://1.2.3.08/", "not an IPv4 address"),
    ("http://shop.09/", "not an IPv4 address"),
    ("http://[2001:db8::1/", "no closing"),
    ("http://[2001:db8::1::2]/", "more than one"),
    ("http://[2001:db8::1%eth0]/", "invalid IPv6"),
    ("http://%FF.test/", "not UTF-8"),
    ("http://xn--tešla.test/", "not a valid internationalised name"),
    ("http://xn--a.bücher.test/", "not a valid internationalised name"),
    ("http://a\u200db.test/", "joiner U+200D"),
    ("http://a" + "/x" * 40_000, "longer than"),
]


@pytest.mark.parametrize(("raw", "reason"), REJECTED, ids=[repr(r[:40]) for r, _ in REJECTED])
def test_rejected_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidURL) as caught:
        canonicalize_url(raw)
    assert reason in caught.value.reason
    assert isinstance(caught.value, InvalidRecord)


def test_parts_of_the_result() -> None:
    got = canonicalize_url("HTTPS://user@Bücher.TEST.:8443/a/../b%7E?x=1#frag")
    assert got == CanonicalURL(
        original="HTTPS://user@Bücher.TEST.:8443/a/../b%7E?x=1#frag",
        url="https://xn--bcher-kva.test:8443/b~?x=1",
        scheme="https",
        host="xn--bcher-kva.test",
        port=8443,
        path="/b~",
        query="x=1",
    )
    assert canonicalize_url("http://[2001:db8::1]/").host == "2001:db8::1"
    assert canonicalize_url("http://shop.test/").query is None
    assert canonicalize_url("http://shop.test/?").query == ""


def test_a_non_string_is_an_invalid_url() -> None:
    with pytest.raises(InvalidURL, match="must be a string"):
        canonicalize_url(b"http://shop.test/")  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------

_PIECES = list(string.ascii_letters + string.digits + "-._~%/\\?#@:[]. ") + [
    "%2e", "%2E", "%41", "%7e", "%zz", "%C3%BC", "..", "./", "0x", "xn--", "ü", "ß", "☃",
    "\u00ad", "\t", "\x00", "\x7f", "\x85", "\ufeff", "\ud800", "ｓ", "．", "1.2.3.4", "::",
]


def pieces(most: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_PIECES), max_size=most).map("".join)


_SCHEMES = ["", "http://", "HTTPS://", "ftp:", "http:/", "http:\\\\", "//", "mailto:", "x:"]

url_like = st.builds(
    lambda scheme, user, host, port, path, query, frag: scheme + user + host + port + path + query + frag,
    st.sampled_from(_SCHEMES),
    st.sampled_from(["", "user:pw@", "@", "a@b@"]),
    st.one_of(
        pieces(8),
        st.sampled_from(["shop.test", "Shop.Test.", "[2001:db8::1]", "0x7f.1", "192.0.2.1", "bücher.test"]),
    ),
    st.sampled_from(["", ":80", ":443", ":21", ":8080", ":", ":0099", ":99999"]),
    pieces(12).map(lambda s: "/" + s if s else ""),
    st.one_of(st.just(""), pieces(8).map(lambda s: "?" + s)),
    st.sampled_from(["", "#", "#frag", "#a b"]),
)


@given(st.one_of(st.text(max_size=200), st.text(max_size=80).map(lambda s: "http://" + s)))
@example("http://[")
@example("http://[::1]x")
@example("http://1.2.3.0x")
@example("http://a:" + "9" * 5000)
@example("http://" + "1" * 5000)
@settings(max_examples=300)
def test_never_raises_anything_but_invalid_url(raw: str) -> None:
    try:
        canonicalize_url(raw)
    except InvalidURL:
        pass


@given(url_like)
@settings(max_examples=1000)
def test_idempotent_and_fast_path_agrees(raw: str) -> None:
    try:
        first = canonicalize_url(raw)
    except InvalidURL as exc:
        with pytest.raises(InvalidURL):
            general_path(raw)
        assert exc.reason
        return
    assert general_path(raw) == first
    again = canonicalize_url(first.url)
    assert again.url == first.url
    assert (again.host, again.port, again.path, again.query) == (first.host, first.port, first.path, first.query)


# --- outside vectors ------------------------------------------------------------

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")


def rfc3986(text: str, safe: str) -> str:
    """Percent-normalise ``text`` (RFC 3986 6.2.2.2), written apart from the module on purpose."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "%" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 1 : i + 3]):
            char = chr(int(text[i + 1 : i + 3], 16))
            out.append(char if char in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        char = text[i]
        out.append(char if char in _UNRESERVED or char in safe else "".join(f"%{b:02X}" for b in char.encode()))
        i += 1
    return "".join(out)


def wpt_absolute_cases(vectors_dir: Path) -> list[dict[str, str]]:
    """WHATWG cases whose result cannot depend on a base: http/https/ftp input, null base
    (or any base when the input has 'scheme://')."""
    cases = json.loads((vectors_dir / "wpt_url" / "urltestdata.json").read_text("utf-8"))
    chosen = []
    for case in cases:
        if isinstance(case, str):
            continue
        text = re.sub("[\t\n\r]", "", case["input"]).lstrip("".join(map(chr, range(0x21))))
        if re.match(r"(?i)(https?|ftp):" + ("" if case.get("base") is None else "//"), text):
            chosen.append(case)
    return chosen


def wpt_matches(case: dict[str, str]) -> bool:
    try:
        got = canonicalize_url(case["input"])
    except InvalidURL:
        return bool(case.get("failure"))
    if case.get("failure"):
        return False
    return (
        got.host == case["hostname"].strip("[]")
        and got.port == (int(case["port"]) if case["port"] else None)
        and got.path == rfc3986(case["pathname"], "!$&'()*+,;=:@/")
        and (got.query or "") == rfc3986(case["search"][1:], "!$&()*+,;=:@/?")
    )


#: The cases of each outside suite that do not match, by position (0-based) in the suite as
#: the test reads it: the departures of docs/urls.md. A change to the set fails the test.
DEPARTURES: dict[str, list[int]] = {
    "wpt_url/urltestdata.json": [160, 161, 269, 280, 339, 340, 341, 367, 373, 374, 375],
    "wpt_url/toascii.json": [9, 10, 14, 28, 29, 30, 31, 32, 33, 34],
    "google_expression_test_canonicalize_url.tsv whole": [6, 8, 17, 33, 38, 39, 40, 43, 44, 55, 57, 64],
    "google_expression_test_canonicalize_url.tsv host": [6, 17, 33, 38, 39, 40, 43, 44, 55, 57, 64],
    "mozilla_test_canonicalization.tsv whole": [21, 24],
    "mozilla_test_canonicalization.tsv host": [21],
    "google_safebrowsing_go_canonicalurl.tsv whole": [2, 20, 22, 24, 25, 26, 29, 35, 46, 48],
    "google_safebrowsing_go_canonicalurl.tsv host": [2, 20, 22, 24, 25, 26, 29, 35, 46, 48],
    "google_expression_test_canonicalize_ip.tsv": [5, 19, 21],
}


def assert_departures(suite: str, inputs: list[str], matches: list[bool]) -> None:
    """The cases that do not match are exactly the recorded departures."""
    failing = [i for i, ok in enumerate(matches) if not ok]
    known = DEPARTURES[suite]
    broken = [(i, inputs[i]) for i in failing if i not in known]
    fixed = [(i, inputs[i]) for i in known if i not in failing]
    assert not broken and not fixed, (
        f"{suite}: newly failing {broken}; newly passing {fixed}. If intended, set "
        f"DEPARTURES[{suite!r}] = {failing} in tests/test_urls.py and update docs/urls.md"
    )


def test_wpt_urltestdata(vectors_dir: Path, vector_score: Score) -> None:
    cases = wpt_absolute_cases(vectors_dir)
    matches = [wpt_matches(c) for c in cases]
    vector_score("wpt_url/urltestdata.json (absolute http/https/ftp)", sum(matches), len(cases))
    assert len(cases) == 385
    assert_departures("wpt_url/urltestdata.json", [c["input"] for c in cases], matches)


def toascii_matches(case: dict[str, str | None]) -> bool:
    try:
        host = canonicalize_url(f"https://{case['input']}/x").host
    except InvalidURL:
        return case["output"] is None
    return host == case["output"]


def test_wpt_toascii(vectors_dir: Path, vector_score: Score) -> None:
    data = json.loads((vectors_dir / "wpt_url" / "toascii.json").read_text("utf-8"))
    cases = [c for c in data if isinstance(c, dict)]
    matches = [toascii_matches(c) for c in cases]
    vector_score("wpt_url/toascii.json", sum(matches), len(cases))
    assert_departures("wpt_url/toascii.json", [str(c["input"]) for c in cases], matches)


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """Rows of (input, expected) with the escaping of shared/vectors/README.md undone."""
    rows = []
    for line in path.read_text("ascii").splitlines()[1:]:
        raw, expected, _ = line.split("\t")
        fields = [codecs.escape_decode(f.encode("ascii"))[0] for f in (raw, expected)]
        text = [f.decode("utf-8") if _is_utf8(f) else f.decode("latin-1") for f in fields]
        rows.append((text[0], text[1]))
    return rows


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def unescape_fully(text: str) -> str:
    """Safe Browsing's equivalence: unescape until nothing changes."""
    while (done := re.sub("%([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), text)) != text:
        text = done
    return text


_SB_URL = re.compile(r"(\w+)://([^/?]*)([^?]*)(\?.*)?")


def sb_matches(raw: str, expected: str, *, whole: bool, keep_query: bool = True) -> bool:
    """Host-and-port only (``whole=False``) or the whole URL modulo escaping."""
    try:
        got = canonicalize_url(raw)
    except InvalidURL:
        return expected == ""
    if not expected:
        return False
    want = _SB_URL.fullmatch(expected)
    assert want is not None, expected
    netloc = f"[{got.host}]" if ":" in got.host else got.host
    netloc += f":{got.port}" if got.port is not None else ""
    if not whole:
        return netloc == want[2]
    ours = got.url if keep_query else got.url.partition("?")[0]
    return unescape_fully(ours) == unescape_fully(expected)


SAFE_BROWSING = {
    # file: keep our query when comparing the whole URL?
    "google_expression_test_canonicalize_url.tsv": True,
    "mozilla_test_canonicalization.tsv": True,
    "google_safebrowsing_go_canonicalurl.tsv": False,
}


@pytest.mark.parametrize("name", sorted(SAFE_BROWSING))
def test_safe_browsing(name: str, vectors_dir: Path, vector_score: Score) -> None:
    rows = read_tsv(vectors_dir / "safebrowsing" / name)
    keep_query = SAFE_BROWSING[name]
    whole = [sb_matches(r, e, whole=True, keep_query=keep_query) for r, e in rows]
    host = [sb_matches(r, e, whole=False) for r, e in rows]
    vector_score(f"safebrowsing/{name} (whole URL modulo escaping)", sum(whole), len(rows))
    vector_score(f"safebrowsing/{name} (host and port)", sum(host), len(rows))
    assert_departures(f"{name} whole", [r for r, _ in rows], whole)
    assert_departures(f"{name} host", [r for r, _ in rows], host)


def ip_matches(raw: str, expected: str) -> bool:
    try:
        host = canonicalize_url(f"http://{raw}/").host
    except InvalidURL:
        return expected == ""
    if expected:
        return host == expected
    return not re.fullmatch(r"[0-9.]+", host)


def test_safe_browsing_ip(vectors_dir: Path, vector_score: Score) -> None:
    rows = read_tsv(vectors_dir / "safebrowsing" / "google_expression_test_canonicalize_ip.tsv")
    matches = [ip_matches(r, e) for r, e in rows]
    vector_score("safebrowsing/google_expression_test_canonicalize_ip.tsv", sum(matches), len(rows))
    assert_departures("google_expression_test_canonicalize_ip.tsv", [r for r, _ in rows], matches)


# --- docs are tests -------------------------------------------------------------

_DOC_ROW = re.compile(r"^\| *(?P<category>[^|]+?) *\| *`(?P<raw>[^`]*)` *\| *(?P<ours>`[^`]*`|rejected) *\|", re.M)


def test_documented_examples() -> None:
    """Every example in the departures table of docs/urls.md is what the code does."""
    rows = list(_DOC_ROW.finditer(DOCS.read_text("utf-8")))
    assert len(rows) >= 10
    for row in rows:
        raw = codecs.decode(row["raw"], "unicode_escape") if "\\x" in row["raw"] else row["raw"]
        if row["ours"] == "rejected":
            with pytest.raises(InvalidURL):
                canonicalize_url(raw)
        else:
            assert canon(raw) == row["ours"].strip("`"), row["category"]
