"""Sharing commands: STIX / MISP / FollowTheMoney exports and imports, markings, keyed matching.

Thin adapters over :mod:`vigil.share` (docs/sharing.md). Sharing runs on the DuckDB engine.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.markup import escape

from vigil.cli.core import (
    DbOption,
    app,
    check_choice,
    check_nonblank,
    check_period,
    err,
    errors,
    export_app,
    ingest_app,
    open_duck,
    out,
)
from vigil.defaults import STORE_PATH
from vigil.errors import ConfigError

share_app = typer.Typer(help="Markings that decide what may be shared (docs/sharing.md).", no_args_is_help=True)
app.add_typer(share_app, name="share")

PeriodOption = Annotated[str, typer.Option("--period", callback=check_period, help="2012Q4, 2012, 2012-10 or 2012-10-01..2012-12-31.")]
MarkingOption = Annotated[str, typer.Option("--marking", help="TLP level of the export: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")]
DistributorOption = Annotated[str | None, typer.Option("--distributor", callback=check_nonblank, help="Only this distributor (D-…).")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")]


_SHARING = "sharing runs"  # on the DuckDB store only: open_duck refuses --engine spark in one line


def _scope(period: str, marking: str, distributor: str | None) -> Any:
    from vigil.periods import Period
    from vigil.share.facts import Scope
    from vigil.share.markings import parse_marking

    p = Period.parse(period)
    return Scope(p.start, p.end, parse_marking(marking), distributor)


@contextmanager
def _sink(output: Path | None) -> Iterator[BinaryIO]:
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(output.name + ".part")
    with open(tmp, "wb") as handle:
        yield handle
    tmp.replace(output)


@export_app.command("stix")
def export_stix(
    period: PeriodOption,
    marking: MarkingOption,
    distributor: DistributorOption = None,
    org: Annotated[str, typer.Option("--org", help="The producing organisation named in the bundle.")] = "Vigil",
    output: OutputOption = None,
    db: DbOption = STORE_PATH,
) -> None:
    """A STIX 2.1 bundle: URLs, hosts, IPs, ASNs, brands, distributors and their evidence, TLP-marked."""
    from vigil.share.stix import write_stix

    with errors(), open_duck(db, read_only=True, what=_SHARING) as store:
        scope = _scope(period, marking, distributor)
        with _sink(output) as sink:
            summary = write_stix(store, scope, sink, org=org)
        err.print(f"{summary.bundle_id}: {summary.total:,} objects at TLP:{scope.marking}"
                  + (f" → {output}" if output else ""), highlight=False)  # fmt: skip


@export_app.command("misp")
def export_misp(
    period: PeriodOption,
    marking: MarkingOption,
    distributor: DistributorOption = None,
    per: Annotated[str, typer.Option("--per", callback=check_choice("period", "distributor"), help="One event per 'period' or per 'distributor'.")] = "period",
    feed: Annotated[Path | None, typer.Option("--feed", help="Write a MISP feed directory (manifest.json + events).")] = None,
    org: Annotated[str, typer.Option("--org", help="The creating organisation (Orgc).")] = "Vigil",
    output: OutputOption = None,
    db: DbOption = STORE_PATH,
) -> None:
    """MISP events (PyMISP's model; no server needed), or a feed directory a MISP instance subscribes to."""
    from vigil.periods import Period
    from vigil.share.misp import event_json, misp_events, write_feed

    with errors(), open_duck(db, read_only=True, what=_SHARING) as store:
        if per not in ("period", "distributor"):
            raise ConfigError(f"--per {per!r}: say period or distributor")
        scope = _scope(period, marking, distributor)
        events = misp_events(store, scope, per=per, org=org, label=Period.parse(period).label)
        if feed:
            write_feed(events, feed)
            err.print(f"{len(events)} events at TLP:{scope.marking} → feed {feed}", highlight=False)
            return
        text = json.dumps({"response": [event_json(e) for e in events]} if len(events) != 1 else event_json(events[0]),
                          sort_keys=True, indent=1, ensure_ascii=False) + "\n"  # fmt: skip
        with _sink(output) as sink:
            sink.write(text.encode("utf-8"))
        err.print(f"{len(events)} events at TLP:{scope.marking}" + (f" → {output}" if output else ""), highlight=False)


@export_app.command("ftm")
def export_ftm(
    period: PeriodOption,
    marking: MarkingOption,
    distributor: DistributorOption = None,
    output: OutputOption = None,
    db: DbOption = STORE_PATH,
) -> None:
    """FollowTheMoney entities (JSON lines) for Aleph: distributors, brands, wallets, accounts, test payments."""
    from vigil.share.ftm import write_ftm

    with errors(), open_duck(db, read_only=True, what=_SHARING) as store:
        scope = _scope(period, marking, distributor)
        with _sink(output) as sink:
            n = write_ftm(store, scope, sink)
        err.print(f"{n:,} FtM entities at TLP:{scope.marking}" + (f" → {output}" if output else ""), highlight=False)


def _import(paths: list[Path], db: Path, *, kind: str, source: str | None, marking: str, clearance: str,
            as_json: bool) -> None:  # fmt: skip
    from vigil.share.imports import import_files
    from vigil.share.markings import parse_marking
    from vigil.share.misp_import import read_misp
    from vigil.share.stix_import import read_stix

    reader = read_stix if kind == "stix" else read_misp
    with errors(), open_duck(db, what=_SHARING) as store:
        files = [p for path in paths for p in (sorted(path.rglob("*.json")) if path.is_dir() else [path])]
        summary = import_files(store, files, kind=kind, reader=reader, source=source,
                               marking=parse_marking(marking), clearance=parse_marking(clearance))  # fmt: skip
        for f in summary.files:
            if f.error:
                err.print(f"[red]error:[/red] {escape(f.error)}", highlight=False, soft_wrap=True)
        totals = summary.as_dict()
        if as_json:
            out.print_json(json.dumps(totals))
        else:
            for key in ("objects", "reports", "duplicates", "quarantined", "refused"):
                out.print(f"{key}: {totals[key]:,}")
            if totals["quarantined"]:
                out.print("see them with: vigil quarantine")


ImportMarking = Annotated[str, typer.Option("--marking", help="TLP level for objects that carry none.")]
Clearance = Annotated[str, typer.Option("--clearance", help="The strictest TLP level this organisation may hold; "
                                        "stricter objects are refused and counted.")]  # fmt: skip


@ingest_app.command("stix")
def ingest_stix(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="STIX 2.1 bundles (.json), or folders of them.")],
    source: Annotated[str | None, typer.Option(callback=check_nonblank, help="Source code for the reports (default: stix:<producer>).")] = None,
    marking: ImportMarking = "AMBER",
    clearance: Clearance = "AMBER",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    db: DbOption = STORE_PATH,
) -> None:
    """Import partners' STIX 2.1 bundles: URL/domain indicators become reports; every object is kept."""
    _import(paths, db, kind="stix", source=source, marking=marking, clearance=clearance, as_json=as_json)


