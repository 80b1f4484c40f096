"""The one place that reaches into Pyomo's persistent HiGHS interface
(`pyomo.contrib.solver.solvers.highs.Highs`) for what it does not make public: the `highspy.Highs`
it built, and which HiGHS column and row each Pyomo variable and constraint became.

tests/test_pyomo_highs.py fails loudly when a Pyomo release renames or changes these attributes;
every other module goes through the functions here."""

from __future__ import annotations

import highspy
import numpy as np
import pyomo
from pyomo.contrib.solver.common.factory import SolverFactory

from jitopt.errors import SolveError


def new() -> object:
    """Pyomo's persistent HiGHS interface; SolveError when highspy is missing."""
    opt = SolverFactory("highs")
    if not opt.available():
        raise SolveError("HiGHS is not available: install highspy (pip install highspy)")
    return opt


def _private(opt, name: str):
    try:
        return getattr(opt, name)
    except AttributeError:
        raise SolveError(
            f"Pyomo {pyomo.version.version}'s HiGHS interface has no {name} any more: jitopt "
            "needs a Pyomo release it was tested with (see pyproject.toml)"
        ) from None


def highs(opt) -> highspy.Highs:
    """The `highspy.Highs` holding the model passed by ``opt.set_instance``."""
    return _private(opt, "_solver_model")


def columns(opt) -> dict[int, int]:
    """HiGHS column of each variable, by ``id(variable)``."""
    return _private(opt, "_pyomo_var_to_solver_var_map")


def column_count(opt) -> int:
    return len(columns(opt))


def row_count(opt) -> int:
    """The number of constraints (rows) Pyomo passed to HiGHS."""
    return len(_private(opt, "_pyomo_con_to_solver_con_map"))


def load(opt, values: np.ndarray) -> None:
    """Set every Pyomo variable that HiGHS knows to its column's value in ``values``."""
    variables = _private(opt, "_vars")  # id -> (variable, bounds, ...)
    for vid, k in columns(opt).items():
        variables[vid][0].set_value(float(values[k]), skip_validation=True)
