"""Every catalogue setting reaches every reader (issue 21, item 4).

Each of EA_CBS_CATALOGUE, EA_SWING_CATALOGUE, EA_DELIVERY_CATALOGUE and EA_INDICATOR_CATALOGUE is pointed at a
modified copy of its bundled file (a renamed title or name and an extra entry, carrying :data:`MARK`); every
reader of that catalogue is observed once with the bundled files and once with the copy. A text reader
(definitions, seed tables, report, templates, data dictionary, CLI summary) must show the mark with the copy and
not without; the versions (every asset's code version, the seeds' content version) must change for the entries
that changed, and only for those. The cases are generated: settings x the readers of each.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.settings import Settings
from ea_pipelines_tests.defs.test_definitions import settings_for

#: what each modification writes into its copy: lower case, valid in asset names and variable codes
MARK = "gewijzigd_q7"


def _cbs(raw: dict[str, Any]) -> None:
    raw["tables"][0]["title"] += f" {MARK}"
    prog = raw["programme"]
    prog["municipality"] = {"code": "GM0153", "name": f"Enschede {MARK}"}  # another peer becomes the programme's


def _swing(raw: dict[str, Any]) -> None:
    first, *_, last = raw["variables"]
    first["title"] += f" {MARK}"
    extra = {**copy.deepcopy(last), "name": MARK, "variable": f"kp_{MARK}", "title": f"Extra {MARK}"}
    del last["indicator"]  # the extra variable provides the last one's indicator instead
    raw["variables"].append(extra)


def _deliveries(raw: dict[str, Any]) -> None:
    types = raw["deliveries"]
    first = next(iter(types.values()))
    first["title"] += f" {MARK}"
    types[MARK] = {**copy.deepcopy(types["mkb_ranking"]), "title": f"Extra {MARK}"}


def _indicators(raw: dict[str, Any]) -> None:
    groen = next(i for i in raw["indicators"] if i["code"] == "groenblauw_waardering")  # a Swing-provided one
    groen["name"] += f" {MARK}"


@dataclass(frozen=True)
class Variant:
    setting: str
    field: str
    modify: Callable[[dict[str, Any]], None]
    #: asset keys whose code version must change (or appear) with the copy; every other one stays
    versions: frozenset[str]
    #: the mark each text reader shows (default MARK)
    marks: dict[str, str]


VARIANTS = {v.setting: v for v in [
    Variant("EA_CBS_CATALOGUE", "catalogue_path", _cbs, frozenset({"cbs/bevolking", "staging/seeds"}),
            {"report": "GM0153"}),
    Variant("EA_SWING_CATALOGUE", "swing_catalogue_path", _swing,
            frozenset({"kennispunt/bedrijventerrein_actieve_vereniging", "kennispunt/groenblauw_waardering",
                       f"kennispunt/{MARK}", "staging/seeds"}), {}),
    Variant("EA_DELIVERY_CATALOGUE", "delivery_catalogue_path", _deliveries,
            # the seeds carry each numeric delivery column's precision (staging.seed_delivery_column)
            frozenset({"deliveries/twents_fonds_vouchers", f"deliveries/{MARK}", "staging/seeds"}), {}),
    Variant("EA_INDICATOR_CATALOGUE", "indicator_catalogue_path", _indicators, frozenset({"staging/seeds"}), {}),
]}


def modified_copy(variant: Variant, folder: Path) -> Path:
    bundled: Path = getattr(Settings(), variant.field)
    raw = yaml.safe_load(bundled.read_text(encoding="utf-8"))
    variant.modify(raw)
    path = folder / f"modified_{bundled.name}"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- the readers: each observes what a user would see, for the settings given -------------------------------


def observe_definitions(settings: Settings, work: Path) -> str:
    """Every asset's key, description and definition metadata, and the sensors' and sources' names."""
    from ea_pipelines.definitions import build_definitions

    graph = build_definitions(settings).resolve_asset_graph()
    return "\n".join(f"{k.to_user_string()} {graph.get(k).description} {graph.get(k).metadata}"
                     for k in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()))


