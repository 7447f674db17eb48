"""Fixtures of the Swing ODS tests: a fake ODS on 127.0.0.1 serving the catalogue's variables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ea_pipelines.catalogue.swing import SwingCatalogue, load_swing_catalogue
from ea_pipelines.devtools.fake_swing_server import FakeSwingServer, FakeVariable
from ea_pipelines.settings import DEFAULT_SWING_SNAPSHOT_DIR, Settings
from ea_pipelines.swing.source import SwingSource
from ea_pipelines_tests.conftest import FAST

PERIODS = ("2021", "2022", "2023")


@pytest.fixture(scope="session")
def swing_catalogue() -> SwingCatalogue:
    return load_swing_catalogue(Settings().swing_catalogue_path)


def known_values(code: str, regions: tuple[tuple[str, str], ...], missing: set[tuple[str, str]] = frozenset()
                ) -> dict[tuple[str, str], str]:
    """Values a test can recompute: (region number + year) / 100, '?' for the ``missing`` cells."""
    return {(c, p): "?" if (c, p) in missing else f"{(int(c[-4:]) + int(p)) / 100:.2f}"
            for c, _ in regions for p in PERIODS}


@pytest.fixture
def fake_variables(swing_catalogue: SwingCatalogue) -> list[FakeVariable]:
    from ea_pipelines.devtools.fake_swing_server import TWENTE
    return [FakeVariable(v.variable, v.title, known_values(v.variable, TWENTE, {("GM0141", "2022")}))
            for v in swing_catalogue.variables]


@pytest.fixture
def ods(fake_variables: list[FakeVariable]) -> Iterator[FakeSwingServer]:
    with FakeSwingServer(fake_variables, periods=PERIODS, page_size=10) as server:
        yield server


def swing_source(mode: str, url: str, tmp_path: Path, catalogue: SwingCatalogue, api_key: str = "") -> SwingSource:
    return SwingSource.create(mode, url, DEFAULT_SWING_SNAPSHOT_DIR, tmp_path / "landing", catalogue,
                              api_key=api_key, policy=FAST)
