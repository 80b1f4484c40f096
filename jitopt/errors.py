"""Errors that jitopt reports to users: every problem of an instance at once, with file, row and
column; a failed solve; an output folder that cannot be written."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# Problems listed per (file, column) before the rest are only counted: a file with every row
# given twice must give a readable message, not 200,000 lines.
LISTED_PER_PLACE = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. ``row`` is the line number in the file (header = line 1), or
    the DataFrame index label when the instance came from DataFrames."""

    file: str
    message: str
    row: int | str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class InstanceError(ValueError):
    """The instance data is invalid. ``problems`` lists everything found, not only the first;
    the message (`report`) lists at most `LISTED_PER_PLACE` of each file and column and counts
    the rest."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"invalid instance: {n:,} problem{'s' if n != 1 else ''} found"
        return "\n".join([head] + [f"  - {line}" for line in capped(self.problems)])


def capped(problems: list[Problem], per_place: int = LISTED_PER_PLACE) -> list[str]:
    """The problems as lines, at most ``per_place`` of each (file, column), then one line per
    place counting the rest."""
    seen: Counter = Counter()
    lines = []
    for p in problems:
        seen[p.file, p.column] += 1
        if seen[p.file, p.column] <= per_place:
            lines.append(str(p))
    for (file, column), count in seen.items():
        if count > per_place:
            where = file if column is None else f"{file}, column {column}"
            lines.append(f"{where}: ... and {count - per_place:,} more problems like those above")
    return lines


class SolveError(RuntimeError):
    """The solver failed for a reason other than infeasibility or a limit, or its plan did not
    pass the independent check: never a plan to act on."""


class OutputError(ValueError):
    """An output folder that jitopt may not or cannot write (checked before any work is done)."""


class SizeError(ValueError):
    """The model would not fit this machine (estimated before building; see `jitopt.sizing`)."""
