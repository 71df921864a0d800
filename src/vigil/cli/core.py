"""The ``vigil`` command line: thin adapters over the library (no SQL, no business logic).

Every command takes ``--db PATH`` (or ``VIGIL_DB``; default ``./vigil.duckdb``). Errors print
one line; ``--debug`` (before the command) shows the traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

import vigil.store.open as store_open
from vigil import __version__, defaults, settings
from vigil.defaults import STORE_PATH
from vigil.errors import ConfigError, StoreError, VigilError
from vigil.store.handle import MigratedStore
from vigil.store.open import StoreOptions
from vigil.store.store import Store


def _one_line(text: str) -> str:
    """A message on one line: DuckDB's multi-line errors lose their SQL context (``LINE 1: …``
    and its caret; ``--debug`` shows them) and the rest is joined with spaces."""
    kept = []
    for line in str(text).splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("LINE ") or set(stripped) <= {"^", " "}:
            continue
        kept.append(stripped)
    return " ".join(kept) or "unknown error"


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(_one_line(message))}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


class _OneLineGroup(typer.core.TyperGroup):
    """The top-level command group: a usage error (unknown option, a value out of range,
    a missing argument) is one line on stderr, like every other error, instead of a box."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:  # fmt: skip
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)  # fmt: skip
        except typer.TyperException as exc:  # click's usage errors (typer vendors click)
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                print(ctx.get_help())
                result = 2
            else:
                where = getattr(ctx, "command_path", None) or "vigil"
                message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
                err.print(f"[red]error:[/red] {escape(_one_line(message))} (see {escape(where)} --help)",
                          markup=True, highlight=False, soft_wrap=True)  # fmt: skip
                result = getattr(exc, "exit_code", 2)
        except typer.Abort:
            err.print("interrupted")
            result = 130
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=_OneLineGroup,
    name="vigil",
    help="Vigil: metadata-only intelligence on the commercial distribution of CSAM on the web. "
    "Ingest hotline reports, enrich them with hosting, and produce the strategic assessment's tables.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ingest_app = typer.Typer(help="Read raw inputs into the evidence store.", no_args_is_help=True)
stats_app = typer.Typer(help="Statistics tables of the assessment, for any period.", no_args_is_help=True)
export_app = typer.Typer(help="Write derived intelligence for other tools.", no_args_is_help=True)
explain_app = typer.Typer(help="Say why, in plain words, with the evidence.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(stats_app, name="stats")
app.add_typer(export_app, name="export")
app.add_typer(explain_app, name="explain")

out = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {"debug": False, "store": StoreOptions()}  # the global options, set by _main

DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="VIGIL_DB", help="The evidence store (a DuckDB file).", show_default=True),
]
def _choice(*allowed: str) -> Callable[[str], str]:
    """An option callback: the value must be one of ``allowed`` (checked before any work)."""

    def check(value: str) -> str:
        if value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def _open_range(low: float, high: float | None = None) -> Callable[[float], float]:
    """An option callback: ``low < value`` (and ``value < high`` when given)."""

    def check(value: float) -> float:
        if value <= low or (high is not None and value >= high):
            between = f"between {low} and {high} (both excluded)" if high is not None else f"above {low}"
            raise typer.BadParameter(f"{value} is not {between}")
        return value

    return check


def _verdict(value: str) -> str:
    if value.strip().lower().replace("-", "_").replace(" ", "_") not in ("same", "not_same"):
        raise typer.BadParameter(f"{value!r} is not same or not_same")
    return value


def _nonblank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise typer.BadParameter("must not be blank")
    return value


def _period(value: str | None) -> str | None:
    """An option callback: a period Vigil can read, checked before the store is opened."""
    if value is not None:
        from vigil.errors import PeriodError
        from vigil.periods import Period

        try:
            Period.parse(value)
        except PeriodError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


def _report_formats(value: str) -> str:
    from vigil.publish.report import FORMATS

    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise typer.BadParameter(f"{value!r}: use {', '.join(FORMATS)}, comma-separated for several")
    return value


FormatOption = Annotated[str, typer.Option("--format", help="table, csv or json.", callback=_choice("table", "csv", "json"))]
PathsOption = Annotated[
    Optional[list[Path]],
    typer.Option(help="Extra data file (repeatable); also from the environment, os.pathsep-separated."),
]


def _env_paths(name: str, given: list[Path] | None) -> list[Path]:
    paths = [Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p]
    return paths + list(given or [])


ProcessorsOption = Annotated[
    Optional[list[Path]],
    typer.Option("--processors", help="Payment-processor TOML: yours, or a synthetic world's processors.toml (repeatable; also VIGIL_PROCESSORS). The bundled file lists no processor."),
]


def _processors(given: list[Path] | None) -> Any:
    """The processors from ``--processors`` and VIGIL_PROCESSORS, then the bundled file (a bad file: ConfigError)."""
    from vigil.attribute.processors import Processors

    return Processors.load(_env_paths("VIGIL_PROCESSORS", given))


