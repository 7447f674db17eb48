"""The CBS catalogue: its defaults, configuration for another municipality, and its error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, load_cbs_catalogue
from ea_pipelines.settings import DEFAULT_CATALOGUE

TWENTE = {"GM0141", "GM0147", "GM1774", "GM0153", "GM0158", "GM0163", "GM0164", "GM1735", "GM0168", "GM0173",
          "GM1742", "GM0183", "GM1700", "GM0189"}


def test_default_programme_regions() -> None:
    cat = load_cbs_catalogue(DEFAULT_CATALOGUE)
    prog = cat.programme
    assert (prog.municipality_code, prog.municipality_name) == ("GM0141", "Almelo")
    assert set(prog.peer_municipalities) == TWENTE
    assert prog.region_codes[0] == "GM0141"
    assert set(prog.region_codes) == TWENTE | {"CR12", "PV23", "NL01"} and len(prog.region_codes) == 17


def test_catalogue_covers_the_cbs_based_indicators() -> None:
    cat = load_cbs_catalogue(DEFAULT_CATALOGUE)
    ids = {t.table_id for t in cat.tables}
    assert {"03759ned", "70072ned", "85969NED"} <= ids
    kerncijfers = cat.table("regionale_kerncijfers")
    assert {"M000308_3", "M000200_2", "90210_3"} <= set(kerncijfers.measure_codes)
    assert cat.table("arbeidsdeelname_regionaal").period_from == "2013JJ00"


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    mutate(raw)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_another_municipality_is_configuration_only(tmp_path: Path) -> None:
    def hengelo(raw):
        raw["programme"]["municipality"] = {"code": "GM0164", "name": "Hengelo"}
        kerncijfers = next(t for t in raw["tables"] if t["name"] == "regionale_kerncijfers")
        kerncijfers.pop("regions")  # the default, `regions: programme`: the programme's regions, whichever they are
    cat = load_cbs_catalogue(_write(tmp_path, hengelo))
    assert cat.programme.region_codes[0] == "GM0164"
    assert cat.table("regionale_kerncijfers").regions.codes[0] == "GM0164"
    assert cat.table("bevolking").regions.prefixes == ("NL", "PV", "GM")  # every municipality, whichever is ours


def test_no_code_names_the_municipality() -> None:
    package = DEFAULT_CATALOGUE.parents[1]
    offenders = [p for p in package.rglob("*.py") if "GM0141" in p.read_text() or "Almelo" in p.read_text()]
    assert offenders == []


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r["tables"][1]["measures"].update({902103: "x"}), "were read as numbers: put them in quotes"),
    (lambda r: r["programme"].update(province="Overijssel"), "'Overijssel' is not a CBS region code"),
    (lambda r: r["tables"].append(dict(r["tables"][0])), "duplicate table name: bevolking"),
    (lambda r: r["tables"][0].update(api="v2"), r"tables\[0\] \(bevolking\): api must be one of"),
    (lambda r: r["tables"][0].update(periods={"from": "2019"}), "'2019' is not a CBS period code"),
    (lambda r: r["tables"][0].pop("measures"), "missing required key 'measures'"),
    (lambda r: r["tables"][0].update(regions={"prefixes": ["XX"]}), "regions needs codes or prefixes"),
])
def test_catalogue_errors_name_file_and_entry(tmp_path: Path, mutate, message: str) -> None:
    path = _write(tmp_path, mutate)
    with pytest.raises(CatalogueError, match=message) as err:
        load_cbs_catalogue(path)
    assert str(path) in str(err.value)
