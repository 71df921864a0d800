"""Registrable domains (bundled PSL), shared services and identity domains."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import idna
import publicsuffixlist
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.enrich.domains import (
    SERVICE_KINDS,
    DomainClassifier,
    DomainInfo,
    SharedService,
    SharedServices,
    load_shared_services,
    normalize_hostname,
    psl_snapshot,
    public_suffix,
    registrable_domain,
)
from vigil.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "domains.md"

#: Regression floors for the PSL's own test files (docs/domains.md lists any failures).
PSL_FLOOR = {"tests.txt": 78, "test_psl.txt": 78, "registrable_domain_tests.tsv": 78}


# ------------------------------------------------------------------ vectors


def _canonical(name: str | None) -> str | None:
    """What the URL layer hands us: lower-case, punycode labels (empty labels kept)."""
    if name is None:
        return None
    labels = []
    for label in name.lower().split("."):
        labels.append(idna.encode(label, uts46=True).decode() if not label.isascii() else label)
    return ".".join(labels)


def _null(value: str) -> str | None:
    return None if value in ("null", "") else value


def _read_tests_txt(path: Path) -> list[tuple[str | None, str | None]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        given_, expected = line.split()
        cases.append((_null(given_), _null(expected)))
    return cases


_CHECK = re.compile(r"^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);$")


def _read_test_psl(path: Path) -> list[tuple[str | None, str | None]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        found = _CHECK.match(line.strip())
        if found:
            cases.append((_null(found.group(1).strip("'")), _null(found.group(2).strip("'"))))
    return cases


def _read_tsv(path: Path) -> list[tuple[str | None, str | None]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[:2] == ["input", "expected_registrable_domain"]
    return [
        (_null(row[0]), _null(row[1])) for row in (line.split("\t") for line in lines[1:] if line)
    ]


READERS = {"tests.txt": _read_tests_txt, "test_psl.txt": _read_test_psl}
READERS["registrable_domain_tests.tsv"] = _read_tsv


@pytest.mark.parametrize("name", sorted(READERS))
def test_psl_vectors(
    name: str, vectors_dir: Path, vector_score: Callable[[str, int, int], None]
) -> None:
    cases = READERS[name](vectors_dir / "psl" / name)
    assert len(cases) == 78
    failures = []
    for given_, expected in cases:
        got = registrable_domain(_canonical(given_) or "")
        if got != _canonical(expected):
            failures.append((given_, expected, got))
    passed = len(cases) - len(failures)
    vector_score(f"psl {name} (registrable domain)", passed, len(cases))
    assert passed >= PSL_FLOOR[name], failures


# ------------------------------------------------------------------ the PSL
# Real suffixes (co.uk, kobe.jp) and real shared services (cu.cc, uni.me, bufsiz.jp) below,
# on purpose: what is tested is the bundled PSL snapshot and shared-services list, whose
# entries are real by nature. Hosts are only parsed, never contacted.


@pytest.mark.parametrize(
    ("host", "registrable", "suffix"),
    [
        ("example.co.uk", "example.co.uk", "co.uk"),
        ("www.example.co.uk", "example.co.uk", "co.uk"),
        ("co.uk", None, "co.uk"),
        ("uk", None, "uk"),
        ("name.test", "name.test", "test"),  # unknown TLDs follow the implicit "*" rule
        ("a.b.name.test", "name.test", "test"),
        ("test", None, "test"),
        ("x.y.name.invalid", "name.invalid", "invalid"),
        ("www.city.kobe.jp", "city.kobe.jp", "kobe.jp"),  # wildcard exception
        ("a.b.c.kobe.jp", "b.c.kobe.jp", "c.kobe.jp"),  # wildcard
        ("abc.onion", "abc.onion", "onion"),
        ("a.b.name.cu.cc", "cu.cc", "cc"),  # the PSL knows nothing of shared services
        ("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn", "xn--55qx5d.cn"),
        ("192.0.2.1", None, None),
        ("203.0.113.255", None, None),
        ("2001:db8::1", None, None),
        ("[2001:db8::1]", None, None),
        ("0x7f.1", None, None),  # a numeric last label is an IPv4 address to a URL parser
        ("name.test.", None, None),  # not canonical: trailing dot
        (".name.test", None, None),
        ("a..name.test", None, None),
        ("", None, None),
        ("name.test:8080", None, None),
        ("a b.test", None, None),
    ],
)
def test_registrable_domain(host: str, registrable: str | None, suffix: str | None) -> None:
    assert registrable_domain(host) == registrable
    assert public_suffix(host) == suffix


def _first_private_rule() -> str:
    """A plain rule from the bundled list's private section (no name hard-coded here)."""
    in_private = False
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as lines:
        for line in lines:
            rule = line.strip()
            if rule == "// ===BEGIN PRIVATE DOMAINS===":
                in_private = True
            elif in_private and rule and not rule.startswith(("//", "*", "!")) and "." in rule:
                return rule
    raise AssertionError("no private section in the bundled PSL")


