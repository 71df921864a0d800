"""Site-type rules: the bundled file, user files first, and clear errors for bad files."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.enrich.domains import DomainClassifier, SharedService, SharedServices
from vigil.enrich.sitetypes import MATCHERS, PLACEHOLDERS, SiteTypeDecision, SiteTypeRules
from vigil.errors import ConfigError
from vigil.model import SITE_TYPES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "domains.md"
CLASSIFIER = DomainClassifier(
    SharedServices([SharedService("cu.cc", "free_subdomain", "", "t"),
                    SharedService("freehost.test", "free_host", "", "t")])
)
RULES = SiteTypeRules.load()


def decide(url: str, rules: SiteTypeRules = RULES) -> SiteTypeDecision:
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return rules.decide(url=url, host=host, domain=CLASSIFIER.classify(host))


def test_bundled_rules_in_order() -> None:
    assert [rule.name for rule in RULES.rules] == [
        "tor-hidden-service", "shared-service", "known-cyberlockers", "forum-path", "gallery-path",
    ]


def test_bundled_hosts_are_reserved_names_only() -> None:
    for rule in RULES.rules:
        for host in rule.hosts:
            assert host.rsplit(".", 1)[-1] in ("example", "test", "invalid"), host


@pytest.mark.parametrize(
    ("url", "site_type", "rule", "reason"),
    [
        ("http://abcdefgh.onion/", "hidden_service", "tor-hidden-service",
         "host is a Tor hidden service (.onion)"),
        ("http://www.abcdefgh.onion/forum/", "hidden_service", "tor-hidden-service", None),
        ("http://a.b.name.cu.cc/", "banner", "shared-service",
         "identity domain name.cu.cc is under the shared service cu.cc"),
        ("http://site.freehost.test/gallery/", "banner", "shared-service", None),
        ("http://shop.test/forum/", "forum", "forum-path", "URL path names a forum page (/forum)"),
        ("http://shop.test/Forums", "forum", "forum-path", None),
        ("http://shop.test/x/viewtopic.php?t=1", "forum", "forum-path",
         "URL path names a forum page (/viewtopic.php)"),
        ("http://shop.test/showthread.php", "forum", "forum-path", None),
        ("http://shop.test/a/b/gallery/1", "image_host", "gallery-path",
         "URL path names an image gallery or album (/gallery)"),
        ("http://shop.test/albums#top", "image_host", "gallery-path", None),
        ("http://shop.test/", "other", None, "no rule matched"),
        ("http://forum.test/gallerys", "other", None, None),  # host words and stems don't count
        ("http://shop.test/page?next=/forum/", "other", None, None),  # nor does the query
        ("http://cu.cc/", "other", None, None),  # the service's own site is not a banner site
        ("http://192.0.2.1/index", "other", None, None),
    ],
)
def test_bundled_rules(url: str, site_type: str, rule: str | None, reason: str | None) -> None:
    decision = decide(url)
    assert (decision.site_type, decision.rule) == (site_type, rule)
    if reason is not None:
        assert decision.reason == reason


USER_RULES = """
[[rule]]
name = "lockers"
site_type = "cyberlocker"
reason = "host {host} is a known cyberlocker ({matched}); identity {identity}"
hosts = ["Locker.Example", "files.other-locker.test"]

[[rule]]
name = "ppv-path"
site_type = "pay_per_view"
reason = "pay-per-view page {url}"
url_regex = '/members/'

[[rule]]
name = "onion-override"
site_type = "other"
reason = "onions are counted elsewhere"
host_suffix = "onion"
"""


def _write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_rules_come_first(tmp_path: Path) -> None:
    rules = SiteTypeRules.load([_write(tmp_path, USER_RULES)])
    assert len(rules) == len(RULES) + 3
    locker = decide("http://dl.locker.example/forum/", rules)
    assert locker == SiteTypeDecision(
        "cyberlocker",
        "host dl.locker.example is a known cyberlocker (locker.example); identity locker.example",
        "lockers",
    )
    assert decide("http://files.other-locker.test/a", rules).site_type == "cyberlocker"
    assert decide("http://other-locker.test/a", rules).site_type == "other"  # parents only
    assert decide("http://notlocker.example/a", rules).site_type == "other"
    assert decide("http://shop.test/members/1", rules).reason == (
        "pay-per-view page http://shop.test/members/1")
    assert decide("http://abcdefgh.onion/", rules).rule == "onion-override"
    assert decide("http://shop.test/forum", rules).rule == "forum-path"  # bundled still apply


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nname="x"\nsite_type="blog"\nreason="r"\nhost_suffix=".test"\n',
         "rule 1 (x): unknown site type 'blog'"),
        ('[[rule]]\nname="x"\nsite_type="forum"\nreason="r"\nurl_regex="(unclosed"\n',
         "rule 1 (x): bad url_regex '(unclosed'"),
        ('[[rule]]\nname="x"\nsite_type="forum"\nreason="r"\n', "rule 1 (x): no matcher"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nhosts=[]\nurl_regex="a"\n',
         "rule 1 (rule-1): several matchers (hosts, url_regex)"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nhost_sufix=".test"\n',
         "rule 1: unknown key(s) host_sufix"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nshared_service=false\n',
         "shared_service must be true"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nhosts="a.test"\n', "hosts must be a list"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nhosts=["a b"]\n',
         "'a b' in hosts is not a host"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nhost_suffix=""\n', "is not a domain suffix"),
        ('[[rule]]\nsite_type="forum"\nhosts=[]\n', "'reason' must be a non-empty string"),
        ('[[rule]]\nsite_type="forum"\nreason="see {colour}"\nhosts=[]\n',
         "unknown placeholder {colour}"),
        ('[[rule]]\nsite_type="forum"\nreason="r"\nhosts=[]\n[[rule]]\nname="rule-1"\n'
         'site_type="forum"\nreason="r"\nhosts=[]\n', "two rules are named 'rule-1'"),
        ("[[rule]\n", "not valid TOML"),
        ('rules = 1\n', "unknown top-level key(s) rules"),
        ('rule = 1\n', "'rule' must be an array of tables"),
    ],
)
def test_bad_rules_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        SiteTypeRules.load([path])
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read site-type rules file"):
        SiteTypeRules.load([tmp_path / "absent.toml"])


def test_an_empty_user_file_changes_nothing(tmp_path: Path) -> None:
    assert len(SiteTypeRules.load([_write(tmp_path, "# nothing yet\n")])) == len(RULES)


def test_bundled_file_is_plain_toml() -> None:
    data = resources.files("vigil.enrich").joinpath("data/site_type_rules.toml").read_bytes()
    for table in tomllib.loads(data.decode())["rule"]:
        assert table["site_type"] in SITE_TYPES


def test_docs_describe_every_matcher_and_setting() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for word in (*MATCHERS, *("{" + p + "}" for p in PLACEHOLDERS), *SITE_TYPES,
                 "--site-type-rules", "VIGIL_SITE_TYPE_RULES", "no rule matched"):
        assert word in text, word


@settings(max_examples=300)
@given(st.text(max_size=60), st.text(max_size=30))
def test_decide_never_raises(path: str, host: str) -> None:
    url = f"http://{host}/{path}"
    decision = RULES.decide(url=url, host=host, domain=CLASSIFIER.classify(host))
    assert decision.site_type in SITE_TYPES and decision.reason
