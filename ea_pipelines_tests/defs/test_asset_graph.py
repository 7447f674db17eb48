"""The asset graph as a reviewed snapshot: an unintended change to keys, lineage, groups, checks or jobs shows up.

After an intended change, regenerate the snapshot and review its diff with the change:
``EA_TEST_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest ea_pipelines_tests/defs/test_asset_graph.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from ea_pipelines.definitions import build_definitions
from ea_pipelines_tests.defs.test_definitions import settings_for

SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.txt")


def describe(defs: dg.Definitions) -> str:
    graph = defs.resolve_asset_graph()
    jobs = {name: defs.resolve_job_def(name) for name in sorted(j.name for j in defs.jobs)}
    selected = {name: set(job.asset_layer.executable_asset_keys) for name, job in jobs.items()}
    lines = [f"jobs: {', '.join(jobs)}",
             f"schedules: {', '.join(sorted(f'{s.name} -> {s.job_name}' for s in defs.schedules))}",
             f"sensors: {', '.join(sorted(s.name for s in defs.sensors))}"]
    checks: dict[dg.AssetKey, list[str]] = {}
    for key in graph.asset_check_keys:
        checks.setdefault(key.asset_key, []).append(key.name)
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        in_jobs = [name for name, keys in selected.items() if key in keys]
        lines.append(f"asset {key.to_user_string()}  group={node.group_name}  jobs={','.join(in_jobs) or '-'}")
        lines += [f"  dep {p.to_user_string()}" for p in sorted(node.parent_keys, key=lambda k: k.to_user_string())]
        lines += [f"  check {c}" for c in sorted(checks.get(key, []))]
    return "\n".join(lines) + "\n"


def test_the_asset_graph_matches_its_reviewed_snapshot(tmp_path: Path) -> None:
    actual = describe(build_definitions(settings_for(tmp_path)))
    if os.environ.get("EA_TEST_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    assert actual == expected, ("the asset graph changed; if intended, regenerate the snapshot "
                                "(see this module's docstring) and review its diff")
