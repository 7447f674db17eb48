"""The quality gate between fetching or parsing and publishing: run the suite, record the results.

``meta.check_result`` gets one row per check per validation, passed or not, so results can be read
outside the Dagster UI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ea_pipelines import clock
from ea_pipelines.catalogue.cbs import CbsTable, TableShape
from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.quality.gx_runner import CheckOutcome, run_suite
from ea_pipelines.quality.sql_checks import check_cbs_sql, check_fresh
from ea_pipelines.quality.suites import CheckConfig, cbs_suite, delivery_suite, load_checks
from ea_pipelines.settings import DEFAULT_GX_MAX_ROWS
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines.warehouse.load_log import utcnow


@dataclass
class QualityGate:
    known_regions: set[str]
    docs_dir: Path
    checks: dict[str, CheckConfig] = field(default_factory=load_checks)
    today: dt.date | None = None
    #: CBS tables up to this many rows are validated with GX as one DataFrame; larger ones in SQL
    gx_max_rows: int = DEFAULT_GX_MAX_ROWS

    def _today(self) -> dt.date:
        return self.today or clock.today()

    def check_cbs(self, spec: CbsTable, observations: pd.DataFrame, *, expected_rows: int | None,
                  previous_rows: int | None, shape: TableShape | None = None) -> list[CheckOutcome]:
        suite = cbs_suite(spec, observations, checks=self.checks, known_regions=self.known_regions,
                          expected_rows=expected_rows, previous_rows=previous_rows, today=self._today(),
                          shape=shape)
        return run_suite(suite, self.docs_dir)

    def check_cbs_table(self, conn: sa.Connection, spec: CbsTable, frame: pd.DataFrame | None, *,
                        expected_rows: int | None, previous_rows: int | None,
                        schema_problems: list[str], shape: TableShape | None = None) -> list[CheckOutcome]:
        """The CBS checks on a table being published: with GX on ``frame``, or in SQL when it was too large
        to keep (``frame`` None; the rows are read where they were written, inside the transaction).
        ``shape``: the dimensions the table has, which decide the region, period and key checks."""
        if frame is not None:
            return self.check_cbs(spec, frame, expected_rows=expected_rows, previous_rows=previous_rows,
                                  shape=shape)
        return check_cbs_sql(conn, spec, checks=self.checks, known_regions=self.known_regions,
                             expected_rows=expected_rows, previous_rows=previous_rows, today=self._today(),
                             schema_problems=schema_problems, shape=shape)

    def carried_over(self, wh: Warehouse, load_id: str, table_id: str,
                     not_refreshed: str | None = None) -> list[CheckOutcome]:
        """The recorded results of ``load_id``, for a load that skipped unchanged data or kept the published
        version; only ``fresh``, which depends on today's date, is evaluated again (one aggregate over the
        published rows), and fails when the load could not refresh the table (``not_refreshed`` says why).
        Without recorded results only ``fresh`` is returned when ``not_refreshed`` is given, else nothing."""
        with wh.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT check_name, severity, passed, evaluated, failed_expectations, failed_count, details, docs "
                "FROM meta.check_result WHERE load_id = :l ORDER BY checked_at"), {"l": load_id}).fetchall()
            fresh = (check_fresh(conn, table_id, self.checks["fresh"], self._today(), not_refreshed)
                     if rows or not_refreshed else None)
        latest = {r.check_name: r for r in rows}
        if not rows:
            return [fresh] if fresh is not None else []
        note = f"carried over from load {load_id}: the data are unchanged, so the checks were not run again"
        return [CheckOutcome(r.check_name, r.severity, bool(r.passed),
                             self.checks[r.check_name].description if r.check_name in self.checks else "",
                             int(r.evaluated), int(r.failed_expectations), int(r.failed_count),
                             [*(r.details.splitlines() if r.details else []), note], docs=r.docs,
                             carried_from=load_id)
                if name != "fresh" or fresh is None else fresh for name, r in latest.items()]

    def check_delivery(self, dtype: DeliveryType, rows: pd.DataFrame) -> list[CheckOutcome]:
        suite = delivery_suite(dtype, rows, checks=self.checks, known_regions=self.known_regions,
                               today=self._today())
        return run_suite(suite, self.docs_dir)


def blocking(outcomes: list[CheckOutcome]) -> list[CheckOutcome]:
    return [o for o in outcomes if o.blocking]


def record(wh: Warehouse, outcomes: list[CheckOutcome], *, run_id: str, load_id: str | None, asset: str) -> None:
    """Append the outcomes to ``meta.check_result``."""
    now = utcnow()
    frame = pd.DataFrame([{
        "run_id": run_id, "load_id": load_id, "asset": asset, "check_name": o.check, "severity": o.severity,
        "passed": o.passed, "evaluated": o.evaluated, "failed_expectations": o.failed, "failed_count": o.unexpected,
        "details": "\n".join(o.failures) or None, "docs": o.docs, "checked_at": now,
    } for o in outcomes])
    if frame.empty:
        return
    with wh.engine.begin() as conn:
        bulk_insert(conn, "meta.check_result", frame)