@contextmanager
def _errors() -> Iterator[None]:
    """One clear line on any error, with a non-zero exit; the traceback only with --debug.

    Vigil's own errors exit 2; a file that cannot be read or written exits 2 naming it;
    anything unforeseen exits 1 with its type and message (a bug: ``--debug`` shows where).
    """
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:
        if _state["debug"]:
            raise
        raise _fail(*_describe(exc)) from None


def _describe(exc: Exception) -> tuple[str, int]:
    """What to say about an error, and the exit code."""
    if isinstance(exc, StoreError):
        return f"store step {exc.step!r} failed: {exc.cause}", 2
    if isinstance(exc, VigilError):
        return str(exc), 2
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        return (f"{name}: {exc.strerror or exc}" if name else f"{exc.strerror or exc}"), 2
    if isinstance(exc, UnicodeError):
        return f"not UTF-8 text: {exc}", 2
    try:
        import duckdb

        if isinstance(exc, duckdb.Error):
            return f"store: {exc}", 2
    except ImportError:  # pragma: no cover
        pass
    return f"unexpected {type(exc).__name__}: {exc} (a bug; `vigil --debug ...` shows where)", 1


def _check_out(path: Path | None, *, folder: bool = True) -> None:
    """An output folder (or file) option that could not be written stops the run now, in one line."""
    if path is not None:
        from vigil.atomic import check_writable

        with _errors():
            check_writable(path, folder=folder)


def _open(db: Path, *, read_only: bool = False) -> MigratedStore:
    """The store the global options ask for: the DuckDB file ``db``, or the Spark data directory."""
    return store_open.open_store(db, options=_state["store"], read_only=read_only)


def _open_duck(db: Path, *, what: str, read_only: bool = False) -> Store:
    """The DuckDB store ``db`` for DuckDB-only work; ``--engine spark`` is refused in one line."""
    return store_open.open_duck_store(db, options=_state["store"], read_only=read_only, what=what)


class _LogProgress:
    """Progress as timestamped lines on stderr (``VIGIL_PROGRESS=log``), for logs and cron:
    a line when a task starts, one every ``every`` seconds while it runs, one when it ends."""

    def __init__(self, every: float = 30.0) -> None:
        self._every = every
        self._tasks: list[dict[str, Any]] = []

    def __enter__(self) -> _LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        for task in self._tasks:
            if not task["ended"]:
                self._line(task, "stopped" if exc[0] else "done")

    def add_task(self, description: str, total: float | None = None) -> TaskID:
        now = time.monotonic()
        self._tasks.append({"name": description, "total": total, "done": 0.0, "start": now, "last": now, "ended": False})
        self._line(self._tasks[-1], "started")
        return TaskID(len(self._tasks) - 1)

    def update(self, task_id: TaskID, completed: float | None = None, total: float | None = None) -> None:
        if total is not None:
            self._tasks[task_id]["total"] = total
        if completed is not None:
            self._tasks[task_id]["done"] = completed
        self._check(self._tasks[task_id])

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        self._tasks[task_id]["done"] += advance
        self._check(self._tasks[task_id])

    def _check(self, task: dict[str, Any]) -> None:
        if task["ended"]:
            return
        if task["total"] is not None and task["done"] >= task["total"]:
            self._line(task, "done")
        elif time.monotonic() - task["last"] >= self._every:
            self._line(task, "running")

    def _line(self, task: dict[str, Any], state: str) -> None:
        now = time.monotonic()
        task["last"], task["ended"] = now, state in ("done", "stopped")
        count = f"{task['done']:,.0f}" + (f"/{task['total']:,.0f}" if task["total"] is not None else "")
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} {task['name']}: {state}, {count}, {now - task['start']:.1f} s", file=sys.stderr, flush=True)


def _progress() -> Progress | _LogProgress:
    """Bars on a terminal; ``VIGIL_PROGRESS=log`` gives lines instead, ``none`` nothing."""
    mode = settings.progress_mode()
    if mode == "log":
        return _LogProgress()
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False,
        disable=mode == "none" or not err.is_terminal,
    )  # fmt: skip


