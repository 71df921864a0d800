"""The synthetic world: deterministic, calibrated, dirty in the documented ways, and safe.

The default world is built once per session (a few seconds); everything else uses small
worlds. Files are read back with a small reader of our own (not vigil.ingest), so these
tests check the world, not the pipeline.
"""

from __future__ import annotations

import csv
import gzip
import io
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from worlds import World

import vigil.synth
from vigil.errors import ConfigError
from vigil.model import PAYMENT_TYPES, SITE_TYPES
from vigil.periods import Period
from vigil.synth import DEFAULT_REPORTS, generate_world, names
from vigil.synth.dirt import REASONS, spell_url
from vigil.synth.hosting import RESERVED_NETWORKS, build_orgs
from vigil.synth.truth import NO_ORG, FamilyView, HostInfo, Rec, Table

BRIEF_REASONS = {
    "missing_url", "url_too_long", "bad_url", "missing_reported_at", "bad_date", "bad_ip", "bad_commercial",
    "unknown_site_type", "unknown_payment_type", "binary_junk", "missing_source", "bad_json", "bad_row",
}
RESERVED_TLDS = (".test", ".example", ".invalid")
_BOOLS = {"true", "false", "yes", "no", "1", "0", ""}


@pytest.fixture(scope="session")
def default_world(synth_world: Callable[..., World]) -> Path:
    built = synth_world()  # the shared default world (tests/conftest.py)
    summary, calls = built.summary, built.progress
    assert summary.rows == DEFAULT_REPORTS and calls and calls[-1] == summary.rows
    assert list(calls) == sorted(calls)
    return built.path


@pytest.fixture(scope="session")
def small_world(synth_world: Callable[..., World]) -> Path:
    return synth_world(seed=5, reports=1500).path


@pytest.fixture(scope="session")
def default_records(default_world: Path) -> list[tuple[str, int, dict[str, Any] | None, list[str]]]:
    return list(records(default_world))


def _truth(world: Path, name: str) -> Any:
    return json.loads((world / "truth" / name).read_text(encoding="utf-8"))


def _files(world: Path) -> dict[str, bytes]:
    return {str(p.relative_to(world)): p.read_bytes() for p in sorted(world.rglob("*")) if p.is_file()}


def _text(path: Path) -> io.TextIOWrapper:
    raw = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115 - closed by the wrapper
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def records(world: Path) -> Iterator[tuple[str, int, dict[str, Any] | None, list[str]]]:
    """(file, start line, fields or None for a non-object JSON line, CSV fields beyond the header)."""
    for path in sorted((world / "reports").iterdir()):
        name = f"reports/{path.name}"
        with _text(path) as handle:
            if ".jsonl" in path.name:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line)
                    except ValueError:
                        value = None
                    yield name, number, value if isinstance(value, dict) else None, []
                continue
            reader = csv.reader(handle)
            header = next(reader)
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                yield name, start, dict(zip(header, row)), row[len(header):]


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value).strip()


def problems(fields: dict[str, Any] | None, extra: list[str]) -> list[str]:
    """Our own reading of what is wrong with one record (the reason codes of the brief)."""
    if fields is None:
        return ["bad_json"]
    found = ["bad_row"] if extra else []
    texts = {k: _plain(v) for k, v in fields.items()}
    if any("\x00" in t or re.search("[\udc80-\udcff]", t) for t in texts.values()):
        found.append("binary_junk")
    if not texts.get("source"):
        found.append("missing_source")
    url = texts.get("url", "")
    if not url:
        found.append("missing_url")
    elif len(url) > 8192:
        found.append("url_too_long")
    elif url == "http://" or not re.match(r"(?i)(https?://)?[^/:]+", url) or url.lower().startswith("gopher:"):
        found.append("bad_url")
    when = texts.get("reported_at", "")
    if not when:
        found.append("missing_reported_at")
    else:
        try:
            datetime.fromisoformat(when)
        except ValueError:
            found.append("bad_date")
    if texts.get("ip"):
        try:
            ipaddress.ip_address(texts["ip"])
        except ValueError:
            found.append("bad_ip")
    if texts.get("commercial", "").lower() not in _BOOLS:
        found.append("bad_commercial")
    if texts.get("site_type") and texts["site_type"] not in SITE_TYPES:
        found.append("unknown_site_type")
    if any(p and p not in PAYMENT_TYPES for p in texts.get("payment_types", "").split(";")):
        found.append("unknown_payment_type")
    return found


def _host(url: str) -> str:
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    host = url.split("://", 1)[1]
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    return host.rsplit(":", 1)[0] if re.search(r":\d+$", host) else host


# ----------------------------------------------------------------------------- API


