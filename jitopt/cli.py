"""The `jitopt` command line: parse options, call the library, map outcomes to exit codes.

Ctrl-C and SIGTERM: the first one stops the search and keeps the best plan found so far (or, when
none has been found yet, stops at once and writes nothing); a second one aborts at once. Output
folders are claimed (checked and locked) before any work, and replaced as a whole
(`jitopt.files.OutputFolder`). The heavy libraries are imported inside the commands, after the
signal handlers are in place.
"""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import click

from jitopt.schema import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT, MAX_SEED, MAX_TIME_LIMIT

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4
CHECK_FAILED = 1  # `jitopt check`: the plan has problems (2: it could not be checked)


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


class _Signals:
    """SIGINT and SIGTERM while a command runs. The first: during a search, ask it to stop (the
    best plan so far is kept); while the plan is checked and written, let that finish; before,
    raise KeyboardInterrupt (nothing found yet: stop at once). The second: abort at once."""

    def __init__(self):
        self.count = 0
        self.problem = None  # the jitopt.solver.BuiltModel being solved, once there is one
        self.stop = None  # its stop event
        self.saved: dict = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self.saved[signum] = signal.signal(signum, self.handle)
            except (ValueError, OSError):  # not the main thread: leave signals alone
                pass

    def restore(self) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)
        self.saved = {}

    def handle(self, signum, frame) -> None:
        self.count += 1
        if self.count > 1:
            os.write(2, b"\naborted\n")
            os._exit(128 + signum)
        phase = getattr(self.problem, "phase", "prepare")
        if self.stop is not None:
            self.stop.set()
        if phase == "prepare":
            raise KeyboardInterrupt
        # "search": HiGHS and the heuristic notice the stop event within a moment;
        # "finish": the search is over, the plan is being checked and written.


_signals = _Signals()


