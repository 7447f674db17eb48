"""Source modes: live, replay (no network) and auto (fallback only when the host is unreachable)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.errors import CbsHostUnreachable, CbsTransientError
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, Fault
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR
from ea_pipelines_tests.conftest import FAST


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/odata/v1/CBS"


def test_replay_touches_no_network(dead_url: str, catalogue: CbsCatalogue, tmp_path: Path) -> None:
    source = CbsSource("replay", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    for spec in catalogue.tables:
        result = source.fetch(spec, batch_id="t")
        assert result.mode == "replay" and result.requests == 0
        assert len(result.data.observations) > 0
    assert not any(tmp_path.iterdir())  # nothing landed


def test_every_catalogue_table_has_a_snapshot_labelled_real_or_synthetic(catalogue: CbsCatalogue) -> None:
    for spec in catalogue.tables:
        manifest = json.loads((DEFAULT_SNAPSHOT_DIR / spec.table_id / "manifest.json").read_text())
        assert isinstance(manifest["synthetic"], bool)
        assert ("SYNTHETIC" in manifest["note"]) is manifest["synthetic"]
        if spec.table_id == "03759ned":
            assert manifest["synthetic"] is False  # the real capture


def test_auto_falls_back_when_unreachable_and_says_so(dead_url: str, catalogue: CbsCatalogue,
                                                      tmp_path: Path) -> None:
    source = CbsSource("auto", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    result = source.fetch(catalogue.table("bevolking"), batch_id="t")
    assert result.mode == "fallback"
    assert "connection refused" in result.note and "bundled snapshot" in result.note


def test_live_fails_when_unreachable(dead_url: str, catalogue: CbsCatalogue, tmp_path: Path) -> None:
    source = CbsSource("live", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    with pytest.raises(CbsHostUnreachable):
        source.fetch(catalogue.table("bevolking"), batch_id="t")


def test_auto_does_not_hide_a_server_that_answers_badly(cbs_server: FakeCbsServer, catalogue: CbsCatalogue,
                                                        tmp_path: Path) -> None:
    cbs_server.inject("/Properties$", *[Fault("status", 503)] * 10)
    source = CbsSource("auto", cbs_server.v4_url, cbs_server.v3_url, DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    with pytest.raises(CbsTransientError):
        source.fetch(catalogue.table("bevolking"), batch_id="t")


def test_a_live_load_lands_and_replays_identically(live_source: CbsSource, catalogue: CbsCatalogue,
                                                   dead_url: str, tmp_path: Path) -> None:
    for spec in catalogue.tables:
        live = live_source.fetch(spec, batch_id="batch-1")
        assert live.mode == "live" and live.manifest.exists()
        landed = live_source.landing_dir / "cbs" / "batches" / "batch-1"
        replay = CbsSource("replay", dead_url, dead_url, landed, tmp_path / "unused", FAST).fetch(spec, "b2")
        assert replay.data.content_hash == live.data.content_hash
        assert replay.data.observations.equals(live.data.observations)
    objects = list((live_source.landing_dir / "cbs" / "objects").rglob("*.json"))
    assert objects and all(p.stem == __import__("hashlib").sha256(p.read_bytes()).hexdigest() for p in objects)
