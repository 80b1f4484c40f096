"""The declarative description of an instance (`jitopt.schema.TABLES` and `SETTINGS`) is what the
reader builds: every table and every setting reaches `jitopt.Instance`, none is read and dropped."""

import dataclasses

import pytest

import jitopt
from jitopt.generate import generate
from jitopt.config import SECTIONS
from jitopt.schema import SETTINGS, TABLES

# instance.toml's [section] -> the Instance field that holds it
SECTION_FIELDS = {"risk": "risk", "scenarios": "sampling", "solver": "solver"}


def test_every_table_is_a_field_of_the_instance():
    fields = {f.name for f in dataclasses.fields(jitopt.Instance)}
    assert set(TABLES) - fields == set(), "tables that Instance would drop"


@pytest.mark.parametrize("stem", list(TABLES))
def test_every_column_of_a_table_reaches_the_instance(stem):
    """The demo (with every optional table, empty where it has none) holds each column of the
    schema, as a column or as the index."""
    inst = jitopt.read_instance("instances/demo")
    frame = getattr(inst, stem)
    table = TABLES[stem]
    if frame is None:
        assert table.none_when_absent
        return
    held = set(frame.columns) | {n for n in frame.index.names if n is not None}
    optional_missing = {c.name for c in table.columns if not c.required} - held
    assert {c.name for c in table.columns} - held <= optional_missing
    assert {c.name for c in table.columns if c.required} <= held


def test_every_setting_value_is_taken():
    """Each setting, given a legal value other than its default, changes the instance."""
    values = {
        "name": "x",
        "periods": 3,
        "shortage": "lost",
        "warehouse_capacity": 100.0,
        "max_suppliers": 1,
        "start": "2027-01-04",
        "freq": "W-MON",
        "risk.measure": "cvar",
        "risk.weight": 0.25,
        "risk.alpha": 0.8,
        "scenarios.count": 7,
        "scenarios.seed": 5,
        "solver.time_limit": 12.0,
        "solver.mip_gap": 0.01,
    }
    assert set(values) == set(SETTINGS), "a new setting needs a value here"
    assert set(SECTIONS) == set(SECTION_FIELDS)
    config: dict = {}
    for key, value in values.items():
        section, _, name = key.rpartition(".")
        (config.setdefault(section, {}) if section else config)[name] = value
    frames = generate(items=2, suppliers=2, regions=1, periods=3, seed=1)
    frames.pop("config")
    inst = jitopt.Instance.from_frames(config, **frames)
    for key, value in values.items():
        section, _, name = key.rpartition(".")
        holder = getattr(inst, SECTION_FIELDS[section]) if section else inst
        assert getattr(holder, name) == value, key


def test_an_unknown_freq_is_one_plain_message():
    from jitopt.config import parse_config

    problems = []
    config = {"periods": 3, "start": "2027-01-04", "freq": "weekly"}
    parse_config(config, "instance.toml", "x", problems)
    assert [p.message for p in problems] == [
        "`freq` 'weekly' is not a period length pandas knows (e.g. \"W-MON\" weeks starting "
        'Monday, "D" days, "MS" months)'
    ]
