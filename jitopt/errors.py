"""Errors that jitopt reports to users: every problem of an instance at once, with file, row and column."""

from __future__ import annotations

from dataclasses import dataclass


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
    """The instance data is invalid. ``problems`` lists everything found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"invalid instance: {n} problem{'s' if n != 1 else ''} found"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])
