"""Load one catalogue entry with all its editions: discover them, record them, load each as its own table.

An entry without successors or search rule is one load (:func:`load_cbs_table`). An entry with editions
(``editions:``, ``successors:``, ``edition_search:``) discovers them (:meth:`CbsSource.editions`: the CBS
catalogue listing, or offline the snapshot manifests), records them in ``staging.cbs_edition`` (the marts'
rule: each period from the newest edition that has it) and loads every edition as its own table id, each
load atomic and logged on its own. Offline (replay, or auto with CBS unreachable) an edition without a
bundled snapshot is skipped, and said so. One edition failing does not stop the others; the entry fails
afterwards, naming it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.editions import EditionList
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.ingest.cbs_table import LoadReport, load_cbs_table
from ea_pipelines.masking import Note
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.quality.gx_runner import CheckOutcome, combine
from ea_pipelines.warehouse.db import Warehouse, bulk_insert

log = logging.getLogger(__name__)

#: the check of a table's latest period (checks.yaml)
FRESH = "fresh"


@dataclass
class EntryReport:
    """The loads of one catalogue entry: one per edition loaded (oldest first)."""

    spec: CbsTable
    editions: EditionList | None  # None: the entry has no editions (one table)
    reports: list[LoadReport] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # edition -> why it was not loaded
    failed: dict[str, Exception] = field(default_factory=dict)  # edition -> what went wrong
    warnings: list[str] = field(default_factory=list)

    @property
    def newest(self) -> LoadReport | None:
        """The load of the newest edition that was loaded (the entry's main figures)."""
        return self.reports[-1] if self.reports else None

    @property
    def checks(self) -> list[CheckOutcome]:
        """One outcome per check over every edition loaded: a check passes when it passed for each. Except
        ``fresh``: a discontinued edition's latest period is old by nature, so the entry is as fresh as its
        newest edition loaded."""
        if len(self.reports) == 1:
            return self.reports[0].checks
        newest = self.reports[-1]
        return combine([[dataclasses.replace(o, failures=[f"{r.table_id}: {f}" for f in o.failures])
                         for o in r.checks if r is newest or o.check != FRESH] for r in self.reports])

    def summary(self) -> pd.DataFrame:
        """One row per edition: status, mode, rows, or why it was skipped or failed."""
        rows = [(r.table_id, r.status, r.mode, r.rows, r.note) for r in self.reports]
        rows += [(t, "skipped", "", 0, Note(why)) for t, why in self.skipped.items()]
        rows += [(t, "failed", "", 0, Note(f"{type(e).__name__}: {e}")) for t, e in self.failed.items()]
        return pd.DataFrame(rows, columns=["edition", "status", "mode", "rows", "note"])


def record_editions(wh: Warehouse, editions: EditionList, spec: CbsTable | None = None) -> None:
    """Replace the entry's rows in ``staging.cbs_edition`` and ``staging.cbs_edition_measure`` (one short
    transaction)."""
    frame = pd.DataFrame(
        [(editions.entry_table_id, e.table_id, editions.rank(e.table_id), e.title or None, e.status or None,
          str(editions.origin), datetime.now(UTC).replace(tzinfo=None)) for e in editions.editions],
        columns=["table_id", "edition_table_id", "edition_rank", "title", "status", "origin", "recorded_at"])
    with wh.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM staging.cbs_edition WHERE table_id = :t"),
                     {"t": editions.entry_table_id})
        bulk_insert(conn, "staging.cbs_edition", frame)
        conn.execute(sa.text("DELETE FROM staging.cbs_edition_measure WHERE table_id = :t"),
                     {"t": editions.entry_table_id})
        if spec is not None and spec.edition_readings:
            bulk_insert(conn, "staging.cbs_edition_measure", measure_frame(spec, editions))


def edition_spec(spec: CbsTable, editions: EditionList, table_id: str) -> CbsTable:
    """The entry as one edition: its own table id, and the next newer edition as its successor; read through
    the API and with the measure codes ``edition_readings`` gives it (staging keeps the edition's own codes; the
    marts read them as the entry's, ``staging.cbs_edition_measure``)."""
    edition = editions.editions[editions.ids.index(table_id)]
    out = dataclasses.replace(spec, table_id=table_id, title=edition.title or spec.title,
                              successor=editions.successor_of(table_id))
    reading = spec.edition_readings.get(table_id)
    if reading is None:
        return out
    return dataclasses.replace(
        out, api=reading.api, measures={own: spec.measures[entry] for own, entry in reading.measures.items()},
        value_ranges={own: spec.value_ranges[entry] for own, entry in reading.measures.items()
                      if entry in spec.value_ranges})


def measure_frame(spec: CbsTable, editions: EditionList) -> pd.DataFrame:
    """Per edition read with its own measure codes: each code and the entry's measure it stands for."""
    return pd.DataFrame(
        [(editions.entry_table_id, edition, own, entry) for edition, reading in spec.edition_readings.items()
         if edition in editions.ids for own, entry in reading.measures.items()],
        columns=["table_id", "edition_table_id", "measure_code", "entry_measure_code"])


def load_cbs_entry(spec: CbsTable, source: CbsSource, wh: Warehouse, *, batch_id: str,
                   gate: QualityGate | None = None, asset: str | None = None, force: bool = False,
                   full_fetch: bool = False, replace_published: bool = False) -> EntryReport:
    """Load ``spec`` (every edition of it, when it names successors or a search rule)."""
    kwargs = {"batch_id": batch_id, "gate": gate, "asset": asset, "force": force, "full_fetch": full_fetch,
              "replace_published": replace_published}
    if not spec.has_editions:
        return EntryReport(spec, None, [load_cbs_table(spec, source, wh, **kwargs)])
    editions = source.editions(spec)
    report = EntryReport(spec, editions, warnings=editions.warnings())
    for warning in report.warnings:
        log.info("%s: %s", spec.name, warning)  # the report carries it; the asset warns (once)
    record_editions(wh, editions, spec)
    offline = source.mode == "replay" or editions.origin.startswith("snapshot manifest")
    for table_id in editions.ids:
        if offline and not source.has_snapshot(table_id):
            report.skipped[table_id] = (f"no bundled snapshot of edition {table_id} and CBS not used "
                                        f"({source.mode}); the published version, if any, stays")
            log.info("%s: %s", table_id, report.skipped[table_id])  # the asset warns with it
            continue
        try:
            report.reports.append(load_cbs_table(edition_spec(spec, editions, table_id), source, wh, **kwargs))
        except Exception as exc:  # each edition is its own atomic load: the others still load
            report.failed[table_id] = exc
            log.error("%s: edition %s failed: %s: %s", spec.name, table_id, type(exc).__name__, exc)
    return report
