"""`jitopt.pyomo_highs`, the only module that reads Pyomo's private HiGHS attributes, still works
with the installed Pyomo: this fails loudly when a Pyomo release changes them."""

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest

from jitopt import pyomo_highs
from jitopt.errors import SolveError


def small_model() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3], within=pyo.NonNegativeReals, bounds=(0, 10))
    m.b = pyo.Var(within=pyo.Binary)
    m.c1 = pyo.Constraint(expr=m.x[1] + m.x[2] >= 3)
    m.c2 = pyo.Constraint(expr=m.x[3] <= 10 * m.b)
    m.obj = pyo.Objective(expr=m.x[1] + 2 * m.x[2] + m.x[3] + m.b)
    return m


def test_the_adapter_reads_what_pyomo_passed_to_highs():
    m = small_model()
    opt = pyomo_highs.new()
    opt.set_instance(m)
    h = pyomo_highs.highs(opt)
    assert isinstance(h, highspy.Highs)
    variables = list(m.component_data_objects(pyo.Var))
    cols = pyomo_highs.columns(opt)
    assert set(cols) == {id(v) for v in variables}
    assert sorted(cols.values()) == list(range(len(variables)))
    assert pyomo_highs.column_count(opt) == h.getNumCol() == 4
    assert pyomo_highs.row_count(opt) == h.getNumRow() == 2
    # the column of x[2] is the one HiGHS prices at 2
    costs = np.asarray(h.getLp().col_cost_)
    assert costs[cols[id(m.x[2])]] == 2.0
    values = np.arange(4, dtype=float) + 0.5
    pyomo_highs.load(opt, values)
    assert [v.value for v in variables] == [values[cols[id(v)]] for v in variables]


def test_a_missing_attribute_is_a_clear_error():
    class Changed:  # what a Pyomo release that renamed the attributes would give
        pass

    with pytest.raises(SolveError, match="has no _solver_model any more"):
        pyomo_highs.highs(Changed())