def _stages(bar: Progress | _LogProgress, verb: str) -> Callable[[str, int, int], None]:
    """A progress callback that gives each stage of a long step its own bar."""
    tasks: dict[str, Any] = {}

    def tick(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"{verb} {stage}", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return tick


def _print_version(value: bool) -> None:
    """``--version`` on its own (no command needed)."""
    if value:
        out.print(f"vigil {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on error.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
    engine: Annotated[str, typer.Option("--engine", envvar="VIGIL_ENGINE", help="duckdb (embedded, the --db file) or spark (Parquet tables in --data).")] = defaults.ENGINE,
    data: Annotated[Path, typer.Option("--data", envvar="VIGIL_DATA", help="Spark engine: the data directory (docs/scaling.md).")] = defaults.DATA_DIR,
    spark_master: Annotated[str, typer.Option("--spark-master", envvar="VIGIL_SPARK_MASTER", help="Spark engine: the master URL.")] = defaults.SPARK_MASTER,
    spark_conf: Annotated[Optional[list[str]], typer.Option("--spark-conf", help="Spark engine: KEY=VALUE configuration (repeatable).")] = None,
) -> None:
    _state["debug"] = debug
    options = StoreOptions(engine=engine, data=data, master=spark_master, conf=tuple(spark_conf or ()))
    with _errors():
        options.check()
        settings.check_environment()  # a bad VIGIL_* value stops here, before any work
    _state["store"] = options


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")] = Path("world"),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 2012,
    reports: Annotated[Optional[int], typer.Option(min=1, help="About how many report rows to write (s3 only; default: the calibrated world).")] = None,
    profile: Annotated[str, typer.Option(callback=_choice("s3", "s4", "market", "noisy"), help="s3: calibrated to §3 hosting (default); s4: calibrated to §4 brands and distributors; market: offers and channels (§2.2, §2.3); noisy: a small §4 world whose pages differ from load to load, with shared kits, every identifier spelling, heavy decoys and disguised sites.")] = "s3",
    decoys: Annotated[float, typer.Option(min=0.0, help="Multiply the decoy identifiers shared by unrelated brands.")] = 1.0,
    mutations: Annotated[float, typer.Option(min=0.0, help="Multiply the per-capture page changes.")] = 1.0,
    namespace: Annotated[Optional[int], typer.Option(min=0, max=499, help="0-499: give the world's key identifiers and capture IDs a space of their own, so that worlds of different namespaces can be loaded side by side without sharing values (load tests).")] = None,
    dirt: Annotated[float, typer.Option(min=1.0, max=10.0, help="s3 only: a dirtier report feed. 1 is the default world; 3 spells 90 % of URLs in one to three ways (more kinds than the default) and triples re-sends and bad rows.")] = 1.0,
) -> None:
    """Write a synthetic world: raw hotline reports and captures, its IP database and shared services, and (apart) its ground truth."""
    from vigil.atomic import atomic_dir
    from vigil.synth import DEFAULT_REPORTS, generate_world

    with _errors():
        if profile in ("s4", "market", "noisy") and reports is not None:
            raise ConfigError(f"the {profile} world has a fixed size; leave --reports out")
        total = None if profile in ("s4", "market", "noisy") else (reports if reports is not None else DEFAULT_REPORTS)
        with _progress() as bar, atomic_dir(out_dir) as building:  # the world appears whole or not at all
            task = bar.add_task("synth reports", total=total or 56_312)
            summary = generate_world(building, seed=seed, reports=total, profile=profile, decoys=decoys, mutations=mutations,
                                     namespace=namespace, dirt=dirt, progress=lambda n: bar.update(task, completed=n))  # fmt: skip
        out.print(
            f"wrote the synthetic world ({summary.profile}, seed {summary.seed}) to {out_dir}: {summary.rows:,} report rows "
            f"in {summary.files} files, {summary.captures:,} captures; ground truth apart in {out_dir / 'truth'}",
            highlight=False,
        )


