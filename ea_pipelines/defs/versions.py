"""Data versions, code versions and the one rule for skipping work whose inputs did not change.

Every asset reports a data version (``dagster/data_version``): the CBS content hash, a hash of the
accepted partner files, a hash of the seed tables, and for the SQL models the logical version Dagster
derives from their code version and their inputs' data versions. Dagster records with each
materialisation the data versions of the inputs it was built from, so the UI shows what is stale, and an
asset whose code version and input data versions equal those of its last materialisation has nothing to
do: it materialises again with the same data version, so nothing downstream becomes stale either.

A forced full refresh (``EA_FULL_REFRESH=true``, ``ea-pipelines run --full-refresh``, or the run tag
``ea/full_refresh: true`` in the launchpad) does all the work regardless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import dagster as dg

FULL_REFRESH_TAG = "ea/full_refresh"
DATA_VERSION_TAG = "dagster/data_version"
TRUE = {"1", "true", "yes", "on"}


def version(*parts: object) -> str:
    """A short stable hash of ``parts`` (their ``str``), for data and code versions."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()[:24]


def full_refresh(context: dg.AssetExecutionContext, setting: bool) -> bool:
    """True when this run must redo everything: the setting (``EA_FULL_REFRESH``) or the run tag."""
    return setting or context.run.tags.get(FULL_REFRESH_TAG, "").strip().lower() in TRUE


def latest_data_versions(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, str | None]:
    """The data version of each key's latest materialisation (None: never materialised), in one query."""
    keys = list(keys)
    events = instance.get_latest_materialization_events(keys) if keys else {}
    out: dict[dg.AssetKey, str | None] = {}
    for key in keys:
        event = events.get(key)
        materialization = event.asset_materialization if event is not None else None
        out[key] = (materialization.tags or {}).get(DATA_VERSION_TAG) if materialization is not None else None
    return out


def latest_data_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    """The data version of ``key``'s latest materialisation (None: never materialised)."""
    return latest_data_versions(instance, [key])[key]


def latest_metadata(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, dg.MetadataValue]:
    """The metadata of ``key``'s latest materialisation (empty: never materialised)."""
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event is not None else None
    return dict(materialization.metadata) if materialization is not None else {}


def unchanged_inputs(context: dg.AssetExecutionContext, code_version: str | None,
                     deps: Iterable[dg.AssetKey]) -> str | None:
    """Why this asset need not be rebuilt, or None when it must be.

    It need not when its last materialisation had the same code version and was built from inputs whose
    data versions are still the current ones (every input materialised at least once).
    """
    provenance = context.get_asset_provenance(context.asset_key)
    if provenance is None or provenance.code_version != code_version:
        return None
    before = {key: v.value for key, v in provenance.input_data_versions.items()}
    for key, current in latest_data_versions(context.instance, deps).items():
        if current is None or before.get(key) != current:
            return None
    return "inputs and code unchanged since the last materialisation"


_RELATIONS: dict[str, set[str]] = {}  # run id -> the warehouse's tables and views when the run first asked


def existing_relations(context: dg.AssetExecutionContext, engine: object) -> set[str]:
    """``schema.name`` of every table and view in the warehouse, read once per run (one catalogue query): a
    model whose inputs did not change is still built when its table is missing (a warehouse built anew)."""
    import sqlalchemy as sa

    if context.run_id not in _RELATIONS:
        _RELATIONS.clear()
        with engine.connect() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(sa.text("SELECT table_schema, table_name FROM information_schema.tables"))
            _RELATIONS[context.run_id] = {f"{s}.{n}" for s, n in rows}
    return _RELATIONS[context.run_id]