def test_the_private_section_is_honoured() -> None:
    rule = _first_private_rule()
    assert registrable_domain(rule) is None
    assert registrable_domain(f"www.name.{rule}") == f"name.{rule}"
    assert public_suffix(f"name.{rule}") == rule


def test_psl_snapshot_names_the_bundled_package() -> None:
    snapshot = psl_snapshot()
    assert snapshot.package_version == publicsuffixlist.__version__
    assert snapshot.list_version and snapshot.list_commit
    assert re.fullmatch(r"[0-9a-f]{40}", snapshot.list_commit)


# ------------------------------------------------------------ shared services

SERVICES = SharedServices(
    SharedService(name, kind, "", "test")
    for name, kind in [
        ("cu.cc", "free_subdomain"),
        ("freehost.test", "free_host"),
        ("free.example", "free_host"),
        ("pages.free.example", "free_host"),
    ]
)
CLASSIFIER = DomainClassifier(SERVICES)
NOTHING = (None, None, None, None, None, None)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # host: (registrable, public_suffix, service, identity, label, suffix)
        ("a.b.name.cu.cc", ("cu.cc", "cc", "cu.cc", "name.cu.cc", "name", "cu.cc")),
        ("name.cu.cc", ("cu.cc", "cc", "cu.cc", "name.cu.cc", "name", "cu.cc")),
        ("cu.cc", ("cu.cc", "cc", None, "cu.cc", "cu", "cc")),  # the service's own site
        ("www.site.freehost.test", ("freehost.test", "test", "freehost.test",
                                    "site.freehost.test", "site", "freehost.test")),
        ("x.site.pages.free.example", ("free.example", "example", "pages.free.example",
                                       "site.pages.free.example", "site", "pages.free.example")),
        ("site.free.example", ("free.example", "example", "free.example",
                               "site.free.example", "site", "free.example")),
        # a host that is itself a service is not under the shorter one
        ("pages.free.example", ("free.example", "example", None, "free.example", "free",
                                "example")),
        ("www.example.co.uk", ("example.co.uk", "co.uk", None, "example.co.uk", "example",
                               "co.uk")),
        ("shop.name.test", ("name.test", "test", None, "name.test", "name", "test")),
        ("abc.onion", ("abc.onion", "onion", None, "abc.onion", "abc", "onion")),
        ("co.uk", (None, "co.uk", None, None, None, None)),
        ("192.0.2.1", NOTHING),
        ("2001:db8::1", NOTHING),
        ("", NOTHING),
        ("a..cu.cc", NOTHING),
        ("notcu.cc", ("notcu.cc", "cc", None, "notcu.cc", "notcu", "cc")),
    ],
)
def test_classify(host: str, expected: tuple[str | None, ...]) -> None:
    assert CLASSIFIER.classify(host) == DomainInfo(host, *expected)


def test_longest_service_wins_whatever_the_order() -> None:
    names = ("free.example", "pages.free.example")
    entries = [SharedService(name, "free_host", "", "t") for name in names]
    for ordered in (entries, entries[::-1]):
        services = SharedServices(ordered)
        assert services.match("a.pages.free.example") == "pages.free.example"
        assert services.match("a.free.example") == "free.example"
        assert services.match("pages.free.example") is None
        assert services.match("free.example") is None
        assert services.match("elsewhere.test") is None


def test_classify_is_cached() -> None:
    classifier = DomainClassifier(SERVICES)
    assert classifier.classify("a.name.cu.cc") is classifier.classify("a.name.cu.cc")


def test_bundled_services() -> None:
    services = load_shared_services()
    assert {s.service for s in services} >= {"cu.cc", "cz.cc", "uni.me", "bufsiz.jp"}
    assert {s.kind for s in services} <= set(SERVICE_KINDS)
    assert services.get("bufsiz.jp").kind == "free_host"  # type: ignore[union-attr]
    assert services.get("uni.me").kind == "free_subdomain"  # type: ignore[union-attr]
    info = DomainClassifier(services).classify("a.b.name.cu.cc")
    assert (info.identity, info.label, info.suffix, info.service) == (
        "name.cu.cc", "name", "cu.cc", "cu.cc")


