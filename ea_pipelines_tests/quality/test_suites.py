"""Every suite passes on good data and fails the right named check for each kind of defect (real GX runs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.cli import EXAMPLES_DIR
from ea_pipelines.deliveries.validate import parse_delivery
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SNAPSHOT_DIR
from ea_pipelines_tests.conftest import FAST

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> QualityGate:
    return QualityGate(set(RegionIndex.from_code_list().names), tmp_path_factory.mktemp("docs"), today=TODAY)


@pytest.fixture(scope="module")
def observations(catalogue: CbsCatalogue, tmp_path_factory) -> dict[str, pd.DataFrame]:
    source = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path_factory.mktemp("l"), FAST)
    return {t.name: source.fetch(t, "b").data.observations for t in catalogue.tables}


def failed(outcomes) -> dict[str, int]:
    return {o.check: o.unexpected for o in outcomes if not o.passed}


@pytest.mark.parametrize("table", ["bevolking", "regionale_kerncijfers", "arbeidsdeelname_regionaal"])
def test_cbs_suite_passes_on_the_bundled_data(gate, catalogue, observations, table) -> None:
    obs = observations[table]
    expected = len(obs)
    outcomes = gate.check_cbs(catalogue.table(table), obs, expected_rows=expected, previous_rows=expected)
    assert failed(outcomes) == {}
    assert [o.check for o in outcomes] == ["schema", "not_null", "key_unique", "regions_known", "periods_valid",
                                           "value_ranges", "row_count_plausible", "complete", "measures_present",
                                           "fresh"]
    assert all(o.evaluated > 0 for o in outcomes)


def _small(obs: pd.DataFrame) -> pd.DataFrame:
    """Almelo and Nederland only: a few dozen rows keep each GX run fast."""
    return obs[obs.region_code.isin(["GM0141", "NL01"])].reset_index(drop=True)


def _set(frame: pd.DataFrame, row: int, **values) -> pd.DataFrame:
    out = frame.copy()
    for col, value in values.items():
        out.loc[row, col] = value
    return out


CBS_DEFECTS = {
    "schema": lambda f: f.drop(columns=["other_dimensions"]),
    "not_null": lambda f: _set(f, 3, period_code=None),
    "key_unique": lambda f: pd.concat([f, f.iloc[[4]]], ignore_index=True),
    "regions_known": lambda f: _set(f, 2, region_code="GM9999"),
    "periods_valid": lambda f: _set(f, 1, period_code="2099JJ00"),
    "value_ranges": lambda f: _set(f, 0, value=-74317.0),
    "measures_present": lambda f: f[f.measure_code != "M000365"],
}


@pytest.mark.parametrize("check", sorted(CBS_DEFECTS))
def test_cbs_defect_fails_its_named_check(gate, catalogue, observations, check) -> None:
    obs = CBS_DEFECTS[check](_small(observations["bevolking"]))
    outcomes = gate.check_cbs(catalogue.table("bevolking"), obs, expected_rows=None, previous_rows=None)
    fails = failed(outcomes)
    assert check in fails
    if check not in ("schema", "measures_present"):
        assert set(fails) == {check}, fails  # one defect, one failing check
        failing = next(o for o in outcomes if o.check == check)
        assert failing.sample is not None and len(failing.sample) >= 1 and failing.blocking


def test_cbs_row_count_drop_and_completeness(gate, catalogue, observations) -> None:
    obs = _small(observations["bevolking"])
    outcomes = gate.check_cbs(catalogue.table("bevolking"), obs, expected_rows=len(obs) + 5,
                              previous_rows=int(len(obs) / 0.7))  # 30% fewer rows than the previous load
    assert set(failed(outcomes)) == {"row_count_plausible", "complete"}


def test_stale_data_is_only_a_warning(catalogue, observations, tmp_path: Path) -> None:
    late = QualityGate(set(RegionIndex.from_code_list().names), tmp_path, today=dt.date(2040, 1, 1))
    outcomes = late.check_cbs(catalogue.table("bevolking"), _small(observations["bevolking"]), expected_rows=None,
                              previous_rows=None)
    fresh = next(o for o in outcomes if o.check == "fresh")
    assert set(failed(outcomes)) == {"fresh"} and fresh.severity == "WARN" and not fresh.blocking


@pytest.fixture(scope="module")
def examples() -> dict[str, pd.DataFrame]:
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    regions = RegionIndex.from_code_list()
    return {f.parent.name: parse_delivery(catalogue.get(f.parent.name), f.name, f.read_bytes(), regions,
                                          today=TODAY).frame
            for f in EXAMPLES_DIR.glob("*/*.*")}


DELIVERY_DEFECTS = {
    "not_null": lambda d, f: _set(f, 0, **{d.key[0]: None}),
    "key_unique": lambda d, f: pd.concat([f, f.iloc[[0]]], ignore_index=True),
    "regions_known": lambda d, f: _set(f, 0, **{next(c.name for c in d.columns
                                                     if c.type in ("municipality", "region")): "GM9999"}),
    "value_ranges": lambda d, f: _set(f, 0, **{next(c.name for c in d.columns
                                                    if c.type in ("integer", "decimal", "score")): -1}),
}


@pytest.mark.parametrize("dtype_name", ["twents_fonds_vouchers", "ikbindr_labels", "mkb_ranking",
                                        "uwv_spanningsindicator", "kennispunt_twente"])
def test_delivery_suites_pass_and_fail_per_kind(gate, examples, dtype_name) -> None:
    dtype = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).get(dtype_name)
    good = examples[dtype_name].drop(columns=["source_row"])
    assert failed(gate.check_delivery(dtype, good)) == {}
    for check, defect in DELIVERY_DEFECTS.items():
        if check == "regions_known" and not any(c.type in ("municipality", "region") for c in dtype.columns):
            continue
        bad = defect(dtype, good)
        assert check in failed(gate.check_delivery(dtype, bad)), (dtype_name, check)


def test_delivery_future_period_and_date(gate, examples) -> None:
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    vouchers = _set(examples["twents_fonds_vouchers"].drop(columns=["source_row"]), 0, period="2030JJ00")
    assert set(failed(gate.check_delivery(catalogue.get("twents_fonds_vouchers"), vouchers))) == {"periods_valid"}
    labels = _set(examples["ikbindr_labels"].drop(columns=["source_row"]), 0, reference_date=dt.date(2030, 1, 1))
    assert set(failed(gate.check_delivery(catalogue.get("ikbindr_labels"), labels))) == {"periods_valid"}


def test_data_docs_are_written(gate, catalogue, observations) -> None:
    outcomes = gate.check_cbs(catalogue.table("bevolking"), _small(observations["bevolking"]), expected_rows=None,
                              previous_rows=None)
    index = gate.docs_dir / "index.html"
    assert index.exists() and outcomes[0].docs == index.resolve().as_uri()
    pages = sorted((gate.docs_dir / "validations" / "cbs_bevolking").rglob("*.html"))  # run time in the path
    html = pages[-1].read_text() if pages else ""
    assert "Evaluated Expectations" in html and "Must have exactly" not in html  # no expected_rows given
    assert "Values for given compound columns must be unique together" in html