@ingest_app.command("misp")
def ingest_misp(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="MISP events (.json), or folders of them (e.g. a feed).")],
    source: Annotated[str | None, typer.Option(callback=check_nonblank, help="Source code for the reports (default: misp:<creator org>).")] = None,
    marking: ImportMarking = "AMBER",
    clearance: Clearance = "AMBER",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    db: DbOption = STORE_PATH,
) -> None:
    """Import partners' MISP events: url/domain attributes become reports; every attribute is kept."""
    _import(paths, db, kind="misp", source=source, marking=marking, clearance=clearance, as_json=as_json)


@share_app.command("mark-source")
def mark_source(
    source: Annotated[str, typer.Argument(callback=check_nonblank, help="A report or capture source code (e.g. HL-A).")],
    marking: Annotated[str, typer.Option("--marking", help="Its TLP level.")],
    org: Annotated[str | None, typer.Option("--org", help="The organisation that owns it.")] = None,
    db: DbOption = STORE_PATH,
) -> None:
    """Set the TLP marking every record of a source inherits (unmarked sources are TLP:AMBER)."""
    from vigil.share.marks import set_source_marking

    with errors(), open_duck(db, what=_SHARING) as store:
        level = set_source_marking(store, source, marking, organisation=org)
        out.print(f"{source}: TLP:{level}", highlight=False)


@share_app.command("markings")
def list_markings(db: DbOption = STORE_PATH) -> None:
    """Sources and their markings, with how many reports and captures each marks."""
    from vigil.share.marks import source_markings

    with errors(), open_duck(db, read_only=True, what=_SHARING) as store:
        out.print_json(json.dumps(source_markings(store), default=str))


