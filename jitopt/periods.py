"""``--as-of``: the period a user means by a period number or a date (`jitopt roll`,
`jitopt alerts`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jitopt.errors import InstanceError, Problem


def period_at(
    as_of: str | int,
    dates: pd.DatetimeIndex | None,
    end: pd.Timestamp | None,
    what: str,
    periods: int | None = None,
) -> int:
    """The period of ``as_of``: a period number (checked against 1..``periods`` when given), or
    a date in [dates[0], ``end``) of a horizon whose periods start at ``dates`` (the period that
    contains it). Anything else: `InstanceError` of ``what`` ("re-plan", "alerts")."""
    text = str(as_of).strip()

    def bad(message: str) -> InstanceError:
        return InstanceError([Problem("--as-of", message)], what)

    if text.isdigit():
        k = int(text)
        if periods is not None and not 1 <= k <= periods:
            raise bad(f"period {k} is outside the horizon 1..{periods}")
        return k
    if dates is None:
        raise bad(f"{text!r} is not a period number (the {_owner(what)} has no dates)")
    try:
        when = pd.Timestamp(text)
    except ValueError:
        raise bad(f"{text!r} is neither a period number nor a date") from None
    if pd.isna(when) or when < dates[0] or when >= end:
        last = (end - pd.Timedelta(days=1)).date()
        raise bad(f"{text} is outside the horizon ({dates[0].date()} .. {last})")
    return int(np.searchsorted(dates, when, side="right"))


def _owner(what: str) -> str:
    return "plan" if what == "alerts" else "instance"
