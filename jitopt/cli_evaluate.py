"""The evaluation commands of the command line (SPEC §8): `jitopt plan` (a policy's plan) and
`jitopt simulate` (a plan judged on scenarios). Registered on `jitopt.cli.main`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from jitopt.cli import (
    _echo_warnings,
    _Exit,
    _exit_code,
    _Finite,
    _signals,
    command,
    main,
    plan_option,
)
from jitopt.schema import MAX_SEED, MAX_TIME_LIMIT


def work_options(work: str, solves: str):
    """``--jobs``, ``--dask`` and ``--time-limit``: where the ``work`` runs and how long
    ``solves`` may take."""

    def decorate(f):
        for option in reversed(
            [
                click.option(
                    "--jobs",
                    type=click.IntRange(min=1, max=256),
                    default=1,
                    show_default=True,
                    help=f"{work[0].upper()}{work[1:]} at once, in local processes.",
                ),
                click.option(
                    "--dask",
                    "dask_address",
                    help=f"Address of a Dask scheduler (tcp://host:8786) for the {work}, instead "
                    "of --jobs (needs the distributed package: pip install '.[dask]' in "
                    "jitopt's folder).",
                ),
                click.option(
                    "--time-limit",
                    type=_Finite(min=0, max=MAX_TIME_LIMIT, min_open=True),
                    help=f"Seconds for {solves} [instance.toml, else 60].",
                ),
            ]
        ):
            f = option(f)
        return f

    return decorate


def _policy(ctx, param, value):
    """--policy, parsed at once: a malformed one is a usage error (exit 2)."""
    if value is None:
        return None
    from jitopt.policies import parse_policy

    try:
        return parse_policy(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@command(main, "plan", interrupted="interrupted before a plan was made: nothing written")
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--policy",
    required=True,
    callback=_policy,
    help="jit | jic:cover=K | dual:share=F[,cover=K] | optimized[:risk=L] (SPEC §8.2).",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder for the plan (the files of `jitopt solve`) [default: INSTANCE_DIR/plan-POLICY].",
)
@click.option(
    "--time-limit",
    type=_Finite(min=0, max=MAX_TIME_LIMIT, min_open=True),
    help="Seconds for `optimized` [instance.toml, else 60].",
)
@click.option("--mip-gap", type=_Finite(min=0, max=1), help="Relative gap for `optimized`.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def plan_cmd(instance_dir, policy, out_dir, time_limit, mip_gap, quiet):
    """Make the plan of a purchasing policy and write it as `jitopt solve` writes a plan.

    jit orders each period's expected demand from the cheapest offer, lead time ahead; jic adds
    K periods of mean demand as safety stock; dual gives a share F to the cheapest offer in
    another region; optimized is `jitopt solve` (risk weight L). Every plan respects the
    ordering rules. Exit codes as `jitopt solve`.
    """

    def action():
        import threading

        from jitopt.files import OutputFolder

        out = out_dir or Path(instance_dir) / f"plan-{policy.slug}"
        with OutputFolder(out, "plan", instance_dir=instance_dir) as folder:
            _make(folder, threading.Event())

    def _make(folder, stop):
        from jitopt.instance import read_instance
        from jitopt.policies import policy_plan
        from jitopt.report import report

        inst = read_instance(instance_dir)
        _signals.stop = stop
        options = {}
        if policy.kind == "optimized":
            options = {"time_limit": time_limit, "mip_gap": mip_gap, "stop": stop}
        plan = policy_plan(inst, policy, **options)
        if not plan.status.has_plan and plan.summary.get("interrupted"):
            raise KeyboardInterrupt
        plan.write(folder)
        if not quiet:
            click.echo(report(plan, folder.given))
        raise _Exit(_exit_code(plan.status))

    action()


@command(main)
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@plan_option(
    "A plan folder (its orders.csv) or an orders CSV file: supplier, item, period, quantity.",
    required=False,
)
@click.option(
    "--policy",
    callback=_policy,
    help="Instead of --plan, a policy as for `jitopt plan`: its plan is made and judged; a "
    "rolling one (rolling:jit, rolling:jic:cover=K, rolling:optimized[:every=R,scenarios=N]) "
    "re-plans every R periods in each scenario from what it knows then.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder for simulation.csv, simulation.json, scenarios.csv, outages.csv (and "
    "carried_out.csv for a rolling policy) [default: PLAN/simulation; for an orders CSV, a "
    "simulation folder beside it; for --policy, INSTANCE_DIR/simulation-POLICY].",
)
@click.option(
    "--scenarios",
    "count",
    type=click.IntRange(min=1, max=100_000_000),
    help="Scenarios to sample [1000].",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    help="Seed for sampling [the instance's [scenarios] seed (0 when unset) + 1: out of sample].",
)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Evaluate on the scenarios of this folder (scenarios.csv, outages.csv, demand.csv), "
    "e.g. a solve's own output.",
)
@click.option(
    "--outage",
    "outages",
    multiple=True,
    help="TARGET:START-END, repeatable: one stress scenario with these outages (a supplier or "
    "region, periods inclusive) and the expected demand.",
)
@click.option(
    "--forecast",
    "forecast",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw each sampled scenario's demand from this forecast (the formats of `jitopt build`) "
    "instead of the instance's demand series.",
)
@click.option("--model", help="The forecast's model, when it has several.")
@click.option(
    "--alpha",
    type=_Finite(0, 1, min_open=True, max_open=True),
    help="VaR and CVaR level [instance.toml [risk], else 0.9].",
)
@work_options(
    "re-plans of a rolling --policy", "each plan of an optimized or rolling optimized --policy"
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def simulate(
    instance_dir,
    plan_path,
    policy,
    out_dir,
    count,
    seed,
    replay_dir,
    outages,
    forecast,
    model,
    alpha,
    jobs,
    dask_address,
    time_limit,
    quiet,
):
    """Judge a plan on scenarios: sampled out of sample (default), replayed, or a stress
    scenario. The plan is a fixed one (--plan), or made by a policy (--policy); a rolling policy
    re-plans in each scenario as it goes. Each scenario's stock, shortage and spot buys are the
    model's second stage, solved exactly. Exit codes: 0 written, 2 invalid plan, policy,
    instance or options, 4 interrupted (nothing written), 1 anything else.
    """

    def action():
        from jitopt.files import OutputFolder

        if (plan_path is None) == (policy is None):
            raise click.UsageError("give either --plan (a plan to judge) or --policy")
        if policy is None:
            plan = Path(plan_path)
            default = plan / "simulation" if plan.is_dir() else plan.parent / "simulation"
        else:
            default = Path(instance_dir) / f"simulation-{policy.slug}"
        with OutputFolder(out_dir or default, "simulation") as folder:
            _simulate(folder)

    def _simulate(folder):
        from jitopt.instance import read_instance
        from jitopt.replan import simulate_policy
        from jitopt.simulation import simulate as run

        inst = read_instance(instance_dir)
        options = {
            "scenarios": count,
            "seed": seed,
            "replay_dir": replay_dir,
            "outages": list(outages),
            "forecast": forecast,
            "model": model,
            "alpha": alpha,
        }
        plan = plan_path
        if policy is not None and not policy.rolling:
            from jitopt.policies import policy_plan

            limit = {"time_limit": time_limit} if policy.kind == "optimized" else {}
            made = policy_plan(inst, policy, **limit)
            if not made.status.has_plan:
                raise click.ClickException(f"{policy.name} made no plan ({made.status.value})")
            plan = made.orders
        what = "re-plans" if policy is not None and policy.rolling else "scenarios"
        with _progress(quiet, what) as progress:
            if policy is not None and policy.rolling:
                result = simulate_policy(
                    inst,
                    policy,
                    time_limit=time_limit,
                    jobs=jobs,
                    dask=dask_address,
                    progress=progress,
                    **options,
                )
            else:
                result = run(inst, plan, progress=progress, **options)
                if policy is not None:  # a static policy's plan, made here
                    result.summary = _with_policy(result.summary, policy.name)
        _echo_warnings([*inst.warnings, *result.warnings], quiet)
        folder.commit(result.files())
        if not quiet:
            click.echo(simulation_report(result.summary, folder.given))

    action()


def _with_policy(summary: dict, name: str) -> dict:
    """``summary`` with ``policy`` after ``plan``."""
    out = {}
    for key, value in summary.items():
        out[key] = value
        if key == "plan":
            out["policy"] = name
    return out


class _progress:
    """A rich progress bar on stderr when it is a terminal (and not --quiet); the callback
    ``progress(done, total)``, or None."""

    def __init__(self, quiet: bool, what: str):
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "{task.description}",
                BarColumn(),
                "{task.completed:,}/{task.total:,}",
                TimeRemainingColumn(),
                transient=True,
                console=_stderr_console(),
            )
            self.what = what
            self.task = None

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()

        def update(done: int, total: int) -> None:
            if self.task is None:
                self.task = self.bar.add_task(self.what, total=total)
            self.bar.update(self.task, completed=done)

        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def simulation_report(s: dict, out: Path) -> str:
    """What `jitopt simulate` prints: the metrics, where it wrote."""
    from jitopt.metrics import metric_rows
    from jitopt.names import shown

    plural = "s" if s["scenarios"] != 1 else ""
    what = f"policy {s['policy']}" if "policy" in s else "plan"
    head = f"{shown(s['instance'])}: {what} judged on {s['scenarios']:,} {s['source']} scenario"
    head += plural + (f" (seed {s['seed']})" if s.get("seed") is not None else "")
    rows = metric_rows(s)  # the expected cost with its standard error
    rows = [(k, f"{v} ± {s['std_error']:,.2f}" if k == "expected cost" else v) for k, v in rows]
    rows += [(f"  {k}", f"{v:,.2f}") for k, v in s["costs"].items() if v]
    width = max(len(k) for k, _ in rows)
    lines = [head, *(f"  {k:<{width}}  {v}" for k, v in rows)]
    if "replans" in s:
        r = s["replans"]
        shared = ", shared by scenarios that saw the same" if r["made"] < r["decisions"] else ""
        lines.append(
            f"re-planned every {r['every']} period{'s' if r['every'] != 1 else ''}: "
            f"{r['made']:,} re-plan{'s' if r['made'] != 1 else ''} for {r['decisions']:,} "
            f"decision{'s' if r['decisions'] != 1 else ''}{shared}; {r['seconds_mean']:.2f} s "
            f"each on average, {r['seconds_max']:.2f} s at most"
        )
    lines.append(f"written to {shown(out)}/ ({s['seconds']:.1f} s)")
    return "\n".join(lines)


def _mix(ctx, param, values):
    """--mix NAME=SUPPLIER,..., parsed at once (a malformed one is a usage error)."""
    from jitopt.comparison import parse_mix

    mixes = {}
    for value in values:
        try:
            name, members = parse_mix(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        if name in mixes:
            raise click.BadParameter(f"mix {name!r} is given twice")
        mixes[name] = members
    return mixes or None


def _policies(ctx, param, values):
    from jitopt.policies import parse_policy

    try:
        parsed = [parse_policy(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    names = [p.name for p in parsed]
    for name in names:
        if names.count(name) > 1:
            raise click.BadParameter(f"policy {name!r} is given twice")
    return parsed or None


@command(main, interrupted="interrupted before any plan was finished: nothing written")
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--mix",
    "mixes",
    multiple=True,
    callback=_mix,
    help="NAME=SUPPLIER,... (suppliers or regions), repeatable: the offers a plan may use "
    "[one mix, all].",
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    callback=_policies,
    help="A policy as for `jitopt plan`, repeatable [jit, jic:cover=2, optimized, "
    "optimized:risk=0.5].",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder for comparison.csv, frontier.png, the plans and the scenarios "
    "[default: INSTANCE_DIR/compare].",
)
@click.option(
    "--scenarios",
    "count",
    type=click.IntRange(min=1, max=10_000_000),
    help="Out-of-sample scenarios every plan is judged on [1000].",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    help="Their seed [the instance's [scenarios] seed (0 when unset) + 1].",
)
@work_options("plans made and evaluated", "each optimized plan and re-plan")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def compare(
    instance_dir,
    mixes,
    policies,
    out_dir,
    count,
    seed,
    jobs,
    dask_address,
    time_limit,
    quiet,
):
    """Compare supplier mixes x purchasing policies on the same out-of-sample scenarios.

    Each plan is made on the instance restricted to its mix, then judged with `jitopt simulate`
    on common scenarios. Writes comparison.csv (efficient plans: no other has both a lower
    expected cost and a lower CVaR), frontier.png and each plan under plans/. Ctrl-C keeps the
    plans already finished (written, and listed as such). Exit codes: 0 written, 2 invalid
    input, 4 interrupted (the finished plans written), 1 anything else (an unreachable Dask
    scheduler).
    """

    def action():
        from jitopt.files import OutputFolder

        out = out_dir or Path(instance_dir) / "compare"
        with OutputFolder(out, "comparison", instance_dir=instance_dir) as folder:
            _compare(folder)

    def _compare(folder):
        import threading

        from jitopt.comparison import compare as run
        from jitopt.instance import read_instance

        inst = read_instance(instance_dir)
        stop = threading.Event()  # Ctrl-C: stop an optimized plan's search at once
        _signals.stop = stop
        with _progress(quiet, "plans") as progress:
            result = run(
                inst,
                mixes,
                policies,
                scenarios=count,
                seed=seed,
                time_limit=time_limit,
                jobs=jobs,
                dask=dask_address,
                progress=progress,
                stop=stop,
            )
        _echo_warnings([*inst.warnings], quiet)
        folder.commit(result.files())
        if not quiet:
            click.echo(comparison_report(result, folder.given))
        if result.interrupted:
            click.echo(f"warning: {result.warnings[0]} (in {folder.given}/)", err=True)
            raise _Exit(4)

    action()


def comparison_report(result, out: Path) -> str:
    """The comparison as a rich table (efficient plans marked), and where it was written."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    from jitopt.names import shown

    s = result.summary
    table = Table(
        title=f"{shown(s['instance'])}: {s['finished']} plan{'s' if s['finished'] != 1 else ''} "
        f"on the same {s['scenarios']:,} out-of-sample scenarios (seed {s['seed']})",
        box=box.SIMPLE,
        title_justify="left",
    )
    for column in (
        "",
        "mix",
        "policy",
        "expected cost",
        f"CVaR {s['alpha']:.0%}",
        "fill rate",
        "P(stockout)",
        "mean stock value",
        "in sample",
        "plan",
    ):
        table.add_column(
            column, justify="left" if column in ("", "mix", "policy") else "right", no_wrap=True
        )
    for row in result.table.itertuples(index=False):
        status = row.plan_status
        if row.plan_status == "feasible" and _number(row.plan_gap):
            status += f" {row.plan_gap:.1%}"
        table.add_row(
            "*" if row.efficient else "",
            shown(row.mix),
            row.policy,
            _shown(row.expected_cost, "{:,.0f}"),
            _shown(row.cvar, "{:,.0f}"),
            _shown(row.fill_rate, "{:.1%}"),
            _shown(row.stockout_probability, "{:.1%}"),
            _shown(row.mean_on_hand_value, "{:,.0f}"),
            _shown(row.in_sample_expected_cost, "{:,.0f}"),
            status,
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, force_terminal=False, color_system=None)
    console.print(table)
    console.print(
        f"* efficient: no other plan has both a lower expected cost and a lower CVaR\n"
        f"written to {shown(out)}/ (comparison.csv, frontier.png, plans/; {s['seconds']:.1f} s)",
        highlight=False,
        markup=False,
    )
    return buffer.getvalue().rstrip("\n")


def _number(x) -> bool:
    import math

    return isinstance(x, (int, float)) and math.isfinite(x)


def _shown(x, fmt: str) -> str:
    """A number of the comparison table, or "-" where the plan has none."""
    return fmt.format(x) if _number(x) else "-"