match_app = typer.Typer(help="Keyed matching for partners: hashed identifier lists, never raw values (docs/sharing.md).",
                        no_args_is_help=True)  # fmt: skip
app.add_typer(match_app, name="match")
PartnerOption = Annotated[str, typer.Option("--partner", callback=check_nonblank, help="The partner organisation.")]


@match_app.command("create-key")
def match_create_key(partner: PartnerOption, db: DbOption = STORE_PATH) -> None:
    """Make a key for a partner; the secret is printed once, for the partner's hashing script."""
    from vigil.share.matching import create_key

    with errors(), open_duck(db, what=_SHARING) as store:
        key_id, secret = create_key(store, partner)
        out.print(f"key_id: {key_id}\nsecret: {secret}", highlight=False)
        err.print("give both to the partner over a secure channel; the secret is not shown again")


@match_app.command("rotate-key")
def match_rotate_key(partner: PartnerOption, db: DbOption = STORE_PATH) -> None:
    """Retire the partner's active key and make a new one (files hashed under the old key are refused)."""
    from vigil.share.matching import rotate_key

    with errors(), open_duck(db, what=_SHARING) as store:
        key_id, secret = rotate_key(store, partner)
        out.print(f"key_id: {key_id}\nsecret: {secret}", highlight=False)


@match_app.command("revoke-key")
def match_revoke_key(
    partner: PartnerOption,
    key_id: Annotated[str | None, typer.Option("--key-id", callback=check_nonblank, help="Only this key (default: every key of the partner).")] = None,
    db: DbOption = STORE_PATH,
) -> None:
    """Revoke a partner's key(s)."""
    from vigil.share.matching import revoke_key

    with errors(), open_duck(db, what=_SHARING) as store:
        out.print(f"revoked: {revoke_key(store, partner, key_id)}")


@match_app.command("keys")
def match_keys(partner: Annotated[str | None, typer.Option("--partner", callback=check_nonblank, help="Only this partner.")] = None,
               db: DbOption = STORE_PATH) -> None:  # fmt: skip
    """Partners' keys (never their secrets): created, retired, revoked."""
    from vigil.share.matching import keys

    with errors(), open_duck(db, read_only=True, what=_SHARING) as store:
        out.print_json(json.dumps(keys(store, partner), default=str))


@match_app.command("run")
def match_run(
    partner: PartnerOption,
    file: Annotated[Path, typer.Argument(help="The partner's hash file (tools/vigil_match_hash.py output).")],
    marking: Annotated[str, typer.Option("--marking", help="The strictest TLP level of evidence the partner may see.")] = "AMBER",
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Most digests one run may hold.")] = 2_000_000,
    max_runs: Annotated[int, typer.Option("--max-runs", min=1, help="Most runs a partner may have in 24 hours.")] = 24,
    output: OutputOption = None,
    db: DbOption = STORE_PATH,
) -> None:
    """Match a partner's hashed identifiers; one JSON line per match with the evidence it may see. Audited."""
    from vigil.share.markings import parse_marking
    from vigil.share.matching import run_match

    with errors(), open_duck(db, what=_SHARING) as store:
        result = run_match(store, partner, file, marking=parse_marking(marking), max_rows=max_rows, max_runs=max_runs)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(match, sort_keys=True) + "\n" for match in result.matches)
        else:
            for match in result.matches:
                sys.stdout.write(json.dumps(match, sort_keys=True) + "\n")
        err.print(f"run {result.run_id}: {result.rows_read:,} digests, {len(result.matches):,} matched, "
                  f"{result.quarantined:,} rows of the wrong shape (vigil quarantine)", highlight=False)  # fmt: skip


@match_app.command("log")
def match_log_cmd(
    verify: Annotated[bool, typer.Option("--verify", help="Check the hash chain; exit 1 naming what was altered.")] = False,
    db: DbOption = STORE_PATH,
) -> None:
    """Every match run (done or refused), hash-chained."""
    from vigil.share.matching import match_log, verify_log

    with errors(), open_duck(db, read_only=True, what=_SHARING) as store:
        if verify:
            problems = verify_log(store)
            for problem in problems:
                err.print(problem, highlight=False)
            if problems:
                raise typer.Exit(1)
            out.print(f"match log intact: {len(match_log(store))} entries")
        else:
            out.print_json(json.dumps(match_log(store), default=str))
