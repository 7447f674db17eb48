"""A password in a configured URL (EA_CBS_V4_URL=http://user:pw@…) never reaches a message, meta or a manifest."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.errors import CbsError, CbsHostUnreachable
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR, mask_credentials
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST

SECRET = "Pw-4711-geheim"


@pytest.mark.parametrize("scheme", ["http", "https", "postgresql+psycopg", "ftp"])
@pytest.mark.parametrize("user", ["ea", "ea.loader", ""])
@pytest.mark.parametrize("around", ["{}", "GET {}/Properties failed", "({}) and {}", "'{}'"])
def test_every_url_in_a_text_is_masked(scheme: str, user: str, around: str) -> None:
    url = f"{scheme}://{user}:{SECRET}@cbs.example:8443/odata?x=1"
    masked = mask_credentials(around.format(url, url))
    assert SECRET not in masked
    assert masked == around.format(f"{scheme}://{user}:***@cbs.example:8443/odata?x=1",
                                   f"{scheme}://{user}:***@cbs.example:8443/odata?x=1")


def test_text_without_credentials_is_unchanged() -> None:
    text = "HTTP 404 for http://127.0.0.1:8080/odata/v1/CBS/03759ned/Properties; mail data@cbs.nl"
    assert mask_credentials(text) == text


def with_password(url: str) -> str:
    return url.replace("http://", f"http://ea:{SECRET}@")


def test_a_live_load_with_a_password_in_the_url_keeps_it_out_of_meta_and_the_manifest(
        cbs_server: FakeCbsServer, catalogue: CbsCatalogue, warehouse: Warehouse, tmp_path: Path) -> None:
    source = CbsSource("live", with_password(cbs_server.v4_url), with_password(cbs_server.v3_url),
                       DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)
    assert load_cbs_table(catalogue.table("bevolking"), source, warehouse, batch_id="ok").status == "published"
    missing = dataclasses.replace(catalogue.table("bevolking"), table_id="99999ned")
    with pytest.raises(CbsError) as err:
        load_cbs_table(missing, source, warehouse, batch_id="missing")
    assert SECRET not in str(err.value) and "ea:***@" in str(err.value)
    with warehouse.engine.connect() as conn:
        messages = conn.execute(sa.text("SELECT coalesce(message, '') FROM meta.load_log")).scalars().all()
    assert len(messages) == 2 and not any(SECRET in m for m in messages)
    manifests = list((tmp_path / "landing").rglob("manifest.json"))
    assert manifests and all(SECRET not in m.read_text() for m in manifests)
    assert json.loads(manifests[0].read_text())["source"].startswith("http://ea:***@127.0.0.1:")


def test_an_unreachable_host_is_named_without_the_password(tmp_path: Path, catalogue: CbsCatalogue) -> None:
    dead = f"http://ea:{SECRET}@127.0.0.1:9/odata/v1/CBS"  # port 9: nothing listens
    source = CbsSource("live", dead, dead, DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    with pytest.raises(CbsHostUnreachable) as err:
        source.fetch(catalogue.table("bevolking"), batch_id="t")
    assert SECRET not in str(err.value) and "127.0.0.1:9" in str(err.value)