@ingest_app.command("reports")
def ingest_reports(
    paths: Annotated[list[Path], typer.Argument(help="CSV / JSON Lines files (plain or .gz), or folders of them.")],
    db: DbOption = STORE_PATH,
    source: Annotated[Optional[str], typer.Option(callback=_nonblank, help="Source code for rows that have none.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per committed batch.")] = defaults.ROW_BATCH,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest hotline reports; bad rows go to quarantine with a reason. Re-ingesting changes nothing."""
    from vigil.ingest.run import ingest_reports as run_ingest
    from vigil.ingest.run import report_files

    with _errors(), _open(db) as store:
        files, size = report_files(paths)
        with _progress() as bar:
            task = bar.add_task("ingest reports", total=size)
            summary = run_ingest(store, files, default_source=source, batch_size=batch_size, progress=lambda n: bar.advance(task, n))
        _ingest_summary(summary, as_json, ("rows_read", "stored", "duplicates", "quarantined"))


@ingest_app.command("captures")
def ingest_captures(
    paths: Annotated[list[Path], typer.Argument(help="Folders or zips with manifest.csv/.jsonl, or WARC files (.warc, .warc.gz).")],
    db: DbOption = STORE_PATH,
    source: Annotated[Optional[str], typer.Option(callback=_nonblank, help="Source code for captures that have none.")] = None,
    max_page_bytes: Annotated[int, typer.Option(min=1024, help="Larger pages are quarantined.")] = defaults.MAX_PAGE_BYTES,
    batch_size: Annotated[int, typer.Option(min=1, help="Captures per committed batch.")] = defaults.CAPTURE_BATCH,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest captured pages (HTML only; media is skipped unread and counted). Re-ingesting changes nothing."""
    from vigil.ingest.run import ingest_captures as run_ingest

    with _errors(), _open(db) as store:
        with _progress() as bar:
            task = bar.add_task("ingest captures", total=None)
            summary = run_ingest(store, paths, default_source=source, batch_size=batch_size, max_page_bytes=max_page_bytes,
                                 progress=lambda n: bar.advance(task, n))  # fmt: skip
        _ingest_summary(summary, as_json, ("rows_read", "stored", "duplicates", "quarantined", "skipped_media"))


def _ingest_summary(summary: Any, as_json: bool, keys: tuple[str, ...]) -> None:
    for f in summary.files:
        if f.error:
            err.print(f"[red]error:[/red] {escape(f.error)}", highlight=False, soft_wrap=True)
    if as_json:
        out.print_json(json.dumps(summary.as_dict()))
    else:
        labels = {"rows_read": "records read", "skipped_media": "media skipped unread"}
        for key in keys:
            out.print(f"{labels.get(key, key.replace('_', ' '))}: {summary.total(key):,}")
        skipped = sum(1 for f in summary.files if f.status == "already ingested")
        if skipped:
            out.print(f"inputs already ingested (skipped): {skipped}")
        if summary.total("quarantined"):
            out.print("see them with: vigil quarantine")
    if not summary.usable:
        raise typer.Exit(1)


@ingest_app.command("purchases")
def ingest_purchases(
    paths: Annotated[list[Path], typer.Argument(help="Test-purchase records: CSV / JSON Lines (plain or .gz), or folders of them.")],
    db: DbOption = STORE_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest payment providers' test-purchase records (docs/payments.md)."""
    from vigil.ingest.purchases import PurchaseIngest

    with _errors(), _open(db) as store:
        summary = PurchaseIngest(store).run(paths)
        _ingest_summary(summary, as_json, ("rows_read", "stored", "duplicates", "quarantined"))


@ingest_app.command("estimates")
def ingest_estimates_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Expert answers: question, respondent, value, unit (CSV / JSON Lines).")],
    db: DbOption = STORE_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest structured expert estimates (docs/assessment-inputs.md)."""
    from vigil.ingest.estimates import ingest_estimates

    with _errors(), _open(db) as store:
        _ingest_summary(ingest_estimates(store, paths), as_json, ("rows_read", "stored", "duplicates", "quarantined"))


@ingest_app.command("search")
def ingest_search_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Aggregated search volumes: period, country, term, volume (CSV / JSON Lines).")],
    db: DbOption = STORE_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest aggregated search-volume exports (docs/assessment-inputs.md)."""
    from vigil.ingest.search import ingest_search_volumes

    with _errors(), _open(db) as store:
        _ingest_summary(ingest_search_volumes(store, paths), as_json, ("rows_read", "stored", "duplicates", "quarantined"))


@app.command()
def enrich(
    db: DbOption = STORE_PATH,
    ip_db: Annotated[Optional[Path], typer.Option("--ip-db", envvar="VIGIL_IP_DB", help="MaxMind .mmdb or iptoasn .tsv[.gz]; default: the database bundled with geoip2fast.")] = None,
    shared_services: Annotated[Optional[list[Path]], typer.Option("--shared-services", help="Extra shared-services CSV (repeatable; also VIGIL_SHARED_SERVICES).")] = None,
    site_type_rules: Annotated[Optional[list[Path]], typer.Option("--site-type-rules", help="Extra site-type rules TOML (repeatable; also VIGIL_SITE_TYPE_RULES).")] = None,
    dns: Annotated[bool, typer.Option("--dns", help="Resolve hosts with DNS (network; off by default).")] = False,
) -> None:
    """Derive hosts and domains, IP country/ASN/organisation and site types from the evidence."""
    from vigil.enrich.ip import open_ip_provider
    from vigil.enrich.run import enrich_store

    with _errors(), _open(db) as store:
        provider = open_ip_provider(ip_db)
        resolver = None
        if dns:
            from vigil.enrich.dns import DnspythonResolver

            resolver = DnspythonResolver()
        with _progress() as bar:
            tick = _stages(bar, "enrich")
            summary = enrich_store(
                store, provider=provider, ip_db=ip_db,
                shared_services=_env_paths("VIGIL_SHARED_SERVICES", shared_services),
                site_type_rules=_env_paths("VIGIL_SITE_TYPE_RULES", site_type_rules),
                dns=resolver, progress=tick,
            )  # fmt: skip
        out.print(
            f"enriched {summary.hosts:,} hosts, {summary.ips:,} IPs ({summary.ip_provider}), "
            f"{summary.urls:,} URL site types ({summary.urls_typed_by_report:,} from reports), "
            f"{summary.url_channels:,} URL channels; {summary.pages_scanned:,} pages read for offers"
        )


def _print_stats(stats: dict[str, Any], fmt: str) -> None:
    from vigil.publish.tables import flat, table_names, to_csv, to_json

    if fmt == "json":
        sys.stdout.write(to_json(stats))
        return
    if fmt == "csv":
        for name in table_names(stats):
            sys.stdout.write(f"# {name}\n{to_csv(stats[name])}\n")
        return
    if fmt != "table":
        raise VigilError(f"unknown format {fmt!r}: use table, csv or json")
    scalars = ", ".join(f"{k}: {v}" for k, v in stats.items() if not isinstance(v, (list, dict)))
    out.print(scalars, highlight=False)
    for name in table_names(stats):
        rows = stats[name]
        if not rows:
            out.print(f"{name}: no rows")
            continue
        table = Table(title=name, title_justify="left")
        for col in rows[0]:
            table.add_column(col, justify="right" if col in ("urls", "share", "asns", "hosts", "hops") else "left")
        for row in rows[:25]:
            table.add_row(*[Text(f"{v * 100:.1f}%" if k == "share" else str(flat(v))) for k, v in row.items()])
        if len(rows) > 25:
            table.caption = f"{len(rows) - 25} more rows (use --format csv or json)"
        out.print(table)


@stats_app.command("hosting")
def stats_hosting(
    period: Annotated[str, typer.Option(callback=_period, help="2012Q4, 2012, 2012-10 or 2012-10-01..2012-12-31.")],
    db: DbOption = STORE_PATH,
    all_urls: Annotated[bool, typer.Option("--all", help="Count every URL, not only commercial ones.")] = False,
    fmt: FormatOption = "table",
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Also write JSON, CSV and HTML here.")] = None,
) -> None:
    """§3 hosting: countries, site types, ASNs, shared services, multi-hosted domains, domain hopping."""
    from vigil.analyse.hosting import hosting_stats
    from vigil.periods import Period
    from vigil.publish.tables import write_outputs

    _check_out(out_dir)
    with _errors(), _open(db, read_only=True) as store:
        stats = hosting_stats(store.engine, Period.parse(period), commercial_only=not all_urls)
        _print_stats(stats, fmt)
        if out_dir:
            written = write_outputs(stats, out_dir, name=f"hosting-{stats['period']}", title=f"Hosting, {stats['period']}")
            err.print(f"wrote {written['json']}, {written['html']} and {len(written) - 2} CSV files")


@app.command()
def attribute(
    db: DbOption = STORE_PATH,
    same_threshold: Annotated[float, typer.Option(callback=_open_range(0.0, 1.0), help="Similarity at or above which a page skeleton joins an earlier template.")] = defaults.SAME_THRESHOLD,
    altered_threshold: Annotated[float, typer.Option(callback=_open_range(0.0, 1.0), help="Similarity at or above which a new template is an altered version of an earlier one (lineage).")] = defaults.ALTERED_THRESHOLD,
    max_groups: Annotated[int, typer.Option(min=2, help="Over-matching guard: a value joining this many established groups is generic and links nothing.")] = defaults.MAX_GROUPS,
    min_strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="Identifier kinds whose strength (specificity, 0-1) is below this never link.")] = defaults.MIN_STRENGTH,
    processors: ProcessorsOption = None,
    warninglist: Annotated[Optional[list[Path]], typer.Option("--warninglist", help="Extra MISP-format warning list JSON (repeatable; also VIGIL_WARNINGLISTS).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Rebuild everything instead of only what new captures touch (the result is the same).")] = False,
) -> None:
    """Templates → brands, key identifiers → distributors, with the evidence for every link (assessment §4).

    After a new batch of captures only what the batch touches is recomputed, with exactly the
    result of a full rerun; the run says when it had to rebuild everything, and why."""
    from vigil.attribute.run import attribute_store
    from vigil.attribute.templates import TemplateSettings

    with _errors():
        if altered_threshold >= same_threshold:
            raise ConfigError(f"--altered-threshold ({altered_threshold}) must be below --same-threshold ({same_threshold})")
    with _errors(), _open(db) as store:
        with _progress() as bar:
            tick = _stages(bar, "attribute")
            summary = attribute_store(
                store, settings=TemplateSettings(same=same_threshold, altered=altered_threshold), max_groups=max_groups,
                min_strength=min_strength,
                processors=_env_paths("VIGIL_PROCESSORS", processors), warninglists=_env_paths("VIGIL_WARNINGLISTS", warninglist),
                progress=tick, full=full,
            )  # fmt: skip
            from vigil.store.status import record_run

            record_run(store, "attribute", {"captures": summary.captures, "templates": summary.templates,
                                            "brands": summary.brands, "distributors": summary.distributors})  # fmt: skip
        out.print(f"full run: {summary.why_full}" if summary.full else
                  f"incremental: {summary.recomputed_templates:,} of {summary.templates:,} templates recomputed (what new captures touch)")  # fmt: skip
        out.print(
            f"{summary.captures:,} captures ({summary.cover_pages:,} cover pages of disguised sites): "
            f"{summary.templates:,} templates, {summary.brands:,} brands, {summary.distributors:,} distributors; "
            f"{summary.generic_values:,} identifier values flagged generic (see `vigil explain distributor`)"
        )