def observe_versions(settings: Settings, work: Path) -> dict[str, str | None]:
    """Every asset's code version (the seeds': their content version)."""
    from ea_pipelines.definitions import build_definitions

    graph = build_definitions(settings).resolve_asset_graph()
    return {k.to_user_string(): graph.get(k).code_version for k in graph.get_all_asset_keys()}


def _warehouse(settings: Settings, work: Path):
    from ea_pipelines.sqlmodels.seeds import write_seeds
    from ea_pipelines.warehouse.db import Warehouse

    catalogues = load_catalogues(settings)
    wh = Warehouse(f"duckdb:///{work / 'ea.duckdb'}")
    wh.ensure_schema(catalogues.deliveries)
    write_seeds(wh, catalogues)
    return wh


def observe_seeds(settings: Settings, work: Path) -> str:
    """The seed tables as written into a warehouse."""
    from ea_pipelines.sqlmodels.seeds import SEED_TABLES

    wh = _warehouse(settings, work)
    with wh.engine.connect() as conn:
        text = "\n".join(f"{t}: {conn.execute(sa.text(f'SELECT * FROM {t}')).fetchall()}" for t in SEED_TABLES)
    wh.dispose()
    return text


def observe_report(settings: Settings, work: Path) -> str:
    """The council report's HTML, from marts built on the seeds and small known CBS inputs."""
    from ea_pipelines.report.content import read_content
    from ea_pipelines.report.html import render_html
    from ea_pipelines.sqlmodels.project import load_project
    from ea_pipelines.sqlmodels.runner import build_all
    from ea_pipelines_tests.sqlmodels.known_inputs import BASE, load

    wh = _warehouse(settings, work)
    load(wh, BASE)
    build_all(wh, load_project(settings.sql_dir))
    html = render_html(read_content(wh.engine, now=dt.datetime(2026, 11, 30)), {})
    wh.dispose()
    return html


def observe_templates(settings: Settings, work: Path) -> str:
    """`ea-pipelines templates`: every file name and every text file's content."""
    from ea_pipelines.cli import main

    out = work / "templates"
    assert main(["templates", "--out", str(out)]) == 0
    return "\n".join(f"{p.name}\n{p.read_text(encoding='utf-8-sig') if p.suffix != '.xlsx' else ''}"
                     for p in sorted(out.iterdir()))


