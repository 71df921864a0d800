"""Time notices and feeds on a store of N takedown cases (one per reported URL).

    python benchmarks/bench_disrupt.py --brands 450000 --workdir /tmp/bench-disrupt

The synthetic takedown world's plan (``vigil.synth.takedown``) at ``--brands`` brands gives
about 2.2 URLs per brand with their history and re-checks; it is loaded straight into a
store (timed as ``load_s``, not part of the target). Then, in one process as ``vigil notices
send`` and ``vigil feed all`` do: send every notice due one day after the last event to a
dry-run outbox (``notices_s``), read the cases and their clocks (``state_s``), write every feed
for a partner audience (``feeds_s``) and one league table (``league_s``). Prints one JSON line;
each step's CPU seconds (all threads) are ``*_cpu_s``, and those of the whole, split into user
and system time, ``notices_and_feeds_user_s`` and ``notices_and_feeds_sys_s``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from datetime import timedelta
from pathlib import Path

from vigil.disrupt import casestore, workflow
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Event
from vigil.disrupt.escalation import Policy
from vigil.disrupt.feeds import FEEDS
from vigil.disrupt.markings import Audience
from vigil.disrupt.recipients import Contacts, Resolver
from vigil.disrupt.transport import OutboxTransport
from vigil.disrupt.xarf import Sender
from vigil.periods import Period
from vigil.store import Store
from vigil.synth.takedown import PROCESSORS, SUFFIXES, plan


def _world(brands: int, seed: int) -> tuple[list[Case], list[Event], str]:
    nets, registrars, urls = plan(seed, brands)
    cases, events = [], []
    for u in urls:
        cases.append(Case(url=u.url, host=u.host, owner_org=u.owner, marking=u.marking, domain=u.domain, suffix=u.suffix, ip=u.ip,
                          asn=u.net.asn, country=u.net.country, hosting_org=u.net.name, registrar=u.registrar,
                          registry=f"Registry of .{u.suffix}", brand=u.brand, distributor=u.distributor, processor=u.processor,
                          merchant_account=u.account, wallets=(u.wallet,) if u.wallet else (), prices=(u.price,),
                          evidence_ref=f"capture:{u.brand}", dedicated=u.dedicated, source="bench"))  # fmt: skip
        events += [Event(u.url, "detected", u.detected, "bench"), Event(u.url, "assessed", u.assessed, "bench"),
                   Event(u.url, "notice_sent", u.notice, "bench", f"host:{u.net.name}", "1")]  # fmt: skip
        if u.ack:
            events.append(Event(u.url, "acknowledged", u.ack, "bench", f"host:{u.net.name}"))
        events += [Event(u.url, status, at, "recheck:bench") for at, status in u.checks]
    lines = []
    for n in nets:
        lines += [f'[asn."{n.asn}"]', f'name = "{n.name}"', f'address = "abuse@hosting{n.n + 1}.example"', f"upstream = {n.upstream}"]
    for up in sorted({n.upstream for n in nets}):
        lines += [f'[asn."{up}"]', f'name = "Example Transit {up}"', f'address = "abuse@transit{up}.example"']
    for r in registrars:
        lines += [f'[registrar."{r}"]', f'address = "abuse@{r.lower().replace(" ", "-")}.example"']
    for s in SUFFIXES:
        lines += [f'[registry."{s}"]', f'name = "Registry of .{s}"', f'address = "abuse@registry-{s}.example"']
    for p in PROCESSORS:
        lines += [f'[processor."{p}"]', f'address = "compliance@{p.lower().replace(" ", "-")}.example"']
    return cases, events, "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brands", type=int, default=45_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-disrupt"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    t = time.perf_counter()
    cases, events, contacts = _world(args.brands, args.seed)
    result: dict[str, object] = {"brands": args.brands, "cases": len(cases), "events": len(events),
                                 "plan_s": round(time.perf_counter() - t, 1)}  # fmt: skip
    (args.workdir / "contacts.toml").write_text(contacts)
    with Store(args.workdir / "bench.duckdb") as store:
        t, c = time.perf_counter(), time.process_time()
        casestore.save_cases(store.con, cases)
        for start in range(0, len(events), 500_000):
            casestore.add_events(store.con, events[start:start + 500_000])
        result["load_s"] = round(time.perf_counter() - t, 1)
        del cases, events
        t0, c0, u0 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
        as_of = workflow.latest_event(store.con)
        assert as_of is not None
        t, c = time.perf_counter(), time.process_time()
        resolver = Resolver(contacts=Contacts.load([args.workdir / "contacts.toml"]), unreliable=casestore.unreliable(store.con))
        sent = workflow.send_notices(store.con, resolver=resolver, policy=Policy(), now=as_of + timedelta(days=1),
                                     sender=Sender("Bench Hotline", "notices@hotline.example", "hotline.example"),
                                     transport=OutboxTransport(args.workdir / "outbox"))  # fmt: skip
        result["notices_s"] = round(time.perf_counter() - t, 1)
        result["notices_cpu_s"] = round(time.process_time() - c, 1)
        result.update({f"notices_{k}": v for k, v in sent.counts.items()})
        t, c = time.perf_counter(), time.process_time()
        audience = Audience(org="partners", clearance="TLP:AMBER", sender_org="hotline")
        state = workflow.cases_and_records(store.con)  # after the notices' events, as `vigil feed all` reads them
        result["state_s"] = round(time.perf_counter() - t, 1)
        result["state_cpu_s"] = round(time.process_time() - c, 1)
        t, c = time.perf_counter(), time.process_time()
        files = []
        for feed in FEEDS:
            files += workflow.write_feeds(store.con, feed, args.workdir / "feeds", audience=audience, as_of=as_of, state=state)
        result["feeds_s"] = round(time.perf_counter() - t, 1)
        result["feeds_cpu_s"] = round(time.process_time() - c, 1)
        result["feed_files"] = len(files)
        result["feed_items"] = sum(f.items for f in files)
        t, c = time.perf_counter(), time.process_time()
        workflow.takedown_stats(store.con, period=Period.parse("2012"), by="host", as_of=as_of)
        result["league_s"] = round(time.perf_counter() - t, 1)
        result["league_cpu_s"] = round(time.process_time() - c, 1)
        result["notices_and_feeds_s"] = round(time.perf_counter() - t0, 1)
        result["notices_and_feeds_cpu_s"] = round(time.process_time() - c0, 1)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["notices_and_feeds_user_s"] = round(usage.ru_utime - u0.ru_utime, 1)
        result["notices_and_feeds_sys_s"] = round(usage.ru_stime - u0.ru_stime, 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