@app.command()
def judge(
    brand_a: Annotated[str, typer.Argument(help="A brand ID.")],
    brand_b: Annotated[str, typer.Argument(help="Another brand ID.")],
    verdict: Annotated[str, typer.Option(callback=_verdict, help="same or not_same.")],
    analyst: Annotated[str, typer.Option(callback=_nonblank, help="Who judges (kept with the judgement).")],
    note: Annotated[Optional[str], typer.Option(help="Why.")] = None,
    db: DbOption = STORE_PATH,
) -> None:
    """Record an analyst's judgement that two brands are (not) the same operator; it overrides automatic links on every rerun."""
    from vigil.attribute.judgements import record_judgement

    with _errors(), _open(db) as store:
        judgement_id = record_judgement(store, brand_a, brand_b, verdict=verdict, analyst=analyst, note=note)
        out.print(f"recorded judgement {judgement_id}; run `vigil attribute` to apply it")


@stats_app.command("brands")
def stats_brands(
    period: Annotated[str, typer.Option(callback=_period, help="2012, 2012Q4, 2012-10 or 2009-06-01..2012-12-31.")],
    db: DbOption = STORE_PATH,
    fmt: FormatOption = "table",
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Also write JSON, CSV and HTML here.")] = None,
) -> None:
    """§4 brands and distributors: templates, brands active and new, distributors, the most prolific brands."""
    from vigil.analyse.brands import brand_stats
    from vigil.periods import Period
    from vigil.publish.tables import write_outputs

    _check_out(out_dir)
    with _errors(), _open(db, read_only=True) as store:
        stats = brand_stats(store.engine, Period.parse(period))
        _print_stats(stats, fmt)
        if out_dir:
            written = write_outputs(stats, out_dir, name=f"brands-{stats['period']}", title=f"Brands and distributors, {stats['period']}")
            err.print(f"wrote {written['json']}, {written['html']} and {len(written) - 2} CSV files")


