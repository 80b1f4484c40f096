"""`Family`: one constraint family of the model, as `jitopt.model.build_model` walks them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyomo.environ as pyo

from jitopt.model.data import ModelData


def _always(data: ModelData) -> bool:
    return True


def _none(data: ModelData) -> dict[str, list]:
    return {}


@dataclass(frozen=True)
class Family:
    """A constraint family: ``name`` is its section in models/formulation.md and its Pyomo
    component (with ``components``, the Pyomo components it adds, each with a section of its own).

    ``applies(data)``: whether the instance switches it on.
    ``binaries(data)``: the binaries it needs, as {variable: keys} ("w": lines, "y": (supplier,
    period), "z": suppliers); a binary exists only where some family asks for it.
    ``item_integers``: the integer variables it adds whose index starts (supplier, item, period),
    which `jitopt.heuristic` frees and fixes item by item."""

    name: str
    add: Callable[[pyo.ConcreteModel, ModelData], None]
    applies: Callable[[ModelData], bool] = _always
    binaries: Callable[[ModelData], dict[str, list]] = _none
    components: tuple[str, ...] = ()
    item_integers: tuple[str, ...] = ()

    @property
    def pyomo_components(self) -> tuple[str, ...]:
        return self.components or (self.name,)
