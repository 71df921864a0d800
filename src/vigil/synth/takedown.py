"""A synthetic notice-and-takedown world with ground truth (``vigil takedown synth``).

Fictional hosting networks (documentation IPs, private ASNs), registrars and registries of
``.test``/``.example``/``.invalid``, brands in chains of URLs (each next URL of a brand appears
after the previous one was removed: a reappearance, sometimes under another suffix: a TLD
hop), notices with known fates (acknowledged, bounced, ignored) and removals at known times.

Files written (``out/``)::

    cases.jsonl        one takedown case per URL (docs/disruption.md)
    history.csv        detected, assessed, notice_sent, acknowledged events
    rechecks.csv       analysts' re-checks (online / offline)
    replies/*.eml      a bounce for each notice to the network whose mailbox is dead
    rdap/…             recorded RDAP answers (ip/, autnum/, domain/) — the offline cache
    contacts.toml      the user's contacts file (upstreams, registries, processors, wallets)
    processors.toml    the processors its cases name (give it to --processors)
    truth/takedown.json  league tables for every grouping, reappearance links, live URLs

The truth is computed from the plan, not from the files: the pipeline must find it again.
"""

from __future__ import annotations

import csv
import json
import math
import random
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vigil.synth.procfile import write_processors

START = datetime(2012, 1, 2, 8, 0)
SUFFIXES = ("test", "example", "invalid")
COUNTRIES = ("US", "NL", "RU", "KZ", "DE", "US", "RU", "NL")
PROCESSORS = ("Example Card Gateway", "Example Wallet", "Example SMS Billing")
ORG = "hotline"
PERIODS = ("2012", "2012Q2")
GROUPINGS = ("host", "asn", "country", "registrar", "processor")


@dataclass
class Net:
    n: int
    name: str
    asn: int
    country: str
    upstream: int
    mean_days: float
    ack: float
    contact: str  # ok | redacted | bounces


@dataclass
class Url:
    url: str
    host: str
    domain: str
    suffix: str
    brand: str
    distributor: str
    net: Net
    ip: str
    registrar: str
    processor: str
    account: str
    wallet: str | None
    price: str
    dedicated: bool
    marking: str
    owner: str
    detected: datetime
    assessed: datetime
    notice: datetime
    removed: datetime | None
    ack: datetime | None
    checks: list[tuple[datetime, str]] = field(default_factory=list)
    came_back_from: str | None = None


def _ip(n: int, k: int) -> str:
    nets = ("192.0.2", "198.51.100", "203.0.113")
    return f"{nets[n // 4]}.{(n % 4) * 64 + 1 + k % 60}"


def _vcard(name: str, email: str | None) -> list[Any]:
    props: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", name]]
    if email is not None:
        props.append(["email", {}, "text", email])
    return ["vcard", props]


def plan(seed: int = 14, brands: int = 36) -> tuple[list[Net], list[str], list[Url]]:
    rng = random.Random(seed)
    nets = [Net(i, f"Example Hosting {i + 1}", 64512 + i, COUNTRIES[i], 64530 + i % 3, [0.6, 1.5, 3, 6, 12, 25, 4, 2][i],
                [0.9, 0.7, 0.5, 0.3, 0.1, 0.0, 0.4, 0.6][i], "redacted" if i == 5 else "bounces" if i == 6 else "ok")
            for i in range(8)]  # fmt: skip
    registrars = [f"Example Registrar {c}" for c in "ABCD"]
    urls: list[Url] = []
    for b in range(brands):
        distributor = f"dist-{b % 6 + 1}"
        brand = f"brand-{b + 1:02d}"
        processor = PROCESSORS[b % 6 % 3]
        account = f"M-{b % 6 + 1:03d}{'' if b % 2 else 'X'}"
        wallet = f"btc:bc1qsynthwallet{b % 6:02d}" if b % 6 in (1, 4) else None
        label = f"shop{b + 1:02d}"
        at = START + timedelta(days=rng.uniform(0, 150), minutes=rng.randrange(0, 1440))
        suffix = SUFFIXES[b % 3]
        previous: Url | None = None
        for k in range(rng.randint(1, 5)):
            if k and rng.random() < 0.5:
                suffix = SUFFIXES[(SUFFIXES.index(suffix) + 1) % 3]  # a TLD hop
            net = nets[rng.randrange(len(nets))]
            shared = rng.random() < 0.15
            domain = "freehost.test" if shared else f"{label}-{k + 1}.{suffix}" if rng.random() < 0.3 else f"{label}.{suffix}"
            host = f"{label}.freehost.test" if shared else domain
            detected = at.replace(second=0, microsecond=0)
            assessed = detected + timedelta(hours=rng.randint(1, 30))
            notice = assessed + timedelta(hours=rng.randint(1, 12))
            gone = rng.random() < 0.85
            removed = notice + timedelta(minutes=int(rng.expovariate(1 / net.mean_days) * 1440) + 5) if gone else None
            ack = notice + timedelta(hours=rng.randint(2, 20)) if rng.random() < net.ack and net.contact == "ok" else None
            if ack and removed and ack >= removed:
                ack = None
            marking, owner = "TLP:AMBER", ORG
            roll = rng.random()
            if roll < 0.05:
                marking = "TLP:RED"
            elif roll < 0.10:
                owner = "partner-hotline"
            elif roll < 0.18:
                marking, owner = "TLP:GREEN", "partner-hotline"
            item = Url(f"http://{host}/p{k + 1}", host, domain, domain.rpartition(".")[2], brand, distributor, net,
                       _ip(net.n, b * 7 + k), registrars[(b + k) % 4], processor, f"{processor.lower().replace(' ', '-')}:{account}",
                       wallet, f"{19 + b % 5}.95 USD", not shared, marking, owner, detected, assessed, notice, removed, ack)  # fmt: skip
            if removed is None or removed > notice + timedelta(hours=6):
                item.checks.append((notice + timedelta(hours=6), "online"))
            if removed is not None:
                item.checks.append((removed, "offline"))
            if previous is not None and previous.removed is not None:
                item.came_back_from = previous.url
            urls.append(item)
            previous = item
            if removed is None:
                break
            at = removed + timedelta(days=rng.uniform(0.5, 20))
    # one URL per (brand, url); duplicate URLs across steps are renamed
    seen: Counter[str] = Counter()
    for item in urls:
        seen[item.url] += 1
        if seen[item.url] > 1:
            item.url = f"{item.url}-{seen[item.url]}"
    return nets, registrars, urls


