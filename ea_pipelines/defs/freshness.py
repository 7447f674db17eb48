"""Freshness in the UI: one external asset per source (a CBS table, a partner's delivery type) with Dagster's
freshness policy, derived from the catalogue's ``frequency`` (ea_pipelines/catalogue/frequency.py).

The loading asset materialises every night, whether or not anything changed, so its own age says nothing
about the source. The source asset is materialised (by the loading asset, in the same step) only when the
source brought a new version: a CBS load that published new data, an accepted partner file. Its freshness
policy then shows a source as late (warn) after one publication interval and overdue (fail) after the
interval plus grace. The report keeps its own, plan-level staleness rules.
"""

from __future__ import annotations

import dagster as dg

from ea_pipelines.catalogue.frequency import due_window

GROUP = "sources"


def source_key(kind: str, name: str) -> dg.AssetKey:
    return dg.AssetKey([GROUP, kind, name])


def source_spec(kind: str, name: str, title: str, frequency: str | None, loaded_by: dg.AssetKey,
                owners: list[str]) -> dg.AssetSpec:
    window = due_window(frequency)
    policy = dg.FreshnessPolicy.time_window(fail_window=window.fail, warn_window=window.warn) if window else None
    due = window.text if window else "no regular frequency in the catalogue: no freshness policy"
    return dg.AssetSpec(
        key=source_key(kind, name), group_name=GROUP, freshness_policy=policy, owners=owners or None,
        description=f"{title}: each new version the source brought (materialised by {loaded_by.to_user_string()} "
                    f"when it published new data). Frequency {frequency or 'unknown'}: {due}.",
        metadata={"frequency": frequency or "unknown", "due": due, "loaded_by": loaded_by.to_user_string()},
    )


def new_version(context: dg.AssetExecutionContext, kind: str, name: str, **metadata: object) -> None:
    """Record that source ``name`` brought a new version (what its freshness policy measures)."""
    context.log_event(dg.AssetMaterialization(asset_key=source_key(kind, name), metadata=metadata))
