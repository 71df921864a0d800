"""Disruption commands: takedown cases and clocks, notices, league tables, partner feeds.

Thin adapters over :mod:`vigil.disrupt` (no SQL, no business logic). They run on the DuckDB
store (``--db``); the Spark engine holds evidence at scale, not this operational state.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from vigil.cli.core import (
    DbOption,
    FormatOption,
    ProcessorsOption,
    app,
    check_nonblank,
    check_out,
    check_period,
    err,
    errors,
    load_processors,
    open_duck,
    out,
    stats_app,
)
from vigil.defaults import STORE_PATH
from vigil.errors import ConfigError, VigilError
from vigil.store.store import Store

takedown_app = typer.Typer(help="Takedown cases and their clock: import, history, re-checks, outcomes, the delivery log and its check.", no_args_is_help=True)
notices_app = typer.Typer(help="Notices to hosting providers, registrars, registries and payment providers.", no_args_is_help=True)
app.add_typer(takedown_app, name="takedown")
app.add_typer(notices_app, name="notices")

OrgOption = Annotated[str, typer.Option("--org", envvar="VIGIL_ORG", callback=check_nonblank, help="Our organisation (owner of the evidence we send).")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="ISO time the figures are for (default: the latest event).")]
ContactsOption = Annotated[Optional[list[Path]], typer.Option("--contacts", help="Contacts file (TOML; repeatable; also VIGIL_CONTACTS).")]


def _store(db: Path, *, read_only: bool = False) -> Store:
    return open_duck(db, read_only=read_only, what="disruption commands run")


def _time(raw: str | None, *, default_now: bool = False) -> datetime | None:
    from vigil.disrupt.clocks import parse_time

    if raw is None:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0) if default_now else None
    try:
        return parse_time(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not an ISO time (say 2012-10-01T09:00)") from None


def _contacts(given: list[Path] | None) -> list[Path]:
    return [Path(p) for p in os.environ.get("VIGIL_CONTACTS", "").split(os.pathsep) if p] + list(given or [])


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """A data file that is not UTF-8 stops the run in one line naming it."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _summary(summary: Any, fmt: str, *, need: str | None = None) -> None:
    """Print what a step did; with ``need``, exit 1 when the file gave errors and no ``need`` at all
    (nothing usable could be read), as `vigil ingest` does."""
    if fmt == "json":
        sys.stdout.write(json.dumps(summary.as_dict(), indent=1, default=str) + "\n")
    else:
        _print_summary(summary)
    if need is not None and summary.errors and not summary.counts.get(need):
        raise typer.Exit(1)


def _print_summary(summary: Any) -> None:
    for line in summary.errors:
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print(", ".join(f"{k}: {v:,}" for k, v in summary.counts.items()), highlight=False)
    if summary.items:
        table = Table(title_justify="left")
        for col in summary.items[0]:
            table.add_column(col)
        for item in summary.items[:50]:
            table.add_row(*[str(v) for v in item.values()])
        out.print(table)


@takedown_app.command("synth")
def takedown_synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")] = Path("takedown-world"),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 14,
    brands: Annotated[int, typer.Option(min=1, help="How many brands (each a chain of URLs).")] = 36,
) -> None:
    """Write a synthetic takedown world: cases, history, re-checks, bounces, RDAP fixtures, contacts and truth."""
    from vigil.atomic import atomic_dir
    from vigil.synth.takedown import generate

    with errors():
        with atomic_dir(out_dir) as building:  # the world appears whole or not at all
            truth = generate(building, seed=seed, brands=brands)
        out.print(f"wrote a takedown world of {truth['urls']:,} URLs to {out_dir} (truth in {out_dir}/truth)", highlight=False)


@takedown_app.command("import")
def takedown_import(
    path: Annotated[Path, typer.Argument(help="Cases, JSON Lines (docs/disruption.md).")],
    db: DbOption = STORE_PATH,
    org: OrgOption = "hotline",
    marking: Annotated[str, typer.Option(help="Marking for cases that carry none.")] = "TLP:AMBER",
    fmt: FormatOption = "table",
) -> None:
    """Import takedown cases (upserted by URL); their detected/assessed times start the clock."""
    from vigil.disrupt import workflow
    from vigil.disrupt.markings import marking as check_marking

    with errors(), _store(db) as store:
        with _reading(path):
            summary = workflow.import_cases(store.con, path, owner_org=org, marking=check_marking(marking))
        _summary(summary, fmt, need="cases")


