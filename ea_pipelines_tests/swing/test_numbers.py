"""Swing ValueStrings that are not finite numbers (the generated corpus, ``ea_pipelines_tests/corpus/numbers``),
served by the fake ODS over HTTP: the load fails naming variable, region and period, and nothing reaches staging."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.swing import SwingCatalogue
from ea_pipelines.cbs.errors import CbsNotANumber
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.corpus import numbers
from ea_pipelines_tests.swing.conftest import PERIODS, known_values, swing_source

VARIABLE = "grond_lokaal_mkb"
CODE = "kp_grond_lokaal_mkb_ha"
RAW = "@raw-json-token@"
TEXTS = numbers.texts()
NOT_FINITE = ("not a finite number (NaN, infinities, overflowing exponents such as 1e999, true/false and spellings "
              "such as 1_0, 0x10 or inf are refused)")


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A warehouse with the variable published from the snapshot; a refused load must leave it as it is."""
    wh = Warehouse(f"duckdb:///{tmp_path_factory.mktemp('swing-numbers')}/ea.duckdb")
    wh.ensure_schema()
    yield wh
    wh.dispose()


def staging(wh: Warehouse) -> list[tuple]:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT load_id, region_code, period_code, value FROM staging.cbs_observation "
                                    "WHERE table_id = :t ORDER BY 1, 2, 3"), {"t": CODE}).fetchall()


def load(wh: Warehouse, cell: object, swing_catalogue: SwingCatalogue, tmp_path: Path, token: str | None = None
         ) -> None:
    values = known_values(CODE, TWENTE)
    values[("GM0141", "2023")] = cell
    with FakeSwingServer([FakeVariable(CODE, "grond", values)], periods=PERIODS, page_size=10) as ods:
        if token is not None:
            ods.tamper(r"/Values$", lambda path, params, body: body.replace(json.dumps(RAW).encode(), token.encode()))
        load_cbs_table(swing_catalogue.variable(VARIABLE).table(),
                       swing_source("live", ods.ods_url, tmp_path, swing_catalogue), wh, batch_id="corpus")


@pytest.fixture(scope="module")
def published(wh: Warehouse, swing_catalogue: SwingCatalogue, tmp_path_factory: pytest.TempPathFactory
              ) -> list[tuple]:
    load(wh, "1.5", swing_catalogue, tmp_path_factory.mktemp("first"))
    rows = staging(wh)
    assert len(rows) == len(TWENTE) * len(PERIODS) and (rows[0][0], "GM0141", "2023JJ00", 1.5) in rows
    return rows


VALUES = f"Variables('{CODE}')/GeoLevels('gemeente')/PeriodLevels('year')/Periods('all')/Values"


def matches(message: str, shown: str) -> bool:
    """The refusal: the response (the page of values, whichever it is), the value, variable, region and period."""
    return re.fullmatch(
        re.escape(f"{CODE}: 1 value in the response to {VALUES}") + r"(\?\$skip=\d+)?" + re.escape(
            f" is {NOT_FINITE}; the first: {shown} for measure {CODE}, region GM0141, period 2023JJ00; refusing the "
            "load"), message) is not None


@pytest.mark.parametrize("text", TEXTS, ids=TEXTS)
def test_a_value_string_outside_the_number_rule_is_refused(text: str, wh: Warehouse, published: list[tuple],
                                                           swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    with pytest.raises(CbsNotANumber) as err:
        load(wh, text, swing_catalogue, tmp_path)
    assert matches(str(err.value), repr(text.strip())), str(err.value)  # the reader strips the text it is sent
    assert staging(wh) == published


@pytest.mark.parametrize("token,shown", numbers.LITERALS.items(), ids=list(numbers.LITERALS))
def test_a_raw_json_token_as_value_string_is_refused(token: str, shown: str, wh: Warehouse, published: list[tuple],
                                                     swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    with pytest.raises(CbsNotANumber) as err:
        load(wh, RAW, swing_catalogue, tmp_path, token=token)
    assert matches(str(err.value), shown), str(err.value)
    assert staging(wh) == published


@pytest.mark.parametrize("text,value", numbers.PLAIN.items(), ids=list(numbers.PLAIN))
def test_plain_numbers_are_read_exactly(text: str, value: float, swing_catalogue: SwingCatalogue,
                                        tmp_path: Path) -> None:
    wh = Warehouse(f"duckdb:///{tmp_path}/ea.duckdb")
    wh.ensure_schema()
    load(wh, text, swing_catalogue, tmp_path)
    assert {(r, p): v for _, r, p, v in staging(wh)}[("GM0141", "2023JJ00")] == value
    wh.dispose()