def _run(debug: bool, action, interrupted: str = "interrupted: nothing written") -> None:
    """Run ``action``; turn every error into one readable message and an exit code."""
    from jitopt.errors import InstanceError, OutputError, SizeError, SolveError

    try:
        action()
    except _Exit as done:
        sys.exit(done.code)
    except InstanceError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_INVALID)
    except (OutputError, SizeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        _interrupted(interrupted)
    except (click.exceptions.Exit, click.ClickException):
        raise  # click reports them: a usage error is exit 2
    except SolveError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - the CLI's job is to turn any failure into a message
        if _signals.count:
            # A signal that lands while a C extension is being imported (highspy at start-up)
            # comes back as that import's failure ("initialization failed"): it is the stop.
            if debug:
                traceback.print_exc()
            _interrupted(interrupted)
        if debug:
            traceback.print_exc()
        else:
            text = " ".join(str(exc).split()) or type(exc).__name__
            click.echo(f"error: {text} (run with --debug for details)", err=True)
        sys.exit(EXIT_ERROR)


def command(group: click.Group, name: str | None = None, interrupted: str | None = None):
    """Register the decorated function as a command of ``group``, with the options every command
    shares (``--debug``) and the one error handler (`_run`): the function does the work and
    raises; `_run` turns each error into one message and an exit code. ``interrupted`` is what
    Ctrl-C before the work is done prints."""

    def register(function):
        @functools.wraps(function)
        def run(*args, debug: bool, **kwargs):
            _run(debug, lambda: function(*args, **kwargs), interrupted or _INTERRUPTED)

        debug = click.Option(["--debug"], is_flag=True, help="Show tracebacks.")
        run.__dict__.setdefault("__click_params__", []).insert(0, debug)  # listed last
        return group.command(name)(run)

    return register


_INTERRUPTED = "interrupted: nothing written"


def plan_option(help: str, required: bool = True):
    """``--plan``: a written plan, for the commands that work on one (simulate, roll)."""
    return click.option(
        "--plan", "plan_path", required=required, type=click.Path(path_type=Path), help=help
    )


def as_of_option(help: str):
    """``--as-of``: a period number or a date (`jitopt.periods.period_at`), for roll and alerts."""
    return click.option("--as-of", "as_of", required=True, help=help)


def _interrupted(message: str) -> None:
    click.echo(f"\n{message}", err=True)
    if _signals.count:  # a real signal: nothing is being written, end without tearing
        sys.stdout.flush()  # down a large half-built model object by object
        sys.stderr.flush()
        os._exit(EXIT_NO_PLAN)
    sys.exit(EXIT_NO_PLAN)


class _Finite(click.FloatRange):
    """A float range that also refuses nan and inf (FloatRange lets nan through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _echo_warnings(warnings, quiet: bool) -> None:
    from jitopt.names import shown

    if quiet:
        return
    for warning in warnings:
        click.echo(f"warning: {shown(warning)}", err=True)


class _Group(click.Group):
    def main(self, *args, **kwargs):
        _signals.install()
        code = 0
        try:
            return super().main(*args, **kwargs)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
            raise
        finally:
            _signals.restore()
            stopped = _signals.stop is not None and _signals.stop.is_set()
            _signals.count, _signals.problem, _signals.stop = 0, None, None
            if stopped and _solver_left_behind():
                # A stop left HiGHS finishing a sub-MIP in the background: the plan is
                # written, so end now rather than wait for it (or let the interpreter's
                # shutdown meet a thread inside HiGHS).
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)


def _solver_left_behind() -> bool:
    runs = sys.modules.get("jitopt.highs_run")
    return runs is not None and runs.running_in_background()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jitopt")
def main() -> None:
    """jitopt: purchasing plans for just-in-time inventory under disruption risk."""


@command(main, interrupted="interrupted before a plan was found: nothing written")
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder for orders.csv, inventory.csv, scenarios.csv, outages.csv, summary.json "
    "[default: INSTANCE_DIR/out]. It must be new, empty, or a plan folder jitopt wrote.",
)
@click.option(
    "--time-limit",
    type=_Finite(min=0, max=MAX_TIME_LIMIT, min_open=True),
    help="Seconds for the whole run: reading, building and solving "
    f"[instance.toml, else {DEFAULT_TIME_LIMIT:g}].",
)
@click.option(
    "--mip-gap",
    type=_Finite(min=0, max=1),
    help=f"Relative gap to prove [instance.toml, else {DEFAULT_MIP_GAP:g}].",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1, max=os.cpu_count() or 1),
    help="Solver threads, at most this machine's cores [HiGHS default].",
)
@click.option(
    "--scenarios", "count", type=click.IntRange(min=1), help="Scenarios to sample [instance.toml]."
)
@click.option(
    "--seed", type=click.IntRange(0, MAX_SEED), help="Seed for scenario sampling [instance.toml]."
)
@click.option(
    "--risk-weight",
    type=_Finite(0, 1),
    help="Weight lambda of CVaR in the objective; sets the cvar measure (0: risk-neutral) "
    "[instance.toml [risk]].",
)
@click.option(
    "--alpha",
    type=_Finite(0, 1, min_open=True, max_open=True),
    help="CVaR and VaR level alpha [instance.toml [risk], else 0.9].",
)
@click.option(
    "--heuristic/--no-heuristic",
    default=None,
    help="Run the relax-and-fix / fix-and-optimize heuristic next to HiGHS [on for models with "
    ">= 1000 integer variables].",
)
@click.option("--force", is_flag=True, help="Build a model even when it seems too large.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--log", is_flag=True, help="Show the solver log.")
def solve(
    instance_dir,
    out_dir,
    time_limit,
    mip_gap,
    threads,
    count,
    seed,
    risk_weight,
    alpha,
    heuristic,
    force,
    quiet,
    log,
):
    """Solve the instance in INSTANCE_DIR and write the plan.

    Exit codes: 0 plan written (optimal or feasible), 2 invalid data or usage, 3 infeasible,
    4 no plan within the limits (or interrupted before one was found), 1 anything else.
    Ctrl-C (or SIGTERM) stops the search and writes the best plan found so far; a second one
    aborts at once.
    """
    started = time.perf_counter()

    def action():
        import threading

        from jitopt.files import OutputFolder

        out = out_dir or Path(instance_dir) / "out"
        with OutputFolder(out, "plan", instance_dir=instance_dir) as folder:
            _solve(folder, threading.Event())

    def _solve(folder, stop):
        from jitopt.instance import read_instance
        from jitopt.plan import Status
        from jitopt.report import headline, report
        from jitopt.sizing import check_size, estimate
        from jitopt.solver import build

        inst = read_instance(instance_dir)
        if risk_weight is not None or alpha is not None:
            inst = inst.with_risk(weight=risk_weight, alpha=alpha)
        size = estimate(inst, count=count)
        check_size(size, force=force)
        if size.large and not quiet:
            click.echo(f"model: {size} (estimated)", err=True)
        problem = build(inst, count=count, seed=seed, force=force)
        _signals.problem, _signals.stop = problem, stop
        with _live_view(quiet or log) as progress:
            plan = problem.solve(
                time_limit=time_limit,
                mip_gap=mip_gap,
                threads=threads,
                tee=log,
                heuristic=heuristic,
                stop=stop,
                started=started,
                progress=progress,
            )
        if not plan.status.has_plan and plan.summary.get("interrupted"):
            raise KeyboardInterrupt
        plan.write(folder)
        if not quiet:
            click.echo(report(plan, folder.given))
        elif plan.status in (Status.INFEASIBLE, Status.NO_SOLUTION):
            click.echo(headline(plan), err=True)
        if not plan.status.has_plan and folder.read_text("orders.csv") is not None and not quiet:
            click.echo(
                f"the plan of an earlier run in {folder.given}/ is kept, marked stale in its "
                "summary.json",
                err=True,
            )
        raise _Exit(_exit_code(plan.status))

    action()


@contextmanager
def _live_view(silent: bool):
    """A one-line view of the search on stderr, when it is a terminal (and not ``silent``):
    time, the best plan's cost and where it came from, the bound, the gap, how to stop. It
    updates twice a second and leaves no trace when the search ends. Yields the callback for
    `BuiltModel.solve` (None: no view)."""
    if silent or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    live = Live(
        Text("solving ..."),
        console=Console(stderr=True),
        refresh_per_second=4,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )

    def update(snap) -> None:
        live.update(Text(live_line(snap), no_wrap=True, overflow="ellipsis"))

    with live:
        yield update


def live_line(snap) -> str:
    """The live view's line for a `jitopt.highs_run.Snapshot`."""
    # most important first: a narrow terminal cuts the end of the line
    parts = [f"solving {snap.seconds:,.0f} s (Ctrl-C keeps the best)"]
    if snap.objective is None:
        parts.append("no plan yet")
    else:
        parts.append(f"best {snap.objective:,.0f} ({snap.source})")
    if snap.gap is not None:
        parts.append(f"gap {snap.gap:.2%}")
    if snap.bound is not None:
        parts.append(f"bound {snap.bound:,.0f}")
    return "  ".join(parts)


def _exit_code(status) -> int:
    from jitopt.plan import Status

    return {
        Status.OPTIMAL: EXIT_OK,
        Status.FEASIBLE: EXIT_OK,
        Status.INFEASIBLE: EXIT_INFEASIBLE,
        Status.NO_SOLUTION: EXIT_NO_PLAN,
    }[status]


@command(main)
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--items", type=click.IntRange(min=1, max=100_000), default=30, show_default=True)
@click.option("--suppliers", type=click.IntRange(min=2, max=10_000), default=6, show_default=True)
@click.option("--regions", type=click.IntRange(min=1, max=10_000), default=3, show_default=True)
@click.option("--periods", type=click.IntRange(min=2, max=100_000), default=26, show_default=True)
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True)
@click.option(
    "--scenarios",
    type=click.IntRange(min=1, max=100_000),
    help="Demand scenarios (a scenario column in demand.csv) [one demand series].",
)
@click.option("--moq/--no-moq", default=True, show_default=True, help="Minimum order quantities.")
@click.option(
    "--capacity/--no-capacity", default=True, show_default=True, help="Supplier capacities."
)
@click.option(
    "--order-costs/--no-order-costs", default=True, show_default=True, help="Order costs."
)
@click.option("--price-breaks", is_flag=True, help="All-units discounts on some offers.")
@click.option(
    "--disruptions", is_flag=True, help="Regional and supplier disruption risk (sampled)."
)
@click.option(
    "--sampled",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Disruption scenarios to sample ([scenarios] count), with --disruptions.",
)
@click.option("--spot-buys", is_flag=True, help="Items can be bought on the spot (expedited).")
@click.option(
    "--pipeline/--no-pipeline", default=True, show_default=True, help="Orders in transit."
)
@click.option(
    "--overwrite", is_flag=True, help="Replace the instance in OUT_DIR (an instance folder)."
)
def generate(out_dir, overwrite, **options):
    """Write a synthetic but believable instance to OUT_DIR (same options, same files)."""

    def action():
        from jitopt.files import OutputFolder, instance_files
        from jitopt.generate import generate as make
        from jitopt.instance import read_instance
        from jitopt.names import shown

        with OutputFolder(out_dir, "instance", overwrite=overwrite) as folder:
            # what is written must read back as a valid instance before it replaces anything
            folder.commit(instance_files(make(**options)), validate=read_instance)
        inst = read_instance(out_dir)
        click.echo(
            f"{shown(inst.name)}: {len(inst.items)} items, {len(inst.suppliers)} suppliers, "
            f"{len(inst.offers)} offers, {inst.periods} periods -> {out_dir}/"
        )

    action()


