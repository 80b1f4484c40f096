"""jitopt: purchasing plans for just-in-time inventory under disruption risk (Pyomo + HiGHS).

    import jitopt
    inst = jitopt.read_instance("instances/demo")      # or jitopt.Instance.from_frames(...)
    plan = jitopt.solve(inst, time_limit=60)
    plan.status, plan.objective, plan.orders, plan.inventory, plan.scenario_costs, plan.summary
    plan.write("out/")

    sim = jitopt.simulate(inst, plan.orders, scenarios=10_000)   # out of sample: sim.table, sim.summary
    jic = jitopt.policy_plan(inst, "jic:cover=2")                 # a baseline buyer's plan
    cmp = jitopt.compare(inst, {"CN": ["CN"], "all": None})       # mixes x policies: cmp.table

To add your own constraints: ``built = jitopt.build(inst)`` (a `jitopt.solver.BuiltModel`),
change ``built.model``, then ``plan = built.solve()``. (`jitopt.Problem` is one problem found in
the input: file, row, column, message.)

The names below are imported on first use, so that ``import jitopt`` (and the command line's
start) does not wait for pandas, Pyomo and HiGHS; submodules (``jitopt.generate``,
``jitopt.catalog``, ``jitopt.check``, ...) are reachable as attributes too.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Instance": "jitopt.instance",
    "InstanceError": "jitopt.errors",
    "OutputError": "jitopt.errors",
    "Comparison": "jitopt.comparison",
    "Plan": "jitopt.plan",
    "Policy": "jitopt.policies",
    "Problem": "jitopt.errors",
    "ScenarioSet": "jitopt.scenarios",
    "Simulation": "jitopt.simulation",
    "SizeError": "jitopt.errors",
    "SolveError": "jitopt.errors",
    "Status": "jitopt.plan",
    "build": "jitopt.solver",
    "compare": "jitopt.comparison",
    "make_scenarios": "jitopt.scenarios",
    "parse_policy": "jitopt.policies",
    "policy_plan": "jitopt.policies",
    "read_instance": "jitopt.instance",
    "simulate": "jitopt.simulation",
    "simulate_policy": "jitopt.replan",
    "solve": "jitopt.solver",
}
_SUBMODULES = {
    "alerts",
    "catalog",
    "charts",
    "check",
    "comparison",
    "diagnose",
    "errors",
    "files",
    "forecast",
    "generate",
    "instance",
    "metrics",
    "model",
    "plan",
    "plan_files",
    "policies",
    "recourse",
    "replan",
    "rolling",
    "scenarios",
    "schema",
    "simulation",
    "solver",
}

__all__ = [
    "Comparison",
    "Instance",
    "InstanceError",
    "OutputError",
    "Plan",
    "Policy",
    "Problem",
    "ScenarioSet",
    "Simulation",
    "SizeError",
    "SolveError",
    "Status",
    "build",
    "compare",
    "make_scenarios",
    "parse_policy",
    "policy_plan",
    "read_instance",
    "simulate",
    "simulate_policy",
    "solve",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"jitopt.{name}")
    else:
        raise AttributeError(f"module 'jitopt' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
