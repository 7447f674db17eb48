"""Schemas and tables of the warehouse, in SQL that DuckDB and PostgreSQL both accept."""

from __future__ import annotations

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
        load_id TEXT NOT NULL
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
        load_id TEXT NOT NULL
    """,
    "staging.cbs_period": """
        table_id TEXT NOT NULL,
        period_code TEXT NOT NULL,
        title TEXT,
        status TEXT,
        load_id TEXT NOT NULL
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
        message TEXT
    """,
}


def statements() -> list[str]:
    """Idempotent DDL: safe to run before every load."""
    out = [f"CREATE SCHEMA IF NOT EXISTS {s}" for s in SCHEMAS]
    out += [f"CREATE TABLE IF NOT EXISTS {name} ({cols.strip()})" for name, cols in TABLES.items()]
    return out
