"""Dagster resources: the warehouse and the CBS source, configured from ``EA_*`` settings."""

import os
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.settings import Settings
from ea_pipelines.warehouse.db import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse behind a SQLAlchemy URL; its schema is created on first use in a run."""

    url: str
    _warehouse: Warehouse | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._warehouse = Warehouse(self.url)
        self._warehouse.ensure_schema()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._warehouse is not None:
            self._warehouse.dispose()

    @property
    def warehouse(self) -> Warehouse:
        if self._warehouse is None:  # used outside a run (tests, scripts)
            self._warehouse = Warehouse(self.url)
            self._warehouse.ensure_schema()
        return self._warehouse


class CbsSourceResource(dg.ConfigurableResource):
    """Where CBS data comes from: ``live``, ``replay`` (bundled snapshots) or ``auto``."""

    mode: str
    v4_url: str
    v3_url: str
    snapshot_dir: str
    landing_dir: str
    timeout: float = 60.0
    max_attempts: int = 5
    backoff_cap: float = 60.0
    retry_after_cap: float = 120.0

    def source(self) -> CbsSource:
        return CbsSource(
            mode=self.mode, v4_url=self.v4_url, v3_url=self.v3_url,
            snapshot_dir=Path(self.snapshot_dir), landing_dir=Path(self.landing_dir),
            policy=RetryPolicy(timeout=self.timeout, max_attempts=self.max_attempts,
                               backoff_cap=self.backoff_cap, retry_after_cap=self.retry_after_cap),
        )


def resources_from_settings(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    # A URL from the environment is passed as EnvVar so that Dagster never shows its value (a password).
    url = dg.EnvVar("EA_WAREHOUSE_URL") if os.environ.get("EA_WAREHOUSE_URL") else settings.warehouse_url
    return {
        "warehouse": WarehouseResource(url=url),
        "cbs": CbsSourceResource(
            mode=settings.source_mode, v4_url=settings.cbs_v4_url, v3_url=settings.cbs_v3_url,
            snapshot_dir=str(settings.snapshot_dir), landing_dir=str(settings.landing_dir),
            timeout=settings.http_timeout, max_attempts=settings.http_max_attempts,
            backoff_cap=settings.http_backoff_cap, retry_after_cap=settings.retry_after_cap,
        ),
    }