def _league(urls: list[Url], by: str, period: str, as_of: datetime) -> list[dict[str, Any]]:
    year = 2012
    start, end = (datetime(year, 4, 1), datetime(year, 7, 1)) if period.endswith("Q2") else (datetime(year, 1, 1), datetime(year + 1, 1, 1))
    def key(u: Url) -> str:
        return {"host": u.net.name, "asn": f"AS{u.net.asn}", "country": u.net.country, "registrar": u.registrar,
                "processor": u.processor}[by]  # fmt: skip

    groups: dict[str, list[Url]] = defaultdict(list)
    for u in urls:
        if start <= u.notice < end:
            groups[key(u)].append(u)
    rows = []
    for g, members in groups.items():
        n = len(members)
        ttr = [(u.removed - u.notice).total_seconds() / 3600 for u in members if u.removed and u.removed <= as_of]
        eligible = [u for u in members if u.notice + timedelta(days=42) <= as_of]
        up = [u for u in eligible if u.removed is None or u.removed - u.notice > timedelta(days=42)]
        repeat = [u for u in members if any(v.brand == u.brand and key(v) == g and v.notice < u.notice for v in urls)]
        silent = [u for u in members if u.removed is None and u.ack is None]

        def within(days: int, m: list[Url] = members) -> float:
            return round(sum(1 for u in m if u.removed and u.removed - u.notice <= timedelta(days=days)) / n, 4)

        rows.append({"group": g, "noticed": n, "removed": len(ttr),
                     "median_hours": round(statistics.median(ttr), 2) if ttr else None,
                     "p90_hours": round(sorted(ttr)[math.ceil(0.9 * len(ttr)) - 1], 2) if ttr else None,
                     "removed_1d": within(1), "removed_3d": within(3), "removed_7d": within(7), "eligible_42d": len(eligible),
                     "up_after_42d": round(len(up) / len(eligible), 4) if eligible else None,
                     "repeat_offence": round(len(repeat) / n, 4), "non_response": round(len(silent) / n, 4), "outcomes": {}})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["noticed"], r["group"]))