@command(main)
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
def validate(instance_dir):
    """Check the instance in INSTANCE_DIR and list every problem found (exit 2 if any)."""

    def action():
        from jitopt.instance import read_instance
        from jitopt.names import shown

        inst = read_instance(instance_dir)
        _echo_warnings(inst.warnings, quiet=False)
        click.echo(
            f"{shown(inst.name)}: valid ({len(inst.items)} items, {len(inst.suppliers)} "
            f"suppliers, {len(inst.offers)} offers, {inst.periods} periods)"
        )

    action()


@command(main)
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def check(instance_dir, out_dir):
    """Recompute a written plan's balances and costs without the model, and compare.

    Exit codes: 0 the plan checks out, 1 the plan has problems (listed), 2 it could not be
    checked (an invalid instance, or files of the plan missing or damaged: listed).
    """

    def action():
        from jitopt.check import check_solution
        from jitopt.instance import read_instance
        from jitopt.names import shown

        if not Path(out_dir).is_dir():
            click.echo(f"error: {out_dir} is not a folder", err=True)
            raise _Exit(EXIT_INVALID)
        result = check_solution(read_instance(instance_dir), out_dir)
        if result.ok:
            click.echo(f"plan in {out_dir} checks out: objective {result.objective:,.2f}")
            return
        if result.unreadable:
            click.echo(f"plan in {out_dir} could not be checked:", err=True)
            _list(result.unreadable, shown)
        if result.problems:
            click.echo(f"plan in {out_dir} has {len(result.problems)} problem(s):", err=True)
            _list(result.problems, shown)
        raise _Exit(EXIT_INVALID if result.unreadable else CHECK_FAILED)

    action()


