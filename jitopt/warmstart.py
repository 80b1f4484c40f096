"""A MIP start for HiGHS: solve the LP relaxation, then the MIP restricted to what the LP uses.

The restricted MIP fixes to 0 every integer variable whose LP value is 0 (a RENS-like
neighbourhood): far fewer binaries, so HiGHS finds good plans there quickly. Its best plan is handed
to HiGHS as the starting incumbent of the full model. Works on the highspy model that Pyomo's
persistent HiGHS interface built, so nothing is rebuilt.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import pyomo.environ as pyo


def integer_columns(opt, model) -> np.ndarray:
    """HiGHS column indices of the model's integer variables (binaries included)."""
    col = opt._pyomo_var_to_solver_var_map  # Pyomo's persistent HiGHS keeps this map
    return np.array(
        [
            col[id(v)]
            for v in model.component_data_objects(pyo.Var)
            if v.is_integer() and not v.fixed
        ],
        dtype=np.int32,
    )


def set_mip_start(opt, model, seconds: float, threads: int | None = None) -> float | None:
    """Find a plan with the LP-and-restrict heuristic within ``seconds`` and make it HiGHS's MIP
    start. Returns the plan's objective, or None when the heuristic found none."""
    start = time.perf_counter()
    opt.set_instance(model)
    h = opt._solver_model
    idx = integer_columns(opt, model)
    if len(idx) == 0:
        return None
    h.setOptionValue("output_flag", False)
    if threads:
        h.setOptionValue("threads", threads)
    lp = h.getLp()
    lower, upper = np.asarray(lp.col_lower_)[idx], np.asarray(lp.col_upper_)[idx]
    integer = np.array([highspy.HighsVarType.kInteger] * len(idx))
    continuous = np.array([highspy.HighsVarType.kContinuous] * len(idx))

    h.changeColsIntegrality(len(idx), idx, continuous)
    h.setOptionValue("time_limit", max(seconds, 1.0))
    h.run()
    relaxed = np.asarray(h.getSolution().col_value) if h.getSolution().value_valid else None
    h.changeColsIntegrality(len(idx), idx, integer)
    if relaxed is None:
        return None

    unused = idx[relaxed[idx] <= 1e-6]
    h.changeColsBounds(len(unused), unused, np.zeros(len(unused)), np.zeros(len(unused)))
    h.setOptionValue("time_limit", max(seconds - (time.perf_counter() - start), 1.0))
    h.run()
    solution = h.getSolution()
    found = solution.value_valid
    objective = h.getInfo().objective_function_value if found else None
    values = list(solution.col_value) if found else None
    h.changeColsBounds(len(idx), idx, lower, upper)
    h.clearSolver()
    if found:
        start_solution = highspy.HighsSolution()
        start_solution.col_value = values
        start_solution.value_valid = True
        h.setSolution(start_solution)
    h.setOptionValue("output_flag", True)
    return objective
