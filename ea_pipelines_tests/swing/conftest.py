"""Fixtures of the Swing ODS tests: a fake ODS on 127.0.0.1 serving the catalogue's variables, as ODS v1
(``/jiveservices/odata``, no key) and as ODS 2.0 (``/ods/odata``, a key on every request): every test that takes
``ods`` runs against both."""

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
#: the key of the fake ODS 2.0
ODS_KEY = "fake-ods-2-key-7f3a"


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


@pytest.fixture(params=["1", "2.0"], ids=["ods-v1", "ods-2.0"])
def ods_version(request: pytest.FixtureRequest) -> str:
    return request.param


def fake_ods(variables: list[FakeVariable], version: str, **kwargs) -> FakeSwingServer:
    """A fake ODS of ``version``; an ODS 2.0 wants ``ODS_KEY``."""
    return FakeSwingServer(variables, version=version, api_key=ODS_KEY if version == "2.0" else None, **kwargs)


@pytest.fixture
def ods(fake_variables: list[FakeVariable], ods_version: str) -> Iterator[FakeSwingServer]:
    with fake_ods(fake_variables, ods_version, periods=PERIODS, page_size=10) as server:
        yield server


def swing_source(mode: str, url: str, tmp_path: Path, catalogue: SwingCatalogue, api_key: str = "") -> SwingSource:
    return SwingSource.create(mode, url, DEFAULT_SWING_SNAPSHOT_DIR, tmp_path / "landing", catalogue,
                              api_key=api_key, policy=FAST)


def live_source(ods: FakeSwingServer, tmp_path: Path, catalogue: SwingCatalogue, mode: str = "live") -> SwingSource:
    """A source reading ``ods`` with the key it wants (none for a v1 site without one)."""
    return swing_source(mode, ods.ods_url, tmp_path, catalogue, api_key=ods.api_key or "")
