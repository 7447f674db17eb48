"""Schemas and tables of the warehouse, in SQL that DuckDB and PostgreSQL both accept."""

from __future__ import annotations

from collections.abc import Callable

from ea_pipelines.catalogue.deliveries import SQL_TYPES, DeliveryCatalogue, DeliveryType
from ea_pipelines.provenance import example_hashes

SCHEMAS = ("raw", "staging", "marts", "meta")

TABLES: dict[str, str] = {
    "raw.cbs_response": """
        load_id TEXT NOT NULL,
        table_id TEXT NOT NULL,
        request_key TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bytes BIGINT NOT NULL
    """,
    "staging.cbs_observation": """
        table_id TEXT NOT NULL,
        measure_code TEXT NOT NULL,
        region_code TEXT,
        period_code TEXT,
        other_dimensions TEXT NOT NULL,
        value FLOAT8,
        value_attribute TEXT,
        period_status TEXT,
        load_id TEXT NOT NULL,
        value_text TEXT,
        status TEXT
    """,
    "staging.cbs_measure": """
        table_id TEXT NOT NULL,
        measure_code TEXT NOT NULL,
        title TEXT,
        unit TEXT,
        decimals BIGINT,
        load_id TEXT NOT NULL
    """,
    "staging.cbs_region": """
        table_id TEXT NOT NULL,
        region_code TEXT NOT NULL,
        name TEXT,
        load_id TEXT NOT NULL,
        valid_from DATE,
        valid_to DATE,
        successor_code TEXT
    """,
    "staging.cbs_period": """
        table_id TEXT NOT NULL,
        period_code TEXT NOT NULL,
        title TEXT,
        status TEXT,
        load_id TEXT NOT NULL,
        description TEXT
    """,
    # The editions of each catalogue entry (ea_pipelines.cbs.editions), written by its load: the marts take
    # each period from the newest edition that has it (stg_cbs_edition_value).
    "staging.cbs_edition": """
        table_id TEXT NOT NULL,
        edition_table_id TEXT NOT NULL,
        edition_rank BIGINT NOT NULL,
        title TEXT,
        status TEXT,
        origin TEXT,
        recorded_at TIMESTAMP NOT NULL
    """,
    # Editions read with their own measure codes (catalogue edition_readings: v4 concept codes): each code and the
    # entry's measure it stands for, so that the marts read every edition's rows as the entry's measures.
    "staging.cbs_edition_measure": """
        table_id TEXT NOT NULL,
        edition_table_id TEXT NOT NULL,
        measure_code TEXT NOT NULL,
        entry_measure_code TEXT NOT NULL
    """,
    "meta.load_log": """
        load_id TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        source TEXT NOT NULL,
        table_id TEXT NOT NULL,
        mode TEXT,
        rows BIGINT,
        content_hash TEXT,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status TEXT NOT NULL,
        message TEXT,
        source_modified TEXT,
        spec_fingerprint TEXT,
        http_requests BIGINT,
        http_bytes BIGINT,
        elapsed_seconds FLOAT8,
        provenance TEXT,
        synthetic BOOLEAN,
        captured_at TIMESTAMP
    """,
    "meta.lock": """
        name TEXT PRIMARY KEY
    """,
    "meta.delivery_log": """
        load_id TEXT NOT NULL,
        delivery_type TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        received_at TIMESTAMP NOT NULL,
        status TEXT NOT NULL,
        rows BIGINT,
        reason TEXT,
        stored_path TEXT,
        provenance TEXT,
        replaced TEXT,
        rows_replaced BIGINT,
        rows_gone BIGINT
    """,
    "meta.check_result": """
        run_id TEXT NOT NULL,
        load_id TEXT,
        asset TEXT NOT NULL,
        check_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        passed BOOLEAN NOT NULL,
        evaluated BIGINT NOT NULL,
        failed_expectations BIGINT NOT NULL,
        failed_count BIGINT NOT NULL,
        details TEXT,
        docs TEXT,
        checked_at TIMESTAMP NOT NULL
    """,
}

#: load_log columns added after the first release (incremental refresh): added to older warehouses too
LOAD_LOG_ADDED = {"source_modified": "TEXT", "spec_fingerprint": "TEXT", "http_requests": "BIGINT",
                  "http_bytes": "BIGINT", "elapsed_seconds": "FLOAT8", "provenance": "TEXT", "synthetic": "BOOLEAN",
                  "captured_at": "TIMESTAMP"}
