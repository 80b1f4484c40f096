"""jitopt: purchasing plans for just-in-time inventory under disruption risk (Pyomo + HiGHS).

    import jitopt
    inst = jitopt.read_instance("instances/demo")      # or jitopt.Instance.from_frames(...)
    plan = jitopt.solve(inst, time_limit=60)
    plan.status, plan.objective, plan.orders, plan.inventory, plan.scenario_costs, plan.summary
    plan.write("out/")

To add your own constraints: ``problem = jitopt.build(inst)``, change ``problem.model``, then
``plan = problem.solve()``.
"""

from jitopt.errors import InstanceError, Problem
from jitopt.instance import Instance, read_instance
from jitopt.plan import Plan, Status
from jitopt.scenarios import ScenarioSet, make_scenarios
from jitopt.solve import SolveError, build, solve

__version__ = "0.1.0"

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "Problem",
    "ScenarioSet",
    "SolveError",
    "Status",
    "build",
    "make_scenarios",
    "read_instance",
    "solve",
]
