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

    def __init__(self, problems: list[Problem], subject: str = "instance"):
        self.problems = list(problems)
        self.subject = subject  # what is invalid: "instance", "plan", "replay scenarios", ...
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"invalid {self.subject}: {n:,} problem{'s' if n != 1 else ''} found"
        return "\n".join([head] + [f"  - {line}" for line in capped(self.problems)])


LISTED_PER_FILE = 60  # and per file, whatever the columns


def capped(
    problems: list[Problem], per_place: int = LISTED_PER_PLACE, per_file: int = LISTED_PER_FILE
) -> list[str]:
    """The problems as lines: at most ``per_place`` of each (file, column) and ``per_file`` of
    each file, then one line per file counting the rest."""
    by_place: Counter = Counter()
    by_file: Counter = Counter()
    left: Counter = Counter()
    lines = []
    for p in problems:
        by_place[p.file, p.column] += 1
        by_file[p.file] += 1
        if by_place[p.file, p.column] <= per_place and by_file[p.file] <= per_file:
            lines.append(str(p))
        else:
            left[p.file] += 1
    for file, count in left.items():
        lines.append(f"{file}: ... and {count:,} more problems like those above")
    return lines


class SolveError(RuntimeError):
    """The solver failed for a reason other than infeasibility or a limit, or its plan did not
    pass the independent check: never a plan to act on."""


class OutputError(ValueError):
    """An output folder that jitopt may not or cannot write (checked before any work is done)."""


class SizeError(ValueError):
    """The model would not fit this machine (estimated before building; see `jitopt.sizing`)."""