def _write(tmp_path: Path, text: str, name: str = "services.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_files_are_merged_and_win(tmp_path: Path) -> None:
    first = _write(tmp_path, "# mine\nservice,kind,note\n\nfreehost.test,free_host,a test host\n"
                   "cu.cc,free_host,\"kind changed, on purpose\"\n", "a.csv")
    second = _write(tmp_path, "\ufeffservice,kind\nPages.Free.Example.,free_subdomain\n"
                    "bücher.test,free_subdomain\n", "b.csv")
    services = load_shared_services([first, second])
    assert "freehost.test" in services and "pages.free.example" in services
    assert "xn--bcher-kva.test" in services
    assert "uni.me" in services  # the bundled ones stay
    cu = services.get("cu.cc")
    assert cu is not None
    assert (cu.kind, cu.note, cu.source) == ("free_host", "kind changed, on purpose",
                                             f"{first}, line 5")
    assert DomainClassifier(services).classify("x.site.freehost.test").identity == (
        "site.freehost.test")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service,kind,note\ncu.cc,free_lunch,\n", "line 2: unknown kind 'free_lunch'"),
        ("# c\nservice,kind,note\nnot a host!,free_host,\n", "line 3: 'not a host!' is not a host"),
        ("service,kind,note\n192.0.2.1,free_host,\n", "line 2: '192.0.2.1' is not a host"),
        ("service,kind,note\ncu.cc,free_host,x,y\n", "line 2: expected 3 fields"),
        ("service,kind,note\ncu.cc\n", "line 2: expected 3 fields"),
        ("cu.cc,free_host,\n", "line 1: expected the header 'service,kind,note'"),
        ("# only a comment\n", "no header line"),
    ],
)
def test_bad_services_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_shared_services([path])
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


def test_missing_services_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read shared services file"):
        load_shared_services([tmp_path / "absent.csv"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("CU.cc.", "cu.cc"), (" uni.me ", "uni.me"), ("bücher.test", "xn--bcher-kva.test"),
     ("a..b", None), ("", None), ("-a.test", None), ("a_b.test", "a_b.test"),
     ("192.0.2.1", None), ("a/b", None)],
)
def test_normalize_hostname(raw: str, expected: str | None) -> None:
    assert normalize_hostname(raw) == expected


def test_docs_describe_every_kind_and_setting() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for word in (*SERVICE_KINDS, "service,kind,note", "--shared-services", "VIGIL_SHARED_SERVICES",
                 "os.pathsep", publicsuffixlist.__version__, psl_snapshot().list_commit or "?"):
        assert word in text, word


# ----------------------------------------------------------------- properties

_LABEL = st.from_regex(r"(xn--)?[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_TAILS = st.sampled_from(
    ["test", "example", "co.uk", "uk", "cu.cc", "cc", "jp", "kobe.jp", "ck", "onion",
     "freehost.test", "free.example", "pages.free.example", "xn--55qx5d.cn", "zz", "1"]
)
HOSTNAMES = st.builds(
    lambda labels, tail: ".".join([*labels, tail]) if labels or tail else "",
    st.lists(_LABEL, max_size=4), _TAILS,
)


def _is_suffix(part: str, host: str) -> bool:
    return host == part or host.endswith("." + part)


def _check(info: DomainInfo, host: str) -> None:
    assert info.host == host
    for part in (info.registrable, info.public_suffix, info.identity, info.service):
        if part is not None:
            assert _is_suffix(part, host), (part, host)
    if info.identity is not None:
        assert info.label and info.suffix
        assert f"{info.label}.{info.suffix}" == info.identity
        assert info.suffix == (info.service or info.public_suffix)
    else:
        assert info.label is None and info.suffix is None and info.service is None


@settings(max_examples=300)
@given(HOSTNAMES)
def test_identity_is_a_suffix_of_the_host(host: str) -> None:
    info = CLASSIFIER.classify(host)
    _check(info, host)
    if info.identity is not None:  # the identity of an identity is itself
        assert CLASSIFIER.classify(info.identity).identity == info.identity
    if info.registrable is not None:
        assert registrable_domain(info.registrable) == info.registrable


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"[a-zA-Z0-9.:\[\]-]{0,30}", fullmatch=True)))
def test_classify_never_raises_on_junk(host: str) -> None:
    _check(CLASSIFIER.classify(host), host)