def _list(lines: list[str], shown, limit: int = 50) -> None:
    for line in lines[:limit]:
        click.echo(f"  - {shown(line)}", err=True)
    if len(lines) > limit:
        click.echo(f"  ... and {len(lines) - limit:,} more", err=True)


@command(main, "build")
@click.argument("forecast", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--catalog",
    "catalog_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with items.csv, suppliers.csv, offers.csv [price_breaks.csv, regions.csv, "
    "pipeline.csv, instance.toml].",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the instance to.",
)
@click.option("--model", help="Forecast model (column) to use, when the forecast has several.")
@click.option(
    "--scenarios",
    "count",
    type=click.IntRange(min=1),
    help="Demand scenarios to draw [catalog instance.toml [scenarios] count, else 30].",
)
@click.option(
    "--seed", type=click.IntRange(0, MAX_SEED), help="Seed for the draws [instance.toml, else 0]."
)
@click.option(
    "--date-format",
    help="How to read the forecast's dates, as strftime codes (e.g. %d/%m/%Y); needed when "
    "they could be read day-first and month-first.",
)
@click.option("--clip-negative", is_flag=True, help="Read negative forecast values as zero demand.")
@click.option(
    "--decimals",
    type=click.IntRange(min=0, max=6),
    default=0,
    show_default=True,
    help="Round demand to this many decimals (0: whole units).",
)
@click.option("--overwrite", is_flag=True, help="Replace the instance in OUT (an instance folder).")
def build_cmd(
    forecast,
    catalog_dir,
    out_dir,
    model,
    count,
    seed,
    date_format,
    clip_negative,
    decimals,
    overwrite,
):
    """Build an instance from a demand FORECAST (CSV or Parquet) and a supplier catalogue.

    FORECAST is statsforecast's long format (unique_id, ds, a column per model, optional
    <model>-lo-<L>/<model>-hi-<L>), quantiles (<model>-q-<P>) or sample paths (unique_id, ds,
    sample, one value column). Exit code 2 lists every problem of the forecast and catalogue.
    """

    def action():
        import pandas as pd

        from jitopt.catalog import instance_tables
        from jitopt.files import OutputFolder, instance_files
        from jitopt.forecast import detect_format, read_forecast
        from jitopt.instance import read_instance

        with OutputFolder(out_dir, "instance", overwrite=overwrite) as folder:
            frame = read_forecast(forecast, date_format=date_format)
            tables = instance_tables(
                frame,
                catalog_dir,
                model=model,
                scenarios=count,
                seed=seed,
                clip_negative=clip_negative,
                decimals=decimals,
            )
            folder.commit(instance_files(tables), validate=read_instance)
        fmt, cfg, demand = detect_format(frame, model), tables["config"], tables["demand"]
        dates = pd.date_range(cfg["start"], periods=cfg["periods"], freq=cfg["freq"])
        if "scenario" in demand.columns:
            series = f"{demand['scenario'].nunique()} demand scenarios"
        else:
            series = "1 demand series"
        click.echo(
            f"{out_dir}: {len(tables['items'])} items, {cfg['periods']} periods "
            f"{dates[0]:%Y-%m-%d}..{dates[-1]:%Y-%m-%d} ({cfg['freq']}), {series} "
            f"({fmt.model}, {fmt.kind})"
        )
        _echo_warnings(read_instance(out_dir).warnings, quiet=False)

    action()


# The evaluation commands (plan, simulate, compare) and the re-plan (roll) live in their own
# modules, registered on `main`.
from jitopt import cli_alerts, cli_evaluate, cli_report, cli_roll  # noqa: F401, E402

if __name__ == "__main__":  # python -m jitopt.cli: the group of jitopt.cli, with every command
    from jitopt._entry import main as _entry

    _entry()
