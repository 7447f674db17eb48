"""The pinned stack installs and imports together (the versions pyproject.toml promises)."""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def pins() -> dict[str, str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    deps = [*project["dependencies"], *project["optional-dependencies"]["deploy"]]  # make installs both
    out = {}
    for dep in deps:
        m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^]]+\])?==([^;\s]+)$", dep)
        assert m, f"dependency not pinned exactly: {dep}"
        out[m.group(1)] = m.group(3)
    return out


@pytest.mark.parametrize("name,version", sorted(pins().items()))
def test_installed_version_matches_the_pin(name: str, version: str) -> None:
    assert md.version(name) == version


def test_the_stack_imports_together() -> None:
    import cbsodata
    import dagster
    import duckdb_engine  # noqa: F401
    import great_expectations as gx
    import psycopg
    import sqlalchemy

    assert dagster.__version__.startswith("1.13.")
    assert sqlalchemy.__version__.startswith("2.0.")  # duckdb_engine 0.17 breaks on 2.1
    assert gx.__version__.startswith("1.")
    assert psycopg.__version__.startswith("3.")
    assert callable(cbsodata.get_data)
