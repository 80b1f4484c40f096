"""Shared fixtures: every plan a test solves can be run through the independent checker."""

import pyomo.environ as pyo
import pytest

import jitopt
import jitopt.solver
from jitopt.check import check_solution
from jitopt.model import FAMILIES


@pytest.fixture
def checked(tmp_path):
    """``checked(plan)``: write the plan, recompute it with jitopt.check, fail on any problem."""
    count = 0

    def run(plan: jitopt.Plan, instance: jitopt.Instance | None = None) -> jitopt.Plan:
        nonlocal count
        count += 1
        if not plan.status.has_plan:
            return plan
        out = tmp_path / f"plan{count}"
        plan.write(out)
        check_solution(instance or plan.instance, out).raise_if_failed()
        return plan

    return run


@pytest.fixture(autouse=True)
def _families_switched_on(request, monkeypatch):
    """A test marked ``switches_on(...)`` (tests/hand_worked.py) must solve a model that holds
    each family it names (one of the family's Pyomo components at least: some are built only
    for some lines, such as `supplier_contract_line_link`)."""
    named = [f for mark in request.node.iter_markers("switches_on") for f in mark.args]
    if not named:
        yield
        return
    built: set[str] = set()
    build_model = jitopt.solver.build_model

    def recording(*args, **kwargs):
        model, data = build_model(*args, **kwargs)
        kinds = (pyo.Constraint, pyo.Objective)
        built.update(c.local_name for c in model.component_objects(kinds))
        return model, data

    monkeypatch.setattr(jitopt.solver, "build_model", recording)
    yield
    components = {f.name: f.pyomo_components for f in FAMILIES}
    registered = {c for names in components.values() for c in names}
    assert built <= registered, f"built outside jitopt.model.FAMILIES: {built - registered}"
    for family in named:
        assert family in components, f"switches_on({family!r}): no such family"
        assert built & set(components[family]), (
            f"switches_on({family!r}): no model the test solved holds {components[family]}"
        )