def test_public_surface() -> None:
    assert set(vigil.synth.__all__) == {"DEFAULT_REPORTS", "WorldSummary", "generate_world"}


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError):
        generate_world(tmp_path, reports=100)
    with pytest.raises(ConfigError):
        generate_world(tmp_path / "new", reports=0)


# ---------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_even_under_another_hash_seed(small_world: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    code = f"from pathlib import Path; from vigil.synth import generate_world; generate_world(Path({str(again)!r}), seed=5, reports=1500)"
    env = dict(os.environ, PYTHONHASHSEED="4242")
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert _files(again) == _files(small_world)


def test_a_different_seed_gives_a_different_world(small_world: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate_world(other, seed=6, reports=1500)
    mine, theirs = _files(small_world), _files(other)
    assert mine.keys() == theirs.keys()
    assert all(mine[f] != theirs[f] for f in mine if f.startswith("reports/"))
    assert _truth(small_world, "hosting.json") != _truth(other, "hosting.json")


# ----------------------------------------------------------------------- calibration


def test_the_default_world_has_the_assessments_figures(default_world: Path) -> None:
    truth = _truth(default_world, "hosting.json")
    assert {"2012Q4", "2012Q4 --all", "2012"} <= truth.keys()
    q4 = truth["2012Q4"]
    assert (q4["period"], q4["start"], q4["end"], q4["scope"]) == ("2012Q4", "2012-10-01", "2013-01-01", "commercial")
    assert q4["urls"] == 1138
    types = {r["site_type"]: r for r in q4["by_site_type"]}
    assert 0.5 < types["banner"]["share"] < 0.53
    assert 1 / 3 < types["pay_per_view"]["share"] < 0.37
    assert set(types) == set(SITE_TYPES)
    shares = {(r["site_type"], r["country"]): round(100 * r["share"], 1) for r in q4["site_type_by_country"]}
    assert shares[("banner", "US")] == 42.5
    assert shares[("banner", "RU")] == 12.5
    assert shares[("banner", "KZ")] == 12.2
    assert shares[("pay_per_view", "US")] == 52.0
    assert shares[("pay_per_view", "KZ")] == 11.0
    assert shares[("pay_per_view", "RU")] == 9.8
    assert q4["previous"]["period"] == "2012Q3"
    assert 0 < q4["previous"]["urls"] < q4["urls"] and q4["previous"]["by_country"] != q4["by_country"]
    assert truth["2012"]["previous"]["period"] == "2011" and truth["2012"]["previous"]["urls"] > 0
    assert truth["2012Q4 --all"]["urls"] > q4["urls"] and truth["2012Q4 --all"]["scope"] == "all"
    for obj in truth.values():  # the documented sort orders
        rows = obj["by_country"]
        assert rows == sorted(rows, key=lambda r: (-r["urls"], r["country"]))
        assert sum(r["urls"] for r in rows) == obj["urls"]
        assert obj["multi_hosted"] == sorted(obj["multi_hosted"], key=lambda r: (-r["asns"], r["domain"]))
        assert obj["hopping_families"] == sorted(obj["hopping_families"], key=lambda r: (-r["hops"], r["label"]))


def test_other_sizes_scale(tmp_path: Path) -> None:
    summary = generate_world(tmp_path / "w", seed=3, reports=4000)
    assert summary.rows == 4000
    q4 = _truth(tmp_path / "w", "hosting.json")["2012Q4"]
    assert q4["urls"] == round(1138 * 4000 / DEFAULT_REPORTS)
    assert 0.45 < {r["site_type"]: r["share"] for r in q4["by_site_type"]}["banner"] < 0.56


def test_the_truth_follows_the_definitions() -> None:
    """A hand-made family, checked against docs/analysis.md read by a person."""
    orgs = build_orgs()
    us = next(o for o in orgs if o.country == "US")
    ru = next(o for o in orgs if o.country == "RU")
    host = HostInfo("www.oakridge1.test", "oakridge1.test", "oakridge1", "test", None)
    old = HostInfo("oakridge1.example", "oakridge1.example", "oakridge1", "example", None)

    def at(day: int, hour: int = 12) -> int:
        return int(datetime(2012, 10, day, hour, tzinfo=UTC).timestamp())

    a, b, c = "http://www.oakridge1.test/a", "http://www.oakridge1.test/b", "http://oakridge1.example/"
    recs = [
        Rec(at(1) - 40 * 86400, c, old, "HL-A", "1", "240.9.0.1", ru.index, True, None),  # Q3: hopping history
        Rec(at(2), b, host, "HL-B", "2", "240.1.0.9", us.index, False, None),  # an observation, not commercial
        Rec(at(3), a, host, "HL-A", "3", None, NO_ORG, None, "forum"),  # earliest stated type wins
        Rec(at(4), a, host, "HL-C", "4", "240.6.0.1", ru.index, True, "banner"),  # earliest IP in P
        Rec(at(5), b, host, "HL-A", "5", None, NO_ORG, True, None),  # no IP in P: falls back to day 2
    ]
    table = Table(Period.parse("2012Q4"), commercial=True)
    table.add(FamilyView(recs), orgs)
    got = table.to_json()
    assert got["urls"] == 2
    assert {(r["site_type"], r["country"]) for r in got["site_type_by_country"]} == {("forum", "RU"), ("other", "US")}
    assert got["multi_hosted"] == [
        {"domain": "oakridge1.test", "asns": 2, "hosts": 1, "asn_list": sorted([us.asn, ru.asn])}
    ]
    assert got["hopping_families"] == [{
        "label": "oakridge1", "suffixes": ["example", "test"], "hops": 1,
        "history": [
            {"suffix": "example", "domain": "oakridge1.example", "first_seen": "2012-08-22T12:00:00Z"},
            {"suffix": "test", "domain": "oakridge1.test", "first_seen": "2012-10-04T12:00:00Z"},
        ],
    }]


# ------------------------------------------------------------------------------ dirt


def test_every_bad_row_has_exactly_its_one_problem(default_world: Path, default_records: list[Any]) -> None:
    quarantine = {(q["file"], q["line"]): q["reason"] for q in map(json.loads, (default_world / "truth/quarantine.jsonl").open())}
    assert set(quarantine.values()) == BRIEF_REASONS == set(REASONS)
    seen, rows, keys = 0, 0, []
    for name, line, fields, extra in default_records:
        rows += 1
        reason = quarantine.get((name, line))
        assert problems(fields, extra) == ([reason] if reason else []), (name, line)
        seen += reason is not None
        if reason is None and fields is not None and fields.get("report_id"):
            keys.append((fields["source"], fields["report_id"]))
    ingest = _truth(default_world, "ingest.json")
    assert seen == len(quarantine) == ingest["quarantined"]
    assert rows == ingest["rows_read"] == ingest["stored"] + ingest["duplicates"] + ingest["quarantined"]
    assert len(keys) - len(set(keys)) == ingest["duplicates"] > 0


def test_the_files_vary_like_real_feeds(default_world: Path, default_records: list[Any]) -> None:
    raw = {p.name: p.read_bytes() for p in (default_world / "reports").iterdir()}
    assert any(n.endswith(".csv.gz") for n in raw) and any(n.endswith(".jsonl.gz") for n in raw)
    assert sum(data.startswith(b"\xef\xbb\xbf") for data in raw.values()) == 1
    headers = {n: _text(default_world / "reports" / n).readline().strip() for n in raw if ".csv" in n}
    assert len(set(headers.values())) >= 3
    assert sum("report_id" not in h for h in headers.values()) == 1
    assert any("analyst" in h for h in headers.values())
    json_kinds: set[tuple[str, str]] = set()
    all_notes: list[str] = []
    spelled: list[str] = []
    for _, _, fields, _ in default_records:
        if fields is None:
            continue
        json_kinds |= {(k, type(v).__name__) for k, v in fields.items() if k in ("commercial", "payment_types")}
        all_notes.append(_plain(fields.get("notes")))
        spelled.append(str(fields.get("url") or ""))
    assert {("commercial", "bool"), ("commercial", "str"), ("payment_types", "list"), ("payment_types", "str")} <= json_kinds
    assert any("\n" in n for n in all_notes) and any('"' in n for n in all_notes) and any("," in n for n in all_notes)
    checks = {
        "upper-case scheme": r"^\s*(HTTPS?|Https?)://", "trailing dot": r"://[^/]+\./", "default port": r":(80|443)/",
        "escape": r"%[0-9A-Fa-f]{2}", "dot segment": r"/\./|/\.\./", "fragment": r"#", "no scheme": r"^\s*[a-z0-9-]+\.[a-z]",
        "whitespace": r"^\s|\s$", "unicode host": r"[^\x00-\x7f]", "punycode host": r"xn--",
    }
    for what, pattern in checks.items():
        assert any(re.search(pattern, u) for u in spelled), what


def test_reported_times_cross_quarter_turns_with_offsets(default_records: list[Any]) -> None:
    crossing = 0
    styles: set[str] = set()
    for _, _, fields, _ in default_records:
        when = _plain((fields or {}).get("reported_at"))
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            continue
        styles.add("date" if len(when) == 10 else "Z" if when.endswith("Z") else "zone" if moment.tzinfo else "naive")
        if moment.tzinfo is not None and moment.utcoffset():
            utc = moment.astimezone(UTC)
            crossing += (utc.month - 1) // 3 != (moment.month - 1) // 3
    assert styles == {"date", "Z", "zone", "naive"}
    assert crossing >= 10


def test_the_world_has_hopping_and_multi_hosting(default_world: Path) -> None:
    q4 = _truth(default_world, "hosting.json")["2012Q4"]
    assert len(q4["multi_hosted"]) >= 10 and len(q4["hopping_families"]) >= 10
    assert any(h["hops"] >= 2 for h in q4["hopping_families"])
    assert {s["service"] for s in q4["shared_services"]} == {
        line.split(",")[0] for line in (default_world / "shared_services.csv").read_text().splitlines()[1:]
    }
    assert any(r["country"] == "unknown" for r in q4["by_country"])


# ---------------------------------------------------------------------------- safety


def test_everything_in_the_world_is_reserved_or_fictional(default_world: Path, default_records: list[Any]) -> None:
    hosts: set[str] = set()
    ips: set[str] = set()
    for path in default_world.rglob("*"):
        if not path.is_file():
            continue
        with _text(path) as handle:
            text = handle.read()
        assert ".onion" not in text
        hosts.update(re.sub(r":\d*$", "", m) for m in re.findall(r"://([^/?#\s\"',]*)", text))
        ips.update(re.findall(r"(?<![\w.:])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])", text))
        ips.update(m for m in re.findall(r"(?<![\w:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])", text) if "::" in m)
    for _, _, fields, _ in default_records:
        if fields is None:
            continue
        host = _host(str(fields.get("url") or ""))
        hosts.add(host)
        if fields.get("ip"):
            ips.add(str(fields["ip"]))
        if host.lower().rstrip(".").endswith(".invalid"):  # a hidden service: always says so, never an IP
            assert fields.get("site_type") == "hidden_service" and not fields.get("ip"), fields
    hosts.discard("")
    assert hosts and all(h.lower().rstrip(".").endswith(RESERVED_TLDS) for h in hosts), sorted(
        h for h in hosts if not h.lower().rstrip(".").endswith(RESERVED_TLDS)
    )[:5]
    checked = 0
    for text in ips:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue  # a deliberately bad IP (999.1.2.3) or not an address at all
        checked += 1
        assert any(ip in net for net in RESERVED_NETWORKS), text
    assert checked > 100
    for line in (default_world / "iptoasn.tsv").read_text().splitlines():
        start, end, asn, country, organisation = line.split("\t")
        assert any(ipaddress.ip_address(start) in n and ipaddress.ip_address(end) in n for n in RESERVED_NETWORKS)
        assert 64512 <= int(asn) <= 65534 or int(asn) >= 4200000000
        assert re.fullmatch(r"[A-Z]{2}", country) and " Example " in organisation
    for obj in _truth(default_world, "hosting.json").values():
        for row in obj["asns"] + obj["previous"]["asns"]:
            assert 64512 <= row["asn"] <= 65534 or row["asn"] >= 4200000000
        for row in obj["multi_hosted"] + obj["hopping_families"]:
            for domain in [row.get("domain")] + [h["domain"] for h in row.get("history", [])]:
                assert domain is None or domain.endswith(RESERVED_TLDS)


# ----------------------------------------------------------------------------- names


def test_labels_never_repeat() -> None:
    joined = [a + b for a, b in product(names.FIRST_WORDS, names.SECOND_WORDS)]
    assert len(set(joined)) == len(joined) == 64 * 64
    labels = [names.site_label(i, salt=99) for i in range(1, 20001)]
    assert len(set(labels)) == len(labels)
    hidden = [names.hidden_label(i, random.Random(i)) for i in range(1, 5001)]
    assert len(set(hidden)) == len(hidden) and all(len(h) == 16 for h in hidden)


def test_spellings_canonicalise_back_with_the_pipelines_canonicaliser() -> None:
    urls_module = pytest.importorskip("vigil.urls")
    rng = random.Random(1)
    cases = [
        ("http://www.oakridge1.test/", None),
        ("https://oakridge1.freenames.test/en/item-12/?id=7", None),
        ("http://xn--kvalimeru-07a.test/catalog/section-3/", "kövalimeru.test"),
        ("http://abcdefghijk2345a.invalid/p/123", None),
    ]
    for url, unicode_host in cases:
        for _ in range(300):
            spelled = spell_url(url, unicode_host, rng, dirty=1.0)
            assert urls_module.canonicalize_url(spelled).url == url, spelled
    # the dirtier feed's extra spellings (vigil synth --dirt) canonicalise back too
    kinds: set[str] = set()
    for url, unicode_host in cases:
        spelled_set = {spell_url(url, unicode_host, rng, dirty=1.0, extra=True) for _ in range(2000)}
        for spelled in spelled_set:
            assert urls_module.canonicalize_url(spelled).url == url, spelled
            kinds.update(k for k, mark in (("backslash", "\\"), ("userinfo", "@"), ("tab", "\t"), ("dots", "%2")) if mark in spelled)
        assert len(spelled_set) > 500
    assert kinds == {"backslash", "userinfo", "tab", "dots"}