@stats_app.command("payments")
def stats_payments(
    period: Annotated[str, typer.Option(callback=_period, help="2012Q4, 2012, 2012-10 or 2012-10-01..2012-12-31.")],
    db: DbOption = STORE_PATH,
    trend_periods: Annotated[int, typer.Option(min=1, help="How many periods of equal length the trend covers.")] = 4,
    processors: ProcessorsOption = None,
    fmt: FormatOption = "table",
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Also write JSON, CSV and HTML here.")] = None,
) -> None:
    """§5 payments: payment types by URL and brand, hidden payment methods, processors, merchant accounts, concentration."""
    from vigil.analyse.payments import payment_stats
    from vigil.periods import Period
    from vigil.publish.tables import write_outputs

    _check_out(out_dir)
    with _errors():
        chosen = _processors(processors)  # a bad processors file stops the run before the store is opened
    with _errors(), _open(db, read_only=True) as store:
        stats = payment_stats(store.engine, Period.parse(period), trend_periods=trend_periods, processors=chosen)
        _print_stats(stats, fmt)
        if out_dir:
            written = write_outputs(stats, out_dir, name=f"payments-{stats['period']}", title=f"Payments, {stats['period']}")
            err.print(f"wrote {written['json']}, {written['html']} and {len(written) - 2} CSV files")


@stats_app.command("estimates")
def stats_estimates(
    db: DbOption = STORE_PATH,
    k: Annotated[float, typer.Option(callback=_open_range(0.0), help="Tukey fence multiplier for outliers.")] = 1.5,
    fmt: FormatOption = "table",
) -> None:
    """§2.1 expert estimates: n, mean, median, spread and outliers by Tukey's fences, per question."""
    from vigil.analyse.estimates import estimate_stats

    with _errors(), _open(db, read_only=True) as store:
        _print_stats(estimate_stats(store.engine, k=k), fmt)


@stats_app.command("search")
def stats_search(
    start: Annotated[str, typer.Option("--from", callback=_period, help="First period (2011-01, 2011Q1 or 2011).")],
    end: Annotated[str, typer.Option("--to", callback=_period, help="Last period, of the same kind.")],
    lexicon: Annotated[Path, typer.Option(help="Your lexicon CSV (pattern,category), kept outside the repository.", envvar="VIGIL_LEXICON")],
    regions: Annotated[Optional[Path], typer.Option(help="Country → region CSV (default: the bundled table).")] = None,
    db: DbOption = STORE_PATH,
    fmt: FormatOption = "table",
) -> None:
    """Search-term trends by category (Mann-Kendall and regression slope) and growth by region."""
    from vigil.analyse.search import search_stats

    with _errors(), _open(db, read_only=True) as store:
        _print_stats(search_stats(store.engine, lexicon=lexicon, regions=regions, start=start, end=end), fmt)


