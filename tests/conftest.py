"""Shared fixtures: every plan a test solves can be run through the independent checker."""

import pytest

import jitopt
from jitopt.check import check_solution


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