def observe_docs(settings: Settings, work: Path) -> str:
    """`ea-pipelines docs`: the data dictionary."""
    from ea_pipelines.cli import main

    out = work / "warehouse.md"
    assert main(["docs", "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def observe_summary(settings: Settings, work: Path) -> str:
    """`ea-pipelines summary` on an empty warehouse: the tables and the catalogues."""
    from ea_pipelines.cli import summary
    from ea_pipelines.warehouse.db import Warehouse

    wh = Warehouse(settings.warehouse_url)
    wh.ensure_schema(load_catalogues(settings).deliveries)
    text = summary(wh, settings, None)
    wh.dispose()
    return text


TEXT_READERS: dict[str, Callable[[Settings, Path], str]] = {
    "definitions": observe_definitions, "seeds": observe_seeds, "report": observe_report,
    "templates": observe_templates, "docs": observe_docs, "summary": observe_summary}
#: which reader reads which catalogue (README, settings table)
READS = {
    "EA_CBS_CATALOGUE": ("definitions", "seeds", "report", "docs", "summary"),
    "EA_SWING_CATALOGUE": ("definitions", "seeds", "docs", "summary"),
    "EA_DELIVERY_CATALOGUE": ("definitions", "seeds", "templates", "docs", "summary"),
    "EA_INDICATOR_CATALOGUE": ("definitions", "seeds", "report", "docs", "summary"),
}
CASES = [(setting, reader) for setting, readers in READS.items() for reader in readers]


def _settings(work: Path, monkeypatch: pytest.MonkeyPatch, **extra: str) -> Settings:
    """Settings for a work folder; the CLI readers take them from the environment, so it is set the same way."""
    settings = settings_for(work, **extra)
    env = {"EA_WAREHOUSE_URL": settings.warehouse_url, **extra}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for variant in VARIANTS.values():
        if variant.setting not in extra:
            monkeypatch.delenv(variant.setting, raising=False)
    return settings


def _observe(reader: str, work: Path, monkeypatch: pytest.MonkeyPatch, **extra: str) -> str:
    work.mkdir(parents=True)
    return TEXT_READERS[reader](_settings(work, monkeypatch, **extra), work)


#: each reader's observation with the bundled catalogues, made once per session
_BUNDLED: dict[str, Any] = {}


def bundled(reader: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    if reader not in _BUNDLED:
        if reader == "versions":
            work.mkdir(parents=True)
            _BUNDLED[reader] = observe_versions(_settings(work, monkeypatch), work)
        else:
            _BUNDLED[reader] = _observe(reader, work, monkeypatch)
    return _BUNDLED[reader]


@pytest.mark.parametrize("setting,reader", CASES, ids=[f"{s}-{r}" for s, r in CASES])
def test_each_reader_sees_the_modified_catalogue(setting: str, reader: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    variant = VARIANTS[setting]
    path = modified_copy(variant, tmp_path)
    # the summary names the file in use; every other reader shows what the file holds
    mark = f"{setting}={path}" if reader == "summary" else variant.marks.get(reader, MARK)
    before = bundled(reader, tmp_path / "bundled", monkeypatch)
    modified = _observe(reader, tmp_path / "modified", monkeypatch, **{setting: str(path)})
    assert mark not in before
    assert mark in modified, f"{reader} does not show what {setting} names"


@pytest.mark.parametrize("setting", list(VARIANTS))
def test_the_versions_change_for_the_changed_entries_only(setting: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    variant = VARIANTS[setting]
    path = modified_copy(variant, tmp_path)
    before = bundled("versions", tmp_path / "bundled", monkeypatch)
    (tmp_path / "modified").mkdir()
    modified = observe_versions(_settings(tmp_path / "modified", monkeypatch, **{setting: str(path)}), tmp_path)
    changed = {k for k in modified if modified[k] != before.get(k)}
    assert changed == variant.versions
    assert all(modified[k] for k in variant.versions)  # a real version, not None


def test_every_reader_is_in_the_matrix_and_every_setting_has_a_variant() -> None:
    assert set(READS) == set(VARIANTS) == {"EA_CBS_CATALOGUE", "EA_SWING_CATALOGUE", "EA_DELIVERY_CATALOGUE",
                                           "EA_INDICATOR_CATALOGUE"}
    assert {r for readers in READS.values() for r in readers} == set(TEXT_READERS)
    fields = {v.field for v in VARIANTS.values()}
    assert fields == {"catalogue_path", "swing_catalogue_path", "delivery_catalogue_path", "indicator_catalogue_path"}
    for variant in VARIANTS.values():  # each setting is read from its EA_* variable
        assert getattr(Settings.from_env({variant.setting: "/x/y.yaml"}), variant.field) == Path("/x/y.yaml")


def test_the_catalogues_are_checked_against_each_other(tmp_path: Path) -> None:
    """A Swing variable naming an indicator the indicator catalogue (EA_INDICATOR_CATALOGUE) lacks fails."""
    from ea_pipelines.catalogue.cbs import CatalogueError

    raw = yaml.safe_load(Settings().indicator_catalogue_path.read_text(encoding="utf-8"))
    raw["indicators"] = [i for i in raw["indicators"] if i["code"] != "grond_lokaal_mkb"]
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(CatalogueError, match="indicator 'grond_lokaal_mkb' is not in"):
        load_catalogues(Settings(indicator_catalogue_path=path))