@takedown_app.command("sync")
def takedown_sync(
    db: DbOption = STORE_PATH,
    org: OrgOption = "hotline",
    marking: Annotated[str, typer.Option(help="Marking of the cases (the store's reports carry none yet).")] = "TLP:AMBER",
    processors: ProcessorsOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Build takedown cases from the evidence store: reports, hosting (enrich), brands (attribute), identifiers."""
    from vigil.disrupt import workflow
    from vigil.disrupt.markings import marking as check_marking
    from vigil.disrupt.sync import sync_cases

    with errors():
        chosen = load_processors(processors)  # a bad processors file stops the run before the store is opened
    with errors(), _store(db) as store:
        counts = sync_cases(store.con, owner_org=org, marking=check_marking(marking), processors=chosen)
        counts["reappearances"] = workflow.link(store.con)
        _summary(workflow.Summary(counts), fmt)


@takedown_app.command("history")
def takedown_history(path: Annotated[Path, typer.Argument(help="CSV url,stage,at,source,recipient,detail.")],
                     db: DbOption = STORE_PATH, fmt: FormatOption = "table") -> None:  # fmt: skip
    """Import takedown history (stages with times and sources), e.g. from a hotline's case system."""
    from vigil.disrupt import workflow

    with errors(), _store(db) as store:
        with _reading(path):
            summary = workflow.import_events(store.con, path, rechecks=False)
        _summary(summary, fmt, need="events")


@takedown_app.command("recheck")
def takedown_recheck(path: Annotated[Path, typer.Argument(help="CSV url,checked_at,status,analyst (online|offline).")],
                     db: DbOption = STORE_PATH, fmt: FormatOption = "table") -> None:  # fmt: skip
    """Import analysts' re-checks: the first offline after a notice is the removal time."""
    from vigil.disrupt import workflow

    with errors(), _store(db) as store:
        with _reading(path):
            summary = workflow.import_events(store.con, path, rechecks=True)
        _summary(summary, fmt, need="events")


def _http_urls(values: list[str] | None) -> list[str] | None:
    """An option callback: each --url is an http(s) URL."""
    for value in values or []:
        if not value.strip().lower().startswith(("http://", "https://")):
            raise typer.BadParameter(f"{value[:80]!r} is not an http(s) URL")
    return [v.strip() for v in values] if values else None


@takedown_app.command("check")
def takedown_check(
    db: DbOption = STORE_PATH,
    url: Annotated[Optional[list[str]], typer.Option(callback=_http_urls, help="Only this case's URL (repeatable; default: every noticed URL not yet removed).")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Check at most N URLs.")] = None,
    timeout: Annotated[float, typer.Option(min=0.5, max=120, help="Seconds to wait for one answer's headers.")] = 10.0,
    max_redirects: Annotated[int, typer.Option(min=0, max=20, help="Redirects followed at most.")] = 5,
    per_host_interval: Annotated[float, typer.Option(min=0.0, max=3600, help="Seconds between two requests to one host.")] = 2.0,
    fmt: FormatOption = "table",
) -> None:
    """Re-check noticed URLs over the network, headers only (HEAD; a GET closed unread when HEAD is refused); never a body, never media."""
    from vigil.disrupt import workflow
    from vigil.disrupt.checker import HeaderChecker, HttpTransport

    with errors(), _store(db) as store:
        checker = HeaderChecker(HttpTransport(), timeout=timeout, max_redirects=max_redirects, per_host_interval=per_host_interval)
        _summary(workflow.check_online(store.con, checker, urls=url, limit=limit), fmt)


@takedown_app.command("outcomes")
def takedown_outcomes(
    path: Annotated[Path, typer.Argument(help="CSV item,outcome,at (account closed | not ours | investigating | removed).")],
    partner: Annotated[str, typer.Option(callback=check_nonblank, help="The partner reporting these outcomes.")],
    db: DbOption = STORE_PATH,
    fmt: FormatOption = "table",
) -> None:
    """Import a partner's outcome per feed item; they feed the league tables."""
    from vigil.disrupt import workflow

    with errors(), _store(db) as store:
        with _reading(path):
            summary = workflow.import_outcomes(store.con, path, partner=partner)
        _summary(summary, fmt, need="outcomes")


@takedown_app.command("show")
def takedown_show(url: Annotated[str, typer.Argument(help="A case's URL.")], db: DbOption = STORE_PATH) -> None:
    """One URL's takedown record: every stage with its time and source, and reappearances."""
    from vigil.disrupt import casestore

    with errors(), _store(db, read_only=True) as store:
        events = [e for e in casestore.load_events(store.con) if e.url == url]
        if not events:
            raise VigilError(f"no takedown record for {url}")
        for e in events:
            who = f" {e.recipient}" if e.recipient else ""
            what = f" → {e.detail}" if e.detail else ""
            out.print(f"{e.at.isoformat()}  {e.stage:<12}{who}{what}  ({e.source})", markup=False, highlight=False)


@takedown_app.command("audit")
def takedown_audit(db: DbOption = STORE_PATH, fmt: FormatOption = "table") -> None:
    """What was sent to whom, when and under which marking (notices and feeds), and contact statuses."""
    from vigil.disrupt import casestore

    with errors(), _store(db, read_only=True) as store:
        rows = casestore.deliveries(store.con)
        statuses = casestore.contact_statuses(store.con)
        if fmt == "json":
            sys.stdout.write(json.dumps({"deliveries": rows, "contacts": statuses}, indent=1, default=str) + "\n")
            return
        table = Table("#", "at", "kind", "name", "recipient", "marking", "items", "where", "reference", title_justify="left")
        for r in rows:
            table.add_row(str(r["seq"] or "–"), str(r["at_time"]), r["kind"], r["name"], r["recipient"], r["marking"], str(r["items"]),
                          r["path"], r["reference"])  # fmt: skip
        out.print(table)
        for s in statuses:
            out.print(f"{s['address']}: {s['status']} ({s['reason']}; {s['source']})", markup=False, highlight=False)


def _head(value: str | None) -> str | None:
    """An option callback: a head hash as `vigil takedown verify-log` prints it (64 hex digits)."""
    if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value.strip().lower()):
        raise typer.BadParameter(f"{value[:80]!r} is not a head hash (64 hex digits, as `vigil takedown verify-log` prints)")
    return value.strip().lower() if value is not None else None


@takedown_app.command("verify-log")
def takedown_verify_log(
    db: DbOption = STORE_PATH,
    head: Annotated[Optional[str], typer.Option(callback=_head, help="A head hash kept elsewhere (printed by an earlier verify-log): detects deleted last entries.")] = None,
) -> None:
    """Check the hash-chained delivery log (notices and feeds sent); name every broken entry. Exit 1 when any."""
    from vigil.disrupt import deliverylog

    with errors(), _store(db, read_only=True) as store:
        problems = deliverylog.verify_log(store.con, head=head)
        count, digest = deliverylog.head(store.con)
    for problem in problems:
        err.print(Text(f"delivery log: {problem}"), soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    out.print(f"delivery log intact: {count:,} entries, head {digest}", highlight=False)


@notices_app.command("send")
def notices_send(
    db: DbOption = STORE_PATH,
    now: Annotated[Optional[str], typer.Option(help="The clock (ISO time; default: now, UTC).")] = None,
    transport: Annotated[str, typer.Option(help="outbox (dry run: .eml files) or smtp.")] = "outbox",
    outbox: Annotated[Path, typer.Option(help="Folder for the dry-run outbox.")] = Path("outbox"),
    smtp: Annotated[Optional[str], typer.Option(envvar="VIGIL_SMTP", help="SMTP relay host:port (with --transport smtp).")] = None,
    starttls: Annotated[bool, typer.Option(help="STARTTLS before sending.")] = False,
    smtp_user: Annotated[Optional[str], typer.Option(envvar="VIGIL_SMTP_USER", help="SMTP login (password from VIGIL_SMTP_PASSWORD).")] = None,
    sender: Annotated[str, typer.Option("--from", envvar="VIGIL_NOTICE_FROM", help='Sender, "Org <address>".')] = "Hotline <notices@hotline.example>",
    org: OrgOption = "hotline",
    contacts: ContactsOption = None,
    processors: ProcessorsOption = None,
    rdap_cache: Annotated[Optional[Path], typer.Option(envvar="VIGIL_RDAP_CACHE", help="Recorded RDAP answers (the offline cache).")] = None,
    rdap_network: Annotated[bool, typer.Option(help="Ask RDAP over the network on a cache miss (off by default).")] = False,
    policy: Annotated[Optional[Path], typer.Option(help="Escalation policy (TOML; docs/disruption.md).")] = None,
    clearance: Annotated[Optional[list[str]], typer.Option(help="RECIPIENT=TLP:… the strictest marking a recipient may receive (repeatable; default TLP:AMBER).")] = None,
    classification: Annotated[str, typer.Option(help="XARF classification: baseline, A1, A2, B1 or B2.")] = "baseline",
    fmt: FormatOption = "table",
) -> None:
    """Send every notice due now: first notices, re-sends and escalations, deduplicated against what was sent."""
    from vigil.disrupt import casestore, workflow
    from vigil.disrupt.escalation import Policy
    from vigil.disrupt.markings import marking
    from vigil.disrupt.rdap import CacheRdap, CachingRdap, HttpRdap, RdapSource
    from vigil.disrupt.recipients import Contacts, Resolver
    from vigil.disrupt.transport import OutboxTransport, SmtpTransport, Transport
    from vigil.disrupt.xarf import CLASSIFICATIONS, Sender

    if transport == "outbox":
        check_out(outbox)
    if rdap_cache is not None and rdap_cache.exists() and not rdap_cache.is_dir():
        with errors():
            raise ConfigError(f"--rdap-cache {rdap_cache}: not a folder (the cache is a folder of recorded RDAP answers)")
    with errors(), _store(db) as store:
        name, address = parseaddr(sender)
        if "@" not in address:
            raise ConfigError(f"--from {sender!r}: give an e-mail address")
        if classification not in CLASSIFICATIONS:
            raise ConfigError(f"--classification {classification!r}: one of {', '.join(CLASSIFICATIONS)}")
        levels = {}
        for item in clearance or []:
            who, _, level = item.rpartition("=")
            if not who:
                raise ConfigError(f"--clearance {item!r}: say RECIPIENT=TLP:AMBER")
            levels[who] = marking(level)
        rdap: RdapSource | None = None
        if rdap_cache is not None or rdap_network:
            cache = CacheRdap(rdap_cache or Path(".vigil-rdap"))
            rdap = CachingRdap(cache, HttpRdap() if rdap_network else None)
        resolver = Resolver(contacts=Contacts.load(_contacts(contacts)), rdap=rdap, processors=load_processors(processors),
                            unreliable=casestore.unreliable(store.con))  # fmt: skip
        if transport == "smtp":
            if not smtp:
                raise ConfigError("--transport smtp needs --smtp host:port (or VIGIL_SMTP)")
            channel: Transport = SmtpTransport(smtp, starttls=starttls, user=smtp_user)
        elif transport == "outbox":
            channel = OutboxTransport(outbox)
        else:
            raise ConfigError(f"--transport {transport!r}: outbox or smtp")
        moment = _time(now, default_now=True)
        assert moment is not None
        summary = workflow.send_notices(store.con, resolver=resolver, policy=Policy.load(policy), now=moment,
                                        sender=Sender(name or org, address, address.rpartition("@")[2], classification),
                                        transport=channel, clearance=levels, sender_org=org)  # fmt: skip
        _summary(summary, fmt)


@notices_app.command("replies")
def notices_replies(
    path: Annotated[Path, typer.Argument(help="A folder of .eml files, a Maildir, an mbox file or one .eml.")],
    db: DbOption = STORE_PATH,
    fmt: FormatOption = "table",
) -> None:
    """Read replies back: bounces and auto-replies mark the contact unreliable; answers acknowledge."""
    from vigil.disrupt import workflow

    with errors(), _store(db) as store:
        _summary(workflow.read_back(store.con, path), fmt)


@stats_app.command("takedown")
def stats_takedown(
    period: Annotated[str, typer.Option(callback=check_period, help="2012Q4, 2012, 2012-10 or 2012-10-01..2012-12-31 (by first notice).")],
    by: Annotated[str, typer.Option(help="host, asn, country, registrar or processor.")] = "host",
    db: DbOption = STORE_PATH,
    as_of: AsOfOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Takedown league table: noticed, median/p90 time to removal, removed within 1/3/7 days, up after 42 days, repeats, silence."""
    from vigil.disrupt import workflow
    from vigil.disrupt.league import GROUPINGS
    from vigil.periods import Period

    with errors(), _store(db, read_only=True) as store:
        if by not in GROUPINGS:
            raise ConfigError(f"--by {by!r}: one of {', '.join(GROUPINGS)}")
        stats = workflow.takedown_stats(store.con, period=Period.parse(period), by=by, as_of=_time(as_of))
        if fmt == "json":
            sys.stdout.write(json.dumps(stats, indent=1, sort_keys=True) + "\n")
            return
        if fmt == "csv":
            import csv

            writer = csv.writer(sys.stdout, lineterminator="\n")
            keys = ["group", "noticed", "removed", "median_hours", "p90_hours", "removed_1d", "removed_3d", "removed_7d",
                    "eligible_42d", "up_after_42d", "repeat_offence", "non_response", "outcomes"]  # fmt: skip
            writer.writerow(keys)
            for row in stats["rows"]:
                writer.writerow([json.dumps(row[k], sort_keys=True) if k == "outcomes" else row[k] for k in keys])
            return
        table = Table("group", "noticed", "removed", "median h", "p90 h", "≤1d", "≤3d", "≤7d", "up 42d", "repeat", "silent",
                      title=f"Takedown by {by}, {stats['period']} (as of {stats['as_of']})", title_justify="left")  # fmt: skip
        for r in stats["rows"]:
            table.add_row(r["group"], str(r["noticed"]), str(r["removed"]), str(r["median_hours"]), str(r["p90_hours"]),
                          pct(r["removed_1d"]), pct(r["removed_3d"]), pct(r["removed_7d"]), pct(r["up_after_42d"]),
                          pct(r["repeat_offence"]), pct(r["non_response"]))  # fmt: skip
        out.print(table)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@app.command("feed")
def feed(
    name: Annotated[str, typer.Argument(help="url-list, domain-alerts, tld-hopping, payment-alerts, crypto-alerts, or all.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the feed into.")],
    db: DbOption = STORE_PATH,
    recipient: Annotated[str, typer.Option(callback=check_nonblank, help="The receiving organisation (need-to-know is checked for it).")] = "partners",
    clearance: Annotated[str, typer.Option(help="The strictest marking the recipient may receive.")] = "TLP:AMBER",
    partner: Annotated[Optional[str], typer.Option(callback=check_nonblank, help="domain-alerts / payment-alerts: one registrar, registry or payment provider (default: a file per partner).")] = None,
    org: OrgOption = "hotline",
    contacts: ContactsOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Write a partner feed (docs/disruption.md): only records the recipient may see; every delivery is logged."""
    from vigil.disrupt import workflow
    from vigil.disrupt.feeds import FEEDS
    from vigil.disrupt.markings import Audience, marking
    from vigil.disrupt.recipients import Contacts

    check_out(out_dir)
    with errors(), _store(db) as store:
        if name not in (*FEEDS, "all"):
            raise ConfigError(f"unknown feed {name!r} (one of {', '.join(FEEDS)}, or all)")
        book = Contacts.load(_contacts(contacts))

        def services(wallet: str) -> str | None:
            entry = book.get("wallet", wallet)
            return (entry.service or entry.name) if entry else None

        audience = Audience(org=partner if partner and recipient == "partners" else recipient, clearance=marking(clearance), sender_org=org)
        state = workflow.cases_and_records(store.con)
        files = []
        for one in FEEDS if name == "all" else (name,):
            files += workflow.write_feeds(store.con, one, out_dir, audience=audience, partner=partner, as_of=_time(as_of),
                                          services=services, state=state)  # fmt: skip
        for f in files:
            out.print(f"{f.path}: {f.items:,} items for {f.recipient} ({f.marking})", highlight=False)
