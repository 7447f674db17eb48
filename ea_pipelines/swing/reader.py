"""A reader of one Swing ODS variable, behind the interface of the CBS readers (``ea_pipelines.cbs.readers``).

The shared fetch (``ea_pipelines.cbs.fetch``) sees a "table" with one measure (the variable) and two dimensions:
``GeoItem`` (geo) and ``Period`` (time). Requests, relative to the ODS root (``EA_SWING_ODS_URL``):

- ``Variables('<var>')``: the variable (``ExternalCode``, ``Name``, and ``LastUpdate`` where the site has it,
  which plays CBS's ``Modified``: unchanged, the rest is not fetched): the table's properties;
- ``GeoLevels('<level>')/GeoItems``: the regions of the level (``ExternalCode``, ``Name``), paged;
- ``Variables('<var>')/GeoLevels('<level>')/PeriodLevels('<plevel>')/Periods``: its periods (``ExternalCode``);
- ``Variables('<var>')/GeoLevels('<level>')/PeriodLevels('<plevel>')/Periods('all')/Values``: the values, paged
  with ``@odata.nextLink``; rows carry ``ExternalCode``, ``GeoLevel``, ``PeriodLevel``, ``Period`` and
  ``ValueString`` (``'?'`` for a missing value; anything else must be a number by the number rule of
  ``ea_pipelines.numbers``, or the load fails naming variable, region and period).

The ODS announces no row count, so the count the completeness check compares with is the grid the ODS answers
for ``Periods('all')``: every region of the level times every period from the catalogue's first year (a missing
value is a row with ``'?'``, not a missing row). Regions become CBS codes (``GMnnnn``) through the mapping of the
level's GeoItems (:mod:`ea_pipelines.swing.geo`), years CBS periods (``2023JJ00``). The same requests serve ODS
v1 and ODS 2.0 (:mod:`ea_pipelines.swing.source`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from ea_pipelines.catalogue.swing import PERIOD_LEVELS, SwingVariable
from ea_pipelines.cbs.errors import CbsError, CbsHttpError, CbsNotJsonError, CbsTableNotFound
from ea_pipelines.cbs.readers import (
    GEO,
    TIME,
    Code,
    Dimension,
    Measure,
    ObservationPage,
    TableProperties,
    code_rows,
    row_chunks,
)
from ea_pipelines.cbs.transport import Transport
from ea_pipelines.swing.errors import SwingServiceOff, SwingVariableNotFound
from ea_pipelines.swing.geo import map_geo_items, municipality_code

NEXT_LINK = "@odata.nextLink"
#: ValueString texts that mean "no value" ('?' is what the ODS sends; '-' and 'x' appear in Swing exports)
MISSING = frozenset({"?", "-", "x", ""})
#: the keys every row of ``Values`` has
VALUE_KEYS = ("ExternalCode", "GeoLevel", "PeriodLevel", "Period", "ValueString")
#: how many suggestions an unknown variable gets
SUGGESTIONS = 5


def cbs_period(period_level: str, external_code: Any) -> str:
    code = str(external_code).strip()
    if not re.fullmatch(r"\d{4}", code):
        raise ValueError(f"period {code[:40]!r} of period level {period_level!r} is not a year")
    return code + PERIOD_LEVELS[period_level]


class SwingReader:
    """One variable of a Swing ODS, read through a live or replay transport."""

    api = "swing"

    def __init__(self, transport: Transport, variable: SwingVariable) -> None:
        self.t = transport
        self.var = variable
        self.table_id = variable.variable
        self._codes: dict[str, list[Code]] = {}
        self._regions: dict[str, str] = {}  # GeoItem ExternalCode -> CBS code (ea_pipelines.swing.geo)

    @property
    def _levels(self) -> str:
        v = self.var
        return f"Variables('{v.variable}')/GeoLevels('{v.geo_level}')/PeriodLevels('{v.period_level}')"

    def properties(self) -> TableProperties:
        try:
            p = self.t.get(f"Variables('{self.var.variable}')").payload
        except (CbsTableNotFound, CbsNotJsonError) as exc:
            raise self.diagnose(exc) from exc
        if isinstance(p, dict) and isinstance(p.get("value"), list):  # a collection answer: its single entity
            p = p["value"][0] if p["value"] else {}
        if not isinstance(p, dict) or str(p.get("ExternalCode", "")).strip() != self.var.variable:
            raise self.diagnose(CbsTableNotFound(f"Variables('{self.var.variable}') is empty"))
        # LastUpdate (where the site has it) plays CBS's Modified: unchanged, the data fetch is skipped
        last_update = p.get("LastUpdate")
        modified = str(last_update).strip() if last_update not in (None, "") else None
        return TableProperties(self.var.variable, str(p.get("Name", "")), modified or None, "")

    def measures(self) -> list[Measure]:
        return [Measure(self.var.variable, self.var.title, self.var.unit, None)]

    def dimensions(self) -> list[Dimension]:
        return [Dimension("GeoItem", GEO), Dimension("Period", TIME)]

    def codes(self, dim: Dimension) -> list[Code]:
        if dim.id not in self._codes:
            if dim.kind == GEO:
                rows = self._all(f"GeoLevels('{self.var.geo_level}')/GeoItems")
                items = [(str(r["ExternalCode"]).strip(), str(r.get("Name") or "")) for r in rows]
                self._regions = map_geo_items(self.var.geo_level, items, where=self.var.variable)
                self._codes[dim.id] = [Code(code, self._regions[code], name, None) for code, name in items]
            else:
                rows = self._all(f"{self._levels}/Periods")
                self._codes[dim.id] = [Code(str(r["ExternalCode"]), cbs_period(self.var.period_level,
                                                                                r["ExternalCode"]),
                                            str(r.get("Name") or r["ExternalCode"]), None)
                                       for r in rows if self._wanted_period(str(r["ExternalCode"]))]
        return self._codes[dim.id]

    def count(self, odata_filter: str) -> int:
        """Rows expected: regions x periods of the level (the ODS has no ``$count``; see the module docstring)."""
        return len(self.codes(Dimension("GeoItem", GEO))) * len(self.codes(Dimension("Period", TIME)))

    def pages(self, odata_filter: str, dims: list[Dimension], measures: set[str]) -> Iterator[ObservationPage]:
        v = self.var
        for chunk in row_chunks(self.t, f"{self._levels}/Periods('all')/Values", {}, NEXT_LINK, VALUE_KEYS):
            rows = [r for r in chunk if self._wanted_period(str(r["Period"]).strip())]
            for r in rows:
                if str(r["GeoLevel"]).strip().lower() != v.geo_level.lower() or \
                        str(r["PeriodLevel"]).strip().lower() != v.period_level.lower():
                    raise ValueError(f"a value of geo level {r['GeoLevel']!r} / period level {r['PeriodLevel']!r}, "
                                     f"not {v.geo_level!r} / {v.period_level!r}")
            # a text stripped; a JSON number (or anything else) as sent, for the number rule to judge
            sent = [r["ValueString"].strip() if isinstance(r["ValueString"], str) else r["ValueString"] for r in rows]
            missing = [v is None or (isinstance(v, str) and v in MISSING) for v in sent]
            yield ObservationPage(
                measure_code=[v.variable] * len(rows),
                region_code=[self._region(r["ExternalCode"]) for r in rows],
                period_code=[cbs_period(v.period_level, r["Period"]) for r in rows],
                others={},
                # read by the number rule in the shared fetch (ea_pipelines.numbers): NaN, inf, 1e999, 1_0 refused
                value=[None if m else v for v, m in zip(sent, missing, strict=True)],
                value_attribute=["missing" if m else None for m in missing],
                source_rows=len(rows),
            )

    def _region(self, external_code: Any) -> str:
        """The CBS code of a value row's region: as its GeoItem was mapped (``codes``)."""
        if not self._regions:
            self.codes(Dimension("GeoItem", GEO))
        code = str(external_code).strip()
        if code in self._regions:
            return self._regions[code]
        cbs = municipality_code(code)  # the same municipality spelled otherwise than in GeoItems (GM0106, 106)
        if cbs is None or cbs not in self._regions.values():
            raise ValueError(f"a value of region {code[:40]!r}, which is not among the GeoItems of geo level "
                             f"{self.var.geo_level!r}")
        return cbs

    def _wanted_period(self, code: str) -> bool:
        return self.var.period_from is None or code >= self.var.period_from

    def _all(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for chunk in code_rows(self.t, path, ("ExternalCode",), NEXT_LINK):  # bounded: EA_HTTP_MAX_CODES
            rows.extend(chunk)
        return rows

    def diagnose(self, exc: CbsError) -> CbsError:
        """Why ``Variables('<var>')`` failed: the service is switched off, or the site has no such variable."""
        try:
            service = self.t.get("").payload  # the OData service document
            alive = isinstance(service, dict) and "value" in service
        except (CbsTableNotFound, CbsNotJsonError, CbsHttpError):
            alive = False
        if not alive:
            return SwingServiceOff(
                f"{self.t.base_url}: the site answers but its Open Data Service does not ({exc}). The site's "
                f"administrator must enable the Open Data Service (Swing: beheer); until then EA_SOURCE_MODE=auto "
                f"uses the bundled snapshot of {self.var.variable}")
        try:
            codes = [str(r.get("ExternalCode", "")) for r in self._all("Variables")]
        except CbsError:
            codes = []
        near = difflib.get_close_matches(self.var.variable, codes, n=SUGGESTIONS, cutoff=0.4)
        case = [c for c in codes if c.lower() == self.var.variable.lower() and c != self.var.variable]
        hint = (f"the site has {case[0]!r} (codes are case-sensitive)" if case else
                f"nearest codes on the site: {', '.join(near)}" if near else
                f"none of its {len(codes)} variable codes is close")
        return SwingVariableNotFound(
            f"{self.var.variable}: the Open Data Service at {self.t.base_url} has no variable with this code; "
            f"{hint}. Fix `variable` of the catalogue entry {self.var.name!r} (swing_variables.yaml)")
