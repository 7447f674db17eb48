"""The rule deciding whether a snapshot may replace the published version, case by case."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ea_pipelines.ingest.snapshot_policy import parse_modified, snapshot_refused


def snapshot(mode: str = "fallback", synthetic: bool = False, modified: str | None = "2026-06-23T00:00:00+02:00"):
    props = SimpleNamespace(modified=modified)
    return SimpleNamespace(mode=mode, synthetic=synthetic, properties=lambda: props, source_name="cbs")


def published(mode: str | None, synthetic: bool | None = False, modified: str | None = "2026-06-23T00:00:00+02:00",
              message: str | None = None):
    return SimpleNamespace(mode=mode, synthetic=synthetic, source_modified=modified, message=message)


@pytest.mark.parametrize("fetch, previous, refused", [
    # nothing published: a snapshot fills the table
    (snapshot("fallback", synthetic=True), None, None),
    (snapshot("replay"), None, None),
    # a live fetch is never refused
    (snapshot("live"), published("live"), None),
    # never over a live version, whatever the snapshot
    (snapshot("fallback"), published("live"), "fetched live"),
    (snapshot("replay", modified="2030-01-01T00:00:00+01:00"), published("live"), "fetched live"),
    (snapshot("fallback"), published(None), "fetched live"),  # mode unknown: treated as live
    # synthetic never over real; unknown counts as real
    (snapshot("fallback", synthetic=True), published("replay", synthetic=False), "synthetic"),
    (snapshot("replay", synthetic=True), published("fallback", synthetic=None), "synthetic"),
    (snapshot("replay", synthetic=True), published("fallback", synthetic=True), None),
    (snapshot("replay", synthetic=False), published("fallback", synthetic=True), None),  # more real: fine
    # logged before the synthetic column existed: the message said so
    (snapshot("fallback", synthetic=True), published("fallback", synthetic=None, message="CBS unreachable (x); "
     "used the bundled snapshot instead (SYNTHETIC snapshot: illustrative values, not CBS figures)"), None),
    # never an older Modified; v3's Modified has no offset (Dutch time)
    (snapshot("replay", modified="2026-06-22T23:00:00+02:00"), published("replay"), "older"),
    (snapshot("replay", modified="2026-06-23T00:00:00"), published("replay"), None),
    (snapshot("replay", modified="2026-06-22T23:59:00"), published("replay"), "older"),
    (snapshot("replay", modified="2027-01-01T00:00:00+01:00"), published("replay"), None),
    (snapshot("replay", modified=None), published("replay"), None),  # unknown: no comparison
])
def test_snapshot_refused(fetch, previous, refused: str | None) -> None:
    reason = snapshot_refused(fetch, previous)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


def test_parse_modified() -> None:
    assert parse_modified("2026-11-01T00:00:00+01:00").isoformat() == "2026-11-01T00:00:00+01:00"
    assert parse_modified("2025-02-16T02:00:00").utcoffset().total_seconds() == 3600  # CET in February
    assert parse_modified("gisteren") is None and parse_modified(None) is None
