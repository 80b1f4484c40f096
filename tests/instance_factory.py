"""Write small instance directories for tests.

    from instance_factory import write_instance, valid_config, valid_tables

    tables = valid_tables()                       # a small valid instance as DataFrames
    set_cell(tables, "items", 0, "holding_cost", -1)
    inst_dir = write_instance(tmp_path / "inst", valid_config(), **tables)

`write_instance(path, config, **tables)` writes ``instance.toml`` from ``config`` (``None`` = no
file) and one ``<name>.csv`` per keyword: a DataFrame, a list of row dicts, or raw CSV text (to
control every byte, e.g. blank lines). A table given as ``None`` is not written.

The valid instance (T = 4, backlog): items A, B; suppliers S1 (region R1, lead 1) and S2 (R2,
lead 0); offers S1-A, S1-B, S2-A; one demand series for A and B over periods 1..4. Row numbers in
the written files are the DataFrame positions + 2 (the header is line 1).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TableLike = pd.DataFrame | list | str | None


def valid_config(**overrides) -> dict:
    """``instance.toml`` of the valid instance, with ``overrides`` applied (top-level keys)."""
    config = {"name": "tiny", "periods": 4}
    config.update(overrides)
    return config


def valid_tables() -> dict[str, pd.DataFrame]:
    """The required tables of the valid instance (fresh copies, safe to modify)."""
    return {
        "items": pd.DataFrame(
            {"item": ["A", "B"], "holding_cost": [1.0, 2.0], "shortage_cost": [50.0, 40.0]}
        ),
        "suppliers": pd.DataFrame(
            {
                "supplier": ["S1", "S2"],
                "region": ["R1", "R2"],
                "lead_time": [1, 0],
                "order_cost": [20.0, 30.0],
            }
        ),
        "offers": pd.DataFrame(
            {
                "supplier": ["S1", "S1", "S2"],
                "item": ["A", "B", "A"],
                "unit_cost": [2.0, 3.0, 2.5],
                "moq": [0.0, 10.0, 0.0],
            }
        ),
        "demand": pd.DataFrame(
            {
                "item": ["A"] * 4 + ["B"] * 4,
                "period": [1, 2, 3, 4] * 2,
                "demand": [10.0, 20.0, 0.0, 5.0, 7.0, 7.0, 7.0, 7.0],
            }
        ),
    }


def optional_tables() -> dict[str, pd.DataFrame]:
    """Valid optional tables that fit `valid_tables` (add the ones a test needs)."""
    return {
        "price_breaks": pd.DataFrame(
            {
                "supplier": ["S1", "S1"],
                "item": ["A", "A"],
                "min_qty": [50.0, 100.0],
                "unit_cost": [1.8, 1.5],
            }
        ),
        "regions": pd.DataFrame({"region": ["R1"], "disruption_prob": [0.05]}),
        "pipeline": pd.DataFrame(
            {"supplier": ["S1"], "item": ["B"], "arrival_period": [1], "quantity": [5.0]}
        ),
        "scenarios": pd.DataFrame({"scenario": ["calm", "storm"], "probability": [0.8, 0.2]}),
        "outages": pd.DataFrame(
            {"scenario": ["storm", "storm"], "target": ["R1", "S2"], "start": [1, 2], "end": [2, 2]}
        ),
    }


def set_cell(tables: dict[str, pd.DataFrame], table: str, pos: int, column: str, value) -> None:
    """Put ``value`` (of any type, e.g. text in a numeric column) at position ``pos``."""
    frame = tables[table].astype(object)
    frame.iloc[pos, frame.columns.get_loc(column)] = value
    tables[table] = frame


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot write {value!r} to TOML")


def toml_text(config: dict) -> str:
    """A TOML document for a flat dict with one level of [sections]."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    for key, section in config.items():
        if isinstance(section, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in section.items()]
    return "\n".join(lines) + "\n"


def write_instance(path: str | Path, config: dict | str | None, **tables: TableLike) -> Path:
    """Write an instance directory at ``path`` (created if needed) and return it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if config is not None:
        text = config if isinstance(config, str) else toml_text(config)
        (path / "instance.toml").write_text(text, encoding="utf-8")
    for name, table in tables.items():
        if table is None:
            continue
        file = path / f"{name}.csv"
        if isinstance(table, str):
            file.write_text(table, encoding="utf-8")
            continue
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
        frame.to_csv(file, index=False, lineterminator="\n")
    return path


def write_valid_instance(
    path: str | Path, *, config: dict | None = None, **tables: TableLike
) -> Path:
    """The valid instance, with ``tables`` replacing (or, given as None, removing) some tables."""
    merged: dict[str, TableLike] = dict(valid_tables())
    merged.update(tables)
    return write_instance(path, valid_config() if config is None else config, **merged)
