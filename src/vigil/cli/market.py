"""``vigil stats offers`` and ``vigil stats channels``: the market (§2.2) and channels (§2.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.core import (
    DbOption,
    FormatOption,
    ProcessorsOption,
    check_out,
    check_period,
    err,
    errors,
    load_processors,
    open_store,
    print_stats,
    stats_app,
)
from vigil.defaults import STORE_PATH
from vigil.errors import ConfigError


@stats_app.command("offers")
def stats_offers(
    period: Annotated[str, typer.Option(callback=check_period, help="2012Q4, 2012, 2012-10 or 2012-10-01..2012-12-31.")],
    db: DbOption = STORE_PATH,
    rates: Annotated[Path | None, typer.Option(help="Exchange rates to EUR (CSV: date,currency,eur), yours; never fetched.", envvar="VIGIL_RATES")] = None,
    trend_periods: Annotated[int, typer.Option(min=1, help="How many periods the virtual-currency share covers.")] = 8,
    processors: ProcessorsOption = None,
    fmt: FormatOption = "table",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Also write JSON, CSV and HTML here.")] = None,
) -> None:
    """§2.2 offers and prices: price points per offer type, brands by offer type, prices by distributor, currencies, payment types, virtual-currency share."""
    from vigil.analyse.offers import offer_stats
    from vigil.analyse.rates import load_rates
    from vigil.periods import Period
    from vigil.publish.tables import write_outputs

    check_out(out_dir)
    with errors():
        try:
            table = load_rates(rates)  # a bad rates file stops the run before the store is opened
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{rates}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        chosen = load_processors(processors)
    with errors(), open_store(db, read_only=True) as store:
        stats = offer_stats(store.engine, Period.parse(period), rates=table, trend_periods=trend_periods, processors=chosen)
        print_stats(stats, fmt)
        if out_dir:
            written = write_outputs(stats, out_dir, name=f"offers-{stats['period']}", title=f"Offers, {stats['period']}")
            err.print(f"wrote {written['json']}, {written['html']} and {len(written) - 2} CSV files")


@stats_app.command("channels")
def stats_channels(
    start: Annotated[str, typer.Option("--from", callback=check_period, help="First period (2011Q1, 2011-01 or 2011).")],
    end: Annotated[str, typer.Option("--to", callback=check_period, help="Last period, of the same kind.")],
    db: DbOption = STORE_PATH,
    fmt: FormatOption = "table",
) -> None:
    """§2.3 channels: URLs and commercial share per channel and period, Mann-Kendall trends, emerging issues."""
    from vigil.analyse.channels import channel_stats

    with errors(), open_store(db, read_only=True) as store:
        print_stats(channel_stats(store.engine, start=start, end=end), fmt)