@export_app.command("attribution")
def export_attribution(
    db: DbOption = STORE_PATH,
    fmt: Annotated[str, typer.Option("--format", callback=_choice("jsonl", "csv"), help="jsonl or csv.")] = "jsonl",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default: standard output).")] = None,
) -> None:
    """One row per capture: capture_id, url, template_id, brand_id, distributor_id."""
    from vigil.publish.exports import write_attribution

    _check_out(output, folder=False)
    with _errors(), _open(db, read_only=True) as store:
        if output:
            from vigil.atomic import atomic_open

            with atomic_open(output, newline="") as handle:
                n = write_attribution(store, handle, fmt)
            err.print(f"wrote {n:,} rows to {output}")
        else:
            write_attribution(store, sys.stdout, fmt)


@explain_app.command("brand")
def explain_brand_cmd(brand_id: Annotated[str, typer.Argument(help="A brand ID, e.g. B-1a2b3c4d5e.")], db: DbOption = STORE_PATH) -> None:
    """Why these captures are one brand, and how it is tied to its distributor."""
    from vigil.publish.explain import explain_brand

    with _errors(), _open(db, read_only=True) as store:
        for line in explain_brand(store, brand_id):
            out.print(Text(line))


@explain_app.command("distributor")
def explain_distributor_cmd(distributor_id: Annotated[str, typer.Argument(help="A distributor ID, e.g. D-1a2b3c4d5e.")], db: DbOption = STORE_PATH) -> None:
    """Which identifiers tie a distributor's brands together, with the evidence chain for every brand."""
    from vigil.publish.explain import explain_distributor

    with _errors(), _open(db, read_only=True) as store:
        for line in explain_distributor(store, distributor_id):
            out.print(Text(line))


