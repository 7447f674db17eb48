"""Architecture rules from pyproject.toml's [tool.importlinter], run with import-linter; no module escapes them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ea_pipelines"
#: the modules that may import Dagster: the thin definitions layer, the CLI that runs it, the benchmark's job runner
DAGSTER_LAYER = {"ea_pipelines.defs", "ea_pipelines.definitions", "ea_pipelines.cli",
                 "ea_pipelines.devtools.bench", "ea_pipelines.devtools.bench_executor"}


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def module_names(directory: Path, prefix: str) -> set[str]:
    names = {f"{prefix}.{p.stem}" for p in directory.glob("*.py") if p.stem != "__init__"}
    return names | {f"{prefix}.{p.name}" for p in directory.iterdir() if (p / "__init__.py").exists()}


def test_the_import_contracts_are_kept() -> None:
    run = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                          "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:]
    assert f"Contracts: {len(contracts())} kept, 0 broken." in run.stdout


def test_every_module_outside_the_dagster_layer_is_forbidden_to_import_dagster() -> None:
    rule = next(c for c in contracts() if c["forbidden_modules"] == ["dagster"])
    covered = set(rule["source_modules"])
    top = module_names(PACKAGE, "ea_pipelines") - {"ea_pipelines.devtools", "ea_pipelines.snapshots"}
    everything = top | module_names(PACKAGE / "devtools", "ea_pipelines.devtools")
    assert everything - DAGSTER_LAYER == covered, "a new module: add it to the contract or to the Dagster layer"
