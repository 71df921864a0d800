"""The ``market`` world: offers, prices and channels with known truth (assessment §2.2, §2.3).

Small on purpose (a few hundred reports, 160 captures). Eight quarters, 2011Q1-2012Q4:

* **Brands** — ten fictional clubs of four distributors (a distributor's brands share its
  merchant account). Each brand has a page structure of its own (class vocabulary, nesting,
  where its plans are: a table, a list or a select's options) and sells two or three plans
  written in its own currency spelling (``€9.95``, ``9,95 EUR``, ``USD 19.99``, ``£10``,
  ``1299 руб.``, ``CHF 12.00``) with a clue for the offer type (*monthly access*, *3-day
  trial*, *per set*, *pay per view*, *lifetime access*). Prices rise a little each quarter.
  Every brand is captured twice a quarter. Brand *i* shows a bitcoin address from quarter
  *i* on (brands 8 and 9 never do): the share of brands accepting virtual currency rises,
  the shift the assessment and the IWF report.
* **Channels** — reports of hidden services (reserved ``.invalid`` names whose reports say
  ``hidden_service``, as in every synthetic world; ever more of them commercial: the
  emerging issue of fees for access on Tor), peer-to-peer and live-streaming URLs (channel
  stated in the report), cyberlockers (stated, spelled ``Cyberlocker``), forums (found on
  their captured pages by a forum software's generator tag) and the plain web.
* **Rates** — ``rates.csv``, a small fictional table of quarterly rates to EUR (no CHF:
  CHF prices stay unconverted).

The truth (``truth/market.json``) is computed here from what was written, with this
module's own plain code (docs/market.md's definitions): every capture's offers, every URL's
channel, ``vigil stats offers`` for 2012Q4 and 2012Q3 (distributor IDs left out) and the
channel series of ``vigil stats channels --from 2011Q1 --to 2012Q4``.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from vigil.synth.captures.identifiers import IdentifierFactory
from vigil.synth.captures.pages import TEXT, TIERS, WORDS, prefix_for
from vigil.synth.outputs import WorldSummary

QUARTERS = 8  # 2011Q1 .. 2012Q4
BRANDS = 10
DISTRIBUTOR_OF = (0, 0, 0, 0, 1, 1, 1, 2, 2, 3)
PAY_OF = ("cardgate", "cardgate", "cardgate", "wallet")  # per distributor
PAY_TYPE = {"cardgate": "credit_card", "wallet": "digital_wallet"}
CURRENCY_OF = ("EUR", "USD", "GBP", "RUB", "EUR", "USD", "EUR", "GBP", "USD", "CHF")
OFFER_TYPES = ("subscription", "pay_per_view", "per_item", "lifetime", "trial", "unknown")
SECOND = ("trial", "per_item", "pay_per_view", "lifetime")
CLUES = {("subscription", 30): "monthly access", ("subscription", 7): "weekly access", ("trial", 3): "3-day trial",
         ("per_item", None): "per set", ("pay_per_view", None): "pay per view", ("lifetime", None): "lifetime access"}  # fmt: skip
BASE = {("subscription", 30): Decimal("9.95"), ("subscription", 7): Decimal("4.95"), ("trial", 3): Decimal("1.95"),
        ("per_item", None): Decimal("3.50"), ("pay_per_view", None): Decimal("2.50"), ("lifetime", None): Decimal("49.00")}  # fmt: skip
RATES = {"USD": ("0.80", "-0.01"), "GBP": ("1.20", "0.01"), "RUB": ("0.025", "0")}  # start, step per quarter
ONION_COMMERCIAL = (0, 1, 1, 2, 3, 4, 5, 6)  # of 6 hidden-service URLs a quarter
CYBERLOCKER_COMMERCIAL = (2, 1, 2, 1, 2, 1, 2, 1)  # of 4


def _quarter(q: int) -> tuple[date, str]:
    year, n = 2011 + q // 4, q % 4 + 1
    return date(year, 3 * n - 2, 1), f"{year}Q{n}"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class _Brand:
    index: int
    name: str
    host: str
    prefix: str
    style: int  # 0 table, 1 list, 2 select
    currency: str
    offers: tuple[tuple[str, int | None], ...]
    merchant: tuple[str, str, str]  # action, field, account
    btc: str
    adopts: int  # first quarter showing the bitcoin address (QUARTERS: never)

    def price(self, offer: tuple[str, int | None], q: int) -> Decimal:
        base = BASE[offer] * (1 + Decimal(self.index) / 10) + Decimal("0.25") * q
        if self.currency == "RUB":
            return Decimal(int(base * 40))
        return _cents(base)

    def spell(self, amount: Decimal) -> str:
        text = f"{amount:.2f}" if self.currency != "RUB" else f"{amount:.0f}"
        return {
            0: f"&euro;{text}", 1: f"${text}", 2: f"&pound;{text}", 3: f"{text} руб.", 4: f"{text.replace('.', ',')} EUR",
            5: f"USD {text}", 6: f"€{text}", 7: f"£{text}", 8: f"US$ {text}", 9: f"CHF {text}",
        }[self.index]  # fmt: skip


@dataclass
class _Capture:
    capture_id: str
    url: str
    when: datetime
    brand: int | None
    offers: list[tuple[str, int | None, float, str]] = field(default_factory=list)
    btc: bool = False


def _page(b: _Brand, q: int, rng: random.Random, when: datetime) -> tuple[str, list[tuple[str, int | None, float, str]], bool]:
    pf = b.prefix
    rows, truth = [], []
    for k, offer in enumerate(b.offers):
        amount = b.price(offer, q)
        plan, clue, price = TIERS[k], CLUES[offer], b.spell(amount)
        truth.append((offer[0], offer[1], float(amount), b.currency))
        if b.style == 0:
            rows.append(f'<tr class="{pf}-row"><th>{plan}</th><td>{clue}</td><td class="{pf}-price">{price}</td></tr>')
        elif b.style == 1:
            rows.append(f'<li class="{pf}-row"><b>{plan}</b> {price} {clue}</li>')
        else:
            rows.append(f'<option value="{k + 1}">{plan} {clue} - {price}</option>')
    plans = {0: f'<table class="{pf}-plans">{"".join(rows)}</table>', 1: f'<ul class="{pf}-plans">{"".join(rows)}</ul>',
             2: f'<form class="{pf}-join" action="/join"><select name="plan">{"".join(rows)}</select></form>'}[b.style]  # fmt: skip
    btc = q >= b.adopts
    alt = f"Bitcoin: {b.btc}" if btc else "Cards and wallets only"
    words = " ".join(rng.choice(TEXT) for _ in range(12))
    action, name, account = b.merchant
    body = (
        f'<h1 class="{pf}-title">{b.name}</h1><p class="{pf}-intro">{words}</p>{plans}'
        f'<form class="{pf}-pay" method="post" action="{action}"><input type="hidden" name="{name}" value="{account}">'
        f'<button class="{pf}-btn">Join now</button></form><p class="{pf}-alt">{alt}</p>'
        f'<p class="{pf}-note">Updated {when:%Y-%m-%d}; {rng.randrange(1000, 99999):,} members</p>'
    )
    for depth in range(1 + b.index % 4):
        body = f'<div class="{pf}-wrap{depth}">{body}</div>'
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{b.name}</title>'
            f'<link rel="stylesheet" href="/css/{pf}.css"></head>\n<body class="{pf}-page">{body}</body></html>\n')  # fmt: skip
    return html, truth, btc


def _forum_page(n: int, rng: random.Random) -> str:
    words = " ".join(rng.choice(TEXT) for _ in range(10))
    return (f'<!DOCTYPE html>\n<html><head><meta name="generator" content="phpBB 3.0"><title>Board {n}</title></head>'
            f'<body><div class="forumbg"><h2>Topic {n}</h2><p>{words}</p></div></body></html>\n')  # fmt: skip


class _MarketRun:
    def __init__(self, out: Path, seed: int) -> None:
        self.out, self.seed = out, seed
        self.rng = random.Random(f"market-{seed}")
        self.reports: list[dict[str, str]] = []
        self.captures: list[_Capture] = []
        self.channel_of: dict[str, str] = {}
        self.commercial: dict[tuple[int, str], set[str]] = defaultdict(set)  # (quarter, channel) → URLs
        self.reported: dict[tuple[int, str], set[str]] = defaultdict(set)
        self.quarantined = 0

    def report(self, q: int, url: str, commercial: bool, channel: str, stated: str = "") -> None:
        start, _ = _quarter(q)
        when = datetime(start.year, start.month, start.day) + timedelta(days=self.rng.randrange(2, 85), hours=self.rng.randrange(24))
        self.reports.append({"report_id": f"mr{len(self.reports) + 1:05d}", "source": "HL-M", "reported_at": when.isoformat() + "Z",
                             "url": url, "commercial": "yes" if commercial else "no", "channel": stated})  # fmt: skip
        self.channel_of[url] = channel
        self.reported[(q, channel)].add(url)
        if commercial:
            self.commercial[(q, channel)].add(url)

    def run(self) -> dict[str, Any]:
        rng = self.rng
        ids = IdentifierFactory(random.Random(f"market-ids-{self.seed}"), self.seed)
        pays = [ids.pay(PAY_OF[d], f"mk{d}") for d in range(4)]
        brands = []
        for i in range(BRANDS):
            second = SECOND[i % 4]
            offers: list[tuple[str, int | None]] = [("subscription", 30)]
            if i % 2 == 0:
                offers.append(("subscription", 7))
            offers.append((second, 3 if second == "trial" else None))
            pay = pays[DISTRIBUTOR_OF[i]]
            brands.append(_Brand(
                i, f"Example {WORDS[(3 * i + self.seed) % len(WORDS)].title()} Club {i}", f"club{i}-{WORDS[i].lower()}.test",
                prefix_for(40 + i), i % 3, CURRENCY_OF[i], tuple(offers), (pay.action, pay.field, pay.account),
                ids.contact("btc", f"mk{i}").value, min(QUARTERS, i),
            ))  # fmt: skip
        pages = self.out / "captures" / "analyst-tool"
        (pages / "pages").mkdir(parents=True)
        manifest: list[dict[str, Any]] = []
        for q in range(QUARTERS):
            start, _ = _quarter(q)
            for b in brands:
                url = f"http://{b.host}/join"
                self.report(q, url, True, "web")
                for k in range(2):
                    when = datetime(start.year, start.month, start.day) + timedelta(days=10 + 40 * k + b.index, hours=b.index)
                    html, shown, btc = _page(b, q, rng, when)
                    self._capture(pages, manifest, url, when, html, b.index, shown, btc)
            for n in range(6):
                # as in every synthetic world, a hidden service is a reserved .invalid name that says what it is
                self.report(q, f"http://hs{q}{n}-{rng.randrange(10**6)}.invalid/", n < ONION_COMMERCIAL[q], "hidden_service",
                            "hidden_service")  # fmt: skip
            for n in range(3):
                self.report(q, f"http://share{q}-{n}.test/list/{rng.randrange(10**4)}", False, "p2p", "p2p")
            for n in range(4):
                self.report(q, f"http://locker{n}.test/f/{q}{rng.randrange(10**5)}", n < CYBERLOCKER_COMMERCIAL[q], "cyberlocker",
                            "Cyberlocker" if n % 2 else "cyberlocker")  # fmt: skip
            self.report(q, f"http://live{q}.test/room/{rng.randrange(100)}", True, "live_streaming", "live streaming")
            for n in range(2):
                url = f"http://board{q}{n}.test/t/{rng.randrange(10**4)}"
                self.report(q, url, False, "forum")
                when = datetime(start.year, start.month, start.day) + timedelta(days=20 + n)
                self._capture(pages, manifest, url, when, _forum_page(q * 10 + n, rng), None, [], False)
            for n in range(5):
                self.report(q, f"http://plain{q}-{n}.test/{rng.randrange(10**4)}", False, "web")
        (pages / "manifest.jsonl").write_text("".join(json.dumps(m) + "\n" for m in manifest), encoding="utf-8")
        bad = {"report_id": "mr-bad", "source": "HL-M", "reported_at": "2012-11-30T00:00:00Z", "url": "http://odd.test/",
               "commercial": "no", "channel": "telegraph"}  # fmt: skip
        with open(self.out / "reports" / "reports.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(bad), lineterminator="\n")
            writer.writeheader()
            writer.writerows(self.reports + [bad])
        self.quarantined = 1
        self._write_rates()
        return self._truth(brands)

    def _capture(self, pages: Path, manifest: list[dict[str, Any]], url: str, when: datetime, html: str,
                 brand: int | None, offers: list[tuple[str, int | None, float, str]], btc: bool) -> None:  # fmt: skip
        n = len(self.captures) + 1
        name = f"pages/{n:06d}.html"
        (pages / name).write_text(html, encoding="utf-8")
        capture = _Capture(f"MK{n:05d}", url, when, brand, offers, btc)
        self.captures.append(capture)
        manifest.append({"capture_id": capture.capture_id, "url": url, "captured_at": when.isoformat() + "Z",
                         "file": name, "source": "HL-M"})  # fmt: skip

    def _write_rates(self) -> None:
        rows = ["date,currency,eur"]
        for q in range(QUARTERS):
            start, _ = _quarter(q)
            for currency, (first, step) in RATES.items():
                rows.append(f"{start.isoformat()},{currency},{Decimal(first) + Decimal(step) * q}")
        (self.out / "rates.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == "EUR":
            return Decimal(1)
        if currency not in RATES:
            return None
        q = (day.year - 2011) * 4 + (day.month - 1) // 3
        first, step = RATES[currency]
        return Decimal(first) + Decimal(step) * q if 0 <= q < QUARTERS else None

    # ------------------------------------------------------------------ truth
    def _truth(self, brands: list[_Brand]) -> dict[str, Any]:
        labels = [_quarter(q)[1] for q in range(QUARTERS)]
        channels = {}
        for channel in ("web", "hidden_service", "p2p", "cyberlocker", "forum", "live_streaming"):
            series = [[len(self.reported[(q, channel)]), len(self.commercial[(q, channel)])] for q in range(QUARTERS)]
            every = set().union(*(self.reported[(q, channel)] for q in range(QUARTERS)))
            paid = set().union(*(self.commercial[(q, channel)] for q in range(QUARTERS)))
            channels[channel] = {"series": series, "urls": len(every), "commercial_urls": len(paid)}
        url_channels = dict(self.channel_of)
        url_channels.update({f"http://{b.host}/join": "web" for b in brands})
        return {
            "captures": {c.capture_id: [list(o) for o in c.offers] for c in self.captures},
            "url_channels": url_channels,
            "offers": {labels[q]: self._offers(q, brands) for q in (QUARTERS - 2, QUARTERS - 1)},
            "channels": {"from": labels[0], "to": labels[-1], "by_channel": channels, "emerging": ["hidden_service"]},
            "ingest": {"stored": len(self.reports), "quarantined": self.quarantined},
        }

    def _points(self, q: int) -> list[dict[str, Any]]:
        start, _ = _quarter(q)
        end, _ = _quarter(q + 1)
        first: dict[tuple[Any, ...], datetime] = {}
        for c in self.captures:
            if c.brand is None or not start <= c.when.date() < end:
                continue
            for kind, days, amount, currency in c.offers:
                key = (c.brand, kind, days, amount, currency)
                first[key] = min(first.get(key, c.when), c.when)
        points = []
        for (brand, kind, days, amount, currency), when in sorted(first.items(), key=lambda kv: str(kv[0])):
            rate = self.rate(currency, when.date())
            eur = float(_cents(Decimal(repr(amount)) * rate)) if rate is not None else None
            points.append({"brand": brand, "offer_type": kind, "period_days": days, "currency": currency, "eur": eur})
        return points

    def _offers(self, q: int, brands: list[_Brand]) -> dict[str, Any]:
        points, before = self._points(q), self._points(q - 1)

        def summary(values: list[float]) -> dict[str, Any]:
            v = sorted(values)

            def at(p: float) -> float:
                pos = (len(v) - 1) * p
                lo = int(pos)
                hi = min(lo + 1, len(v) - 1)
                return round(v[lo] + (v[hi] - v[lo]) * (pos - lo), 4)

            return {"n": len(v), "min_eur": v[0], "q1_eur": at(0.25), "median_eur": at(0.5), "q3_eur": at(0.75), "max_eur": v[-1]}

        prices = []
        for kind in OFFER_TYPES:
            mine = [p for p in points if p["offer_type"] == kind]
            if not mine:
                continue
            row = summary([p["eur"] for p in mine if p["eur"] is not None])
            row["unconverted"] = sum(1 for p in mine if p["eur"] is None)
            old = [p["eur"] for p in before if p["offer_type"] == kind and p["eur"] is not None]
            row["previous_median_eur"] = summary(old)["median_eur"] if old else None
            row["median_change_eur"] = round(row["median_eur"] - row["previous_median_eur"], 4) if old else None
            prices.append({"offer_type": kind, **row})
        offering = sorted({p["brand"] for p in points})
        total = len(offering)
        by_type = [{"offer_type": k, "brands": n, "share": n / total} for k in OFFER_TYPES
                   if (n := len({p["brand"] for p in points if p["offer_type"] == k}))]  # fmt: skip
        subs = defaultdict(list)
        for p in points:
            if p["offer_type"] == "subscription" and p["eur"] is not None:
                subs[p["period_days"]].append(p["eur"])
        dists = []
        for d in sorted(set(DISTRIBUTOR_OF)):
            mine = [p for p in points if DISTRIBUTOR_OF[p["brand"]] == d]
            eur = [p["eur"] for p in mine if p["eur"] is not None]
            dists.append({"brands": len({p["brand"] for p in mine}), "price_points": len(mine),
                          "median_eur": summary(eur)["median_eur"] if eur else None,
                          "offer_types": sorted({p["offer_type"] for p in mine})})  # fmt: skip
        currencies = defaultdict(list)
        for p in points:
            currencies[p["currency"]].append(p)
        start, _ = _quarter(q)
        end, _ = _quarter(q + 1)
        seen = [c for c in self.captures if c.brand is not None and start <= c.when.date() < end]
        accepted = defaultdict(set)
        for c in seen:
            accepted[PAY_TYPE[PAY_OF[DISTRIBUTOR_OF[c.brand]]]].add(c.brand)  # type: ignore[index]
            if c.btc:
                accepted["virtual_currency"].add(c.brand)
        virtual = []
        for k in range(q - QUARTERS + 1, q + 1):  # the eight quarters ending with this one
            s, label = _quarter(k)
            e, _ = _quarter(k + 1)
            active = {c.brand for c in self.captures if c.brand is not None and c.offers and s <= c.when.date() < e}
            vc = {c.brand for c in self.captures if c.brand is not None and c.offers and c.btc and s <= c.when.date() < e}
            share = len(vc) / len(active) if active else 0.0
            virtual.append({"period": label, "brands": len(active), "brands_virtual": len(vc), "share": share})
        return {
            "price_points": len(points), "unconverted": sum(1 for p in points if p["eur"] is None),
            "brands_with_offers": total, "sellers_with_offers": total,
            "prices_by_offer_type": prices, "brands_by_offer_type": by_type,
            "subscriptions_by_period": [{"period_days": d, **summary(v)} for d, v in sorted(subs.items())],
            "prices_by_distributor": sorted(dists, key=lambda r: (-r["price_points"], json.dumps(r))),
            "currencies": sorted(({"currency": c, "price_points": len(m), "brands": len({p["brand"] for p in m})}
                                  for c, m in currencies.items()), key=lambda r: (-r["price_points"], r["currency"])),
            "payment_types": sorted(({"payment_type": t, "brands": len(b), "share": len(b) / total} for t, b in accepted.items()),
                                    key=lambda r: (-r["brands"], r["payment_type"])),
            "virtual_currency_share": virtual,
        }  # fmt: skip


def generate_market(out: Path, *, seed: int) -> WorldSummary:
    """Write the market world into ``out`` (prepared by :func:`~vigil.synth.generate_world`)."""
    run = _MarketRun(out, seed)
    truth = run.run()
    (out / "truth" / "market.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out / "README.txt").write_text(
        "A synthetic Vigil world (profile market): reports/ (with channels), captures/ (sales pages with offers),\n"
        "rates.csv (fictional exchange rates to EUR), iptoasn.tsv, shared_services.csv, processors.toml (give it\n"
        "to --processors). Ground truth in truth/market.json.\n"
        "Fictional names only; no media; see docs/market.md.\n", encoding="utf-8")  # fmt: skip
    rows = len(run.reports) + 1
    return WorldSummary(out, out / "reports", out / "iptoasn.tsv", out / "shared_services.csv", out / "truth",
                        out / "README.txt", seed, rows, len(run.reports), 0, run.quarantined, 1, BRANDS,
                        len(run.channel_of), out / "captures", len(run.captures), 0, "market")  # fmt: skip