def generate(out: Path, *, seed: int = 14, brands: int = 36) -> dict[str, Any]:
    """Write the world into ``out``; returns its truth."""
    nets, registrars, urls = plan(seed, brands)
    out = Path(out)
    for sub in ("rdap/ip", "rdap/autnum", "rdap/domain", "replies", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    write_processors(out)  # the processors its cases name, for --processors
    with open(out / "cases.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({
                "url": u.url, "host": u.host, "domain": u.domain, "suffix": u.suffix, "ip": u.ip, "asn": u.net.asn,
                "country": u.net.country, "hosting_org": u.net.name, "registrar": u.registrar, "registry": f"Registry of .{u.suffix}",
                "brand": u.brand, "distributor": u.distributor, "processor": u.processor, "merchant_account": u.account,
                "wallets": [u.wallet] if u.wallet else [], "emails": [f"sales@{u.brand}.example"],
                "payment_forms": [f"https://pay.{u.brand}.example/checkout"], "prices": [u.price],
                "evidence_ref": f"capture:{u.brand}:{u.url.rsplit('/', 1)[1]}", "dedicated": u.dedicated,
                "owner_org": u.owner, "marking": u.marking, "detected_at": u.detected.isoformat(),
                "assessed_at": u.assessed.isoformat()}, sort_keys=True) + "\n" for u in urls)  # fmt: skip
    events: list[list[str]] = []
    for u in urls:
        events.append([u.url, "notice_sent", u.notice.isoformat(), "history", f"host:{u.net.name}", "1"])
        if u.ack:
            events.append([u.url, "acknowledged", u.ack.isoformat(), "history", f"host:{u.net.name}", ""])
    with open(out / "history.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "stage", "at", "source", "recipient", "detail"])
        writer.writerows(sorted(events))
    with open(out / "rechecks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "checked_at", "status", "analyst"])
        writer.writerows(sorted([u.url, at.isoformat(), status, "analyst-1"] for u in urls for at, status in u.checks))
    for net in nets:
        email = {"ok": f"abuse@hosting{net.n + 1}.example", "redacted": "REDACTED", "bounces": f"abuse@hosting{net.n + 1}.example"}[net.contact]
        rdap = {"objectClassName": "ip network", "name": f"EXAMPLE-HOSTING-{net.n + 1}", "entities": [
            {"objectClassName": "entity", "roles": ["registrant"], "vcardArray": _vcard(net.name, None),
             "entities": [{"objectClassName": "entity", "roles": ["abuse"], "vcardArray": _vcard("Abuse", email)}]}]}  # fmt: skip
        for ip in {u.ip for u in urls if u.net is net}:
            (out / "rdap" / "ip" / f"{ip}.json").write_text(json.dumps(rdap, indent=1, sort_keys=True))
    for up in sorted({n.upstream for n in nets}):
        (out / "rdap" / "autnum" / f"{up}.json").write_text(json.dumps({
            "objectClassName": "autnum", "name": f"EXAMPLE-TRANSIT-{up}", "entities": [
                {"objectClassName": "entity", "roles": ["registrant"], "vcardArray": _vcard(f"Example Transit {up}", None)},
                {"objectClassName": "entity", "roles": ["abuse"], "vcardArray": _vcard("Abuse", f"abuse@transit{up}.example")}]},
            indent=1, sort_keys=True))  # fmt: skip
    for domain, registrar in sorted({(u.domain, u.registrar) for u in urls}):
        letter = registrar[-1].lower()
        email = "REDACTED FOR PRIVACY" if letter == "d" else f"abuse@registrar-{letter}.example"
        (out / "rdap" / "domain" / f"{domain}.json").write_text(json.dumps({
            "objectClassName": "domain", "ldhName": domain, "entities": [
                {"objectClassName": "entity", "roles": ["registrar"], "vcardArray": _vcard(registrar, None),
                 "entities": [{"objectClassName": "entity", "roles": ["abuse"], "vcardArray": _vcard("Abuse", email)}]}]},
            indent=1, sort_keys=True))  # fmt: skip
    lines = ["# contacts for the synthetic takedown world (fictional)"]
    for net in nets:
        lines += [f'[asn."{net.asn}"]', f"upstream = {net.upstream}"]
    for s in SUFFIXES:
        lines += [f'[registry."{s}"]', f'name = "Registry of .{s}"', f'address = "abuse@registry-{s}.example"']
    for p in PROCESSORS:
        lines += [f'[processor."{p}"]', f'address = "compliance@{p.lower().replace(" ", "-")}.example"']
    for w in sorted({u.wallet for u in urls if u.wallet}):
        lines += [f'[wallet."{w.partition(":")[2]}"]', 'service = "Example Exchange"', 'address = "compliance@exchange.example"']
    (out / "contacts.toml").write_text("\n".join(lines) + "\n")
    dead = [n for n in nets if n.contact == "bounces"]
    for net in dead:
        (out / "replies" / f"bounce-{net.n + 1}.eml").write_text(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example>\nSubject: Undelivered Mail Returned to Sender\n"
            "Date: Mon, 02 Jan 2012 09:00:00 +0000\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\nfailed\n'
            f"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; abuse@hosting{net.n + 1}.example\n"
            "Action: failed\nStatus: 5.1.1\n\n--b--\n")  # fmt: skip
    as_of = max([u.assessed for u in urls] + [u.notice for u in urls] + [a for u in urls for a, _ in u.checks]
                + [u.ack for u in urls if u.ack])  # fmt: skip
    truth = {
        "seed": seed, "as_of": as_of.isoformat(), "urls": len(urls),
        "league": {p: {by: _league(urls, by, p, as_of) for by in GROUPINGS} for p in PERIODS},
        "reappearances": sorted([u.url, u.came_back_from] for u in urls if u.came_back_from),
        "live_urls": sorted(u.url for u in urls if u.removed is None),
        "unreliable": sorted(f"abuse@hosting{n.n + 1}.example" for n in dead),
        "tld_hopping_brands": sorted({u.brand for u in urls if len({v.suffix for v in urls if v.brand == u.brand}) > 1}),
    }
    (out / "truth" / "takedown.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
    return truth
