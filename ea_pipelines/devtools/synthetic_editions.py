"""Synthetic editions of one CBS table for the fake server: the same table republished per region
classification, each edition under its own id, with its own periods, values and catalogue status.

Built from a generated table shape (:mod:`ea_pipelines.devtools.shapes`: regional, yearly periods
2021-2024, two measures). Each edition's values are the shape's values plus the edition's ``offset``, so a
test can tell which edition a figure came from. All values are ILLUSTRATIVE, not CBS figures.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ea_pipelines.devtools.fake_cbs_server import FakeTable
from ea_pipelines.devtools.shapes import MEASURES, Shape, shape_entry, shape_table

TITLE = "Testtabel edities; regio (indeling {year})"
TITLE_PREFIX = "Testtabel edities; regio (indeling"


@dataclass(frozen=True)
class SyntheticEdition:
    table_id: str
    classification_year: int
    years: tuple[int, ...]  # the periods (yearly) this edition has
    offset: float  # added to every value of the first measure (a count): tells the editions apart
    status: str = "Regulier"  # as the CBS catalogue and the table's own metadata state it

    @property
    def title(self) -> str:
        return TITLE.format(year=self.classification_year)


def _shape(api: str) -> Shape:
    return Shape(api, regions=True, extra_dims=0, filtered=0, periods=("JJ",), attributes=False,
                 number=90 if api == "v4" else 91)


def edition_table(api: str, edition: SyntheticEdition) -> FakeTable:
    """One edition in the exact response format of ``api``, listed in the catalogue with its status."""
    base = shape_table(_shape(api))
    entities: dict[str, Any] = copy.deepcopy(base.entities)
    periods = {f"{y}JJ00" for y in edition.years}
    rows = [copy.deepcopy(r) for r in base.rows if r["Perioden"] in periods]
    if api == "v4":
        props = entities["Properties"]
        props.update(Identifier=edition.table_id, Title=edition.title, Status=edition.status,
                     ObservationCount=len(rows))
        entities["PeriodenCodes"]["value"] = [c for c in entities["PeriodenCodes"]["value"]
                                              if c["Identifier"] in periods]
        for r in rows:
            if r["Measure"] == MEASURES[0][0] and r["Value"] is not None:
                r["Value"] += edition.offset
        catalogue = {"Status": edition.status}
    else:
        info = entities["TableInfos"]["value"][0]
        info.update(Identifier=edition.table_id, Title=edition.title, OutputStatus=edition.status,
                    RecordCount=len(rows), Period=f"{min(edition.years)} - {max(edition.years)}")
        entities["Perioden"]["value"] = [c for c in entities["Perioden"]["value"] if c["Key"] in periods]
        key = MEASURES[0][1]
        for r in rows:
            if r[key] is not None:
                r[key] += edition.offset
        catalogue = {"OutputStatus": edition.status}
    return FakeTable(api, edition.table_id, entities, rows, catalogue=catalogue)


def edition_entry(api: str, table_id: str, **extra: Any) -> dict[str, Any]:
    """The catalogue entry a user writes for the table (``extra``: editions, successors, edition_search)."""
    entry = shape_entry(_shape(api))
    entry.update(name="edities", table_id=table_id, title=TITLE.format(year="..."), **extra)
    return entry
