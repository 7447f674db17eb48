"""The load log: a failure reported after a load ended never rewrites how it ended."""

from __future__ import annotations

import sqlalchemy as sa

from ea_pipelines.warehouse import load_log
from ea_pipelines.warehouse.db import Warehouse


def status(wh: Warehouse, load_id: str) -> tuple[str, str | None]:
    with wh.engine.connect() as conn:
        return tuple(conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE load_id = :l"),
                                  {"l": load_id}).one())


def test_fail_after_publish_keeps_the_published_row(warehouse: Warehouse) -> None:
    load_log.start(warehouse, load_id="L1", batch_id="b", source="cbs", table_id="t")
    with warehouse.engine.begin() as conn:
        load_log.finish(conn, load_id="L1", status="published", rows=3, content_hash="h", message="ok")
    load_log.fail(warehouse, load_id="L1", message="OSError: disk full while recording checks")
    assert status(warehouse, "L1") == ("published", "ok")
    with warehouse.engine.connect() as conn:
        assert load_log.last_published(conn, "cbs", "t").load_id == "L1"


def test_fail_ends_a_running_load(warehouse: Warehouse) -> None:
    load_log.start(warehouse, load_id="L2", batch_id="b", source="cbs", table_id="t")
    load_log.fail(warehouse, load_id="L2", message="CbsTransientError: gave up")
    assert status(warehouse, "L2") == ("failed", "CbsTransientError: gave up")