@app.command("eval")
def evaluate_cmd(
    truth: Annotated[list[Path], typer.Option("--truth", help="A synthetic world's truth/captures.jsonl; repeat it for worlds loaded side by side (each written with its own --namespace).")],
    db: DbOption = STORE_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score the attribution against a synthetic world's truth (pairwise and B-cubed), beside a naive baseline."""
    from vigil.attribute.evaluate import evaluate

    with _errors(), _open(db, read_only=True) as store:
        result = evaluate(store, truth)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    table = Table("", "pairwise P", "pairwise R", "pairwise F1", "B-cubed P", "B-cubed R", "B-cubed F1", title=f"{result['captures']:,} captures")
    for name in ("brands", "baseline_brands", "distributors", "baseline_distributors"):
        s = result[name]
        table.add_row(name.replace("_", " "), *(f"{s[k]:.4f}" for k in (
            "pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_precision", "bcubed_recall", "bcubed_f1")))  # fmt: skip
    out.print(table)


@app.command()
def report(
    period: Annotated[str, typer.Option(callback=_period, help="2012Q4, 2012, 2012-10 or 2012-10-01..2012-12-31.")],
    db: DbOption = STORE_PATH,
    fmt: Annotated[str, typer.Option("--format", callback=_report_formats, help="html, pdf or md; comma-separated for several.")] = "html,md,pdf",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report files.")] = Path("vigil-report"),
    commentary: Annotated[Optional[Path], typer.Option(help="Analyst's Markdown, '## section-id' headings (docs/report.md).")] = None,
    lexicon: Annotated[Optional[Path], typer.Option(help="Lexicon CSV for search-term trends (kept outside the repository).", envvar="VIGIL_LEXICON")] = None,
    search_from: Annotated[Optional[str], typer.Option(callback=_period, help="First period of the search-term trend.")] = None,
    rates: Annotated[Optional[Path], typer.Option(help="Exchange rates to EUR for the §2.2 prices (CSV: date,currency,eur; docs/market.md).", envvar="VIGIL_RATES")] = None,
    processors: ProcessorsOption = None,
) -> None:
    """The strategic assessment for a period, generated from the data: HTML, PDF and Markdown, with charts."""
    from vigil.periods import Period
    from vigil.publish.report import render_report

    _check_out(out_dir)
    with _errors():
        chosen = _processors(processors)  # a bad processors file stops the run before the store is opened
    with _errors(), _open(db, read_only=True) as store:
        formats = tuple(f.strip() for f in fmt.split(",") if f.strip())
        written = render_report(store, Period.parse(period), out=out_dir, formats=formats, commentary=commentary,
                                lexicon=lexicon, search_from=search_from, rates=rates, processors=chosen)  # fmt: skip
        for kind, path in written.items():
            out.print(f"{kind}: {path}", highlight=False)


@app.command()
def quarantine(
    db: DbOption = STORE_PATH,
    limit: Annotated[int, typer.Option(min=0, help="At most this many rows (0: all).")] = 100,
    fmt: FormatOption = "table",
) -> None:
    """List what ingest set aside: file, line, reason."""
    from vigil.ingest.quarantine import quarantined
    from vigil.publish.tables import to_csv


    with _errors(), _open(db, read_only=True) as store:
        rows = quarantined(store, limit=limit)
        if fmt == "json":
            sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        elif fmt == "csv":
            sys.stdout.write(to_csv(rows))
        else:
            table = Table("kind", "file", "line", "reason", "excerpt", title=f"quarantine ({len(rows)} shown)")
            for row in rows:
                table.add_row(*(Text(str(row[k] or "")) for k in ("kind", "source_file", "line", "reason", "excerpt")))
            out.print(table)


@app.command()
def status(
    db: DbOption = STORE_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What the store holds: schema version, every table users care about, and when the last ingest, enrichment and attribution finished."""
    from vigil.store.status import TABLES, store_status

    options: StoreOptions = _state["store"]
    where = options.location(db)
    with _errors(), _open(db, read_only=True) as store:
        got = store_status(store)
    if as_json:
        sys.stdout.write(json.dumps({"store": str(where), "engine": options.engine, **got}, indent=2) + "\n")
        return
    out.print(f"store {where} ({options.engine}): schema v{got['schema']}", highlight=False)
    for name, what in TABLES:
        out.print(f"  {name}: {got['tables'][name]:,} {what}", highlight=False)
    for step, when in got["last"].items():
        out.print(f"  last {step.replace('_', ' ')}: {when + ' UTC' if when else 'never'}", highlight=False)


store_app = typer.Typer(help="Move a store between engines.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("to-parquet")
def store_to_parquet(
    data: Annotated[Path, typer.Argument(help="The data directory to write (the Spark engine's --data).")],
    db: DbOption = STORE_PATH,
) -> None:
    """Copy every table of a DuckDB store into a Parquet data directory for the Spark engine."""
    from vigil.store.spark import copy_store
    from vigil.store.store import Store

    _check_out(data)
    with _errors(), Store(db, read_only=True) as store:
        tables = copy_store(store, data)
    out.print(f"copied {len(tables)} tables to {data}", highlight=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the world and the tables go.")] = Path("vigil-out"),
    db: DbOption = STORE_PATH,
    seed: Annotated[int, typer.Option(help="Synthetic world seed.")] = 2012,
    period: Annotated[str, typer.Option(callback=_period, help="Period for the §3 tables.")] = "2012Q4",
) -> None:
    """The main job on a fresh clone: make the default world, ingest, enrich, print and write §3; then captures → §4."""
    with _errors():  # the store's folder and the output folder must be writable before any work
        _state["store"].prepare(db)
        if out_dir.exists() and not out_dir.is_dir():
            raise ConfigError(f"cannot write to {out_dir}: {out_dir} is a file, not a folder")
    world = out_dir / "world"
    if (world / "truth" / "world.json").exists():
        out.print(f"using the synthetic world already in {world}")
    else:
        synth(out_dir=world, seed=seed, reports=None, profile="s3", decoys=1.0, mutations=1.0)
    ingest_reports(paths=[world / "reports"], db=db, source=None, batch_size=defaults.ROW_BATCH, as_json=False)
    enrich(db=db, ip_db=world / "iptoasn.tsv", shared_services=[world / "shared_services.csv"], site_type_rules=None, dns=False)
    stats_hosting(period=period, db=db, all_urls=False, fmt="table", out_dir=out_dir / "tables")
    ingest_captures(paths=[world / "captures"], db=db, source=None, max_page_bytes=defaults.MAX_PAGE_BYTES, batch_size=defaults.CAPTURE_BATCH, as_json=False)
    attribute(db=db, same_threshold=defaults.SAME_THRESHOLD, altered_threshold=defaults.ALTERED_THRESHOLD, max_groups=defaults.MAX_GROUPS, min_strength=defaults.MIN_STRENGTH, processors=[p for p in (world / "processors.toml",) if p.exists()],  # absent in worlds of older versions
              warninglist=None)
    year = period[:4]
    stats_brands(period=year, db=db, fmt="table", out_dir=out_dir / "tables")
    out.print(f"§3 tables for {period} and §4 tables for {year}: {out_dir / 'tables'} (JSON, one CSV per table, HTML summaries)")


def main() -> None:
    app()


# The shared pieces the other command modules of this package use (cli/__init__.py imports them).
state = _state
errors = _errors
open_store = _open
open_duck = _open_duck
check_nonblank = _nonblank
check_out = _check_out
check_period = _period
load_processors = _processors
print_stats = _print_stats
check_choice = _choice
env_paths = _env_paths
progress = _progress
stages = _stages
