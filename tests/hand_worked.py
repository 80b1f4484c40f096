"""Hand-worked cases of the model's constraint families.

A test that works a family out by hand is marked ``@switches_on("family", ...)`` (or, for one
parameter set, ``pytest.param(..., marks=switches_on(...))``). tests/conftest.py then makes the
test fail unless a model it solves really contains each named family, and
tests/test_model_registry.py fails unless every family of `jitopt.model.FAMILIES` has a case."""

import pytest

CASES: dict[str, int] = {}  # family -> number of marked cases
MODULES = ("tests.test_rules", "tests.test_risk")  # where the cases are


def switches_on(*families: str) -> pytest.MarkDecorator:
    for family in families:
        CASES[family] = CASES.get(family, 0) + 1
    return pytest.mark.switches_on(*families)
