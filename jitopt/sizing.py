"""How big a model will be, before it is built: variables, constraints, nonzeros, memory, time.

The counts are upper bounds read off the instance (every offer in every period it can be ordered
in, every scenario), so that a model that cannot fit the machine is refused in a second instead of
after minutes of building and a `MemoryError`. Memory and build time per element were measured on
generated instances from 20,000 to 3.5 million nonzeros (benchmarks/README.md, "Model size");
peak memory covers Pyomo's model, HiGHS's copy and a solve.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from jitopt.errors import SizeError
from jitopt.instance import Instance
from jitopt.scenarios import scenario_count

# Measured (see the module notes): bytes per variable or constraint and per nonzero at the peak
# of a solve, the interpreter with pandas, Pyomo and HiGHS loaded, and build time per nonzero.
BYTES_PER_ELEMENT = 2048
BYTES_PER_NONZERO = 300
BASE_BYTES = 80 * 2**20
SECONDS_PER_NONZERO = 40e-6
LARGE_NONZEROS = 1_000_000  # above this, the command line says how big the model is


@dataclass(frozen=True)
class Size:
    """An estimate of a model's size (upper bounds) and of the memory and time to build it."""

    scenarios: int
    variables: int
    constraints: int
    nonzeros: int
    memory: int  # bytes, at the peak of a solve
    build_seconds: float

    @property
    def large(self) -> bool:
        return self.nonzeros >= LARGE_NONZEROS

    def __str__(self) -> str:
        return (
            f"about {self.variables:,} variables, {self.constraints:,} constraints and "
            f"{self.nonzeros:,} nonzeros over {self.scenarios:,} scenario(s): about "
            f"{byte_text(self.memory)} of memory and {self.build_seconds:,.0f} s to build"
        )


def estimate(inst: Instance, count: int | None = None) -> Size:
    """The size of the model of ``inst`` with ``count`` sampled scenarios (default: the
    instance's), without building anything."""
    W = scenario_count(inst, count)
    T, I, S = inst.periods, len(inst.items), len(inst.suppliers)
    lead = inst.offers.index.get_level_values("supplier").map(inst.suppliers["lead_time"])
    per_offer = np.maximum(T - np.asarray(lead, dtype=float), 0.0)
    lines = float(per_offer.sum())
    offers = inst.offers
    binary = (offers["moq"] > 0) | (offers["line_cost"] > 0) | offers["lot_multiple"].notna()
    flagged = float(per_offer[binary.to_numpy()].sum())
    tiers = float(len(inst.price_breaks)) * T
    cells = float(W) * I * T
    spot = float(inst.items["expedite_cost"].notna().sum()) * W * T
    cvar = inst.risk.measure == "cvar" and inst.risk.weight > 0
    variables = lines + flagged + S * T + S + 2 * tiers + 2 * cells + spot + (W + 1) * cvar
    constraints = cells + 3 * lines + 4 * tiers + S * T + S + W * T + W * cvar
    nonzeros = 5 * cells + spot + W * lines + 6 * lines + 8 * tiers + W * (lines + 3 * I * T) * cvar
    memory = (
        BASE_BYTES + BYTES_PER_ELEMENT * (variables + constraints) + BYTES_PER_NONZERO * nonzeros
    )
    return Size(
        scenarios=W,
        variables=int(variables),
        constraints=int(constraints),
        nonzeros=int(nonzeros),
        memory=int(memory),
        build_seconds=SECONDS_PER_NONZERO * nonzeros,
    )


def available_memory() -> int | None:
    """Bytes this process can still use: MemAvailable of /proc/meminfo (Linux), else the
    physical memory; None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_size(size: Size, *, force: bool = False, available: int | None = None) -> None:
    """Raise `SizeError` when the model would need more memory than is available (unless
    ``force``), with the estimate and what to change."""
    available = available_memory() if available is None else available
    if force or available is None or size.memory <= available:
        return
    raise SizeError(
        f"the model is too large for this machine: {size}, but only {byte_text(available)} is "
        "available. Use fewer scenarios (--scenarios, [scenarios] count), fewer periods or "
        "items, or a larger machine; --force tries anyway"
    )


def byte_text(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PiB"  # pragma: no cover