#: delivery_log columns added after the first release: added to older warehouses too
DELIVERY_LOG_ADDED = {"provenance": "TEXT", "replaced": "TEXT", "rows_replaced": "BIGINT", "rows_gone": "BIGINT"}

#: columns of other tables added after the first release
TABLE_ADDED = {"staging.cbs_region": {"valid_from": "DATE", "valid_to": "DATE", "successor_code": "TEXT"},
               "staging.cbs_observation": {"value_text": "TEXT", "status": "TEXT"},
               "staging.cbs_period": {"description": "TEXT"}}

#: columns every delivery table carries besides the catalogue's own
DELIVERY_RAW_EXTRA = {"load_id": "TEXT NOT NULL", "source_file": "TEXT NOT NULL", "sha256": "TEXT NOT NULL",
                      "source_row": "BIGINT NOT NULL"}
DELIVERY_STAGING_EXTRA = {"load_id": "TEXT NOT NULL", "source_file": "TEXT NOT NULL", "source_row": "BIGINT NOT NULL"}


def delivery_tables(dtype: DeliveryType) -> dict[str, dict[str, str]]:
    """``raw.<type>`` (every accepted file, kept) and ``staging.<type>`` (current figures)."""
    cols = {c.name: SQL_TYPES[c.type] for c in dtype.columns}
    return {f"raw.{dtype.name}": {**cols, **DELIVERY_RAW_EXTRA},
            f"staging.{dtype.name}": {**cols, **DELIVERY_STAGING_EXTRA}}


def creations(deliveries: DeliveryCatalogue | None = None) -> list[str]:
    """Schemas and tables, each only if missing. On PostgreSQL these take no lock on a table that exists."""
    out = [f"CREATE SCHEMA IF NOT EXISTS {s}" for s in SCHEMAS]
    out += [f"CREATE TABLE IF NOT EXISTS {name} ({cols.strip()})" for name, cols in TABLES.items()]
    for dtype in deliveries.types if deliveries else ():
        for table, cols in delivery_tables(dtype).items():
            out.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{c} {t}' for c, t in cols.items())})")
    return out


def added_columns(deliveries: DeliveryCatalogue | None = None) -> dict[str, dict[str, str]]:
    """Columns that tables created by an older release may lack, per table (NOT NULL dropped: old rows)."""
    out = {"meta.load_log": dict(LOAD_LOG_ADDED), "meta.delivery_log": dict(DELIVERY_LOG_ADDED), **TABLE_ADDED}
    for dtype in deliveries.types if deliveries else ():
        for table, cols in delivery_tables(dtype).items():
            out[table] = {c: t.replace(" NOT NULL", "") for c, t in cols.items()}
    return out


def additions(deliveries: DeliveryCatalogue | None, existing: Callable[[str], set[str]]) -> list[str]:
    """``ALTER TABLE ... ADD COLUMN`` for the columns a table lacks (``existing`` gives a table's columns).

    Only for missing columns: on PostgreSQL even ``ADD COLUMN IF NOT EXISTS`` of a column that exists takes an
    ACCESS EXCLUSIVE lock, and every run (every Celery step) ensures the schema while other steps of the same
    run read those tables: the locks taken in a different order deadlocked.
    """
    out = []
    for table, cols in added_columns(deliveries).items():
        have = existing(table)
        out += [f"ALTER TABLE {table} ADD COLUMN {c} {t}" for c, t in cols.items() if c not in have]
    return out


def provenance_backfill() -> list[str]:
    """Give loads recorded before provenance was recorded their class (idempotent: only empty rows).

    CBS loads: from the mode and the note the load logged (a synthetic snapshot's note says SYNTHETIC).
    Deliveries: by the SHA-256 of the file against the bundled example files (see ea_pipelines.provenance).
    Loads that ended without publishing anything keep an empty class: none of their values is in the marts.
    """
    examples = ", ".join(f"'{h}'" for h in sorted(example_hashes())) or "''"
    return [
        "UPDATE meta.load_log SET provenance = CASE WHEN message LIKE '%SYNTHETIC%' THEN 'synthetic' "
        "WHEN mode = 'live' THEN 'cbs_live' ELSE 'cbs_capture' END "
        "WHERE provenance IS NULL AND mode IS NOT NULL AND status IN ('published', 'unchanged') AND source = 'cbs'",
        f"UPDATE meta.delivery_log SET provenance = CASE WHEN sha256 IN ({examples}) THEN 'illustrative' "
        "ELSE 'partner' END WHERE provenance IS NULL AND status = 'accepted'",
    ]
