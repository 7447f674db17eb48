"""Dagster resources: the warehouse and the CBS source, configured from ``EA_*`` settings."""

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from ea_pipelines.catalogue.catalogues import Catalogues, load_catalogues
from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, load_delivery_catalogue
from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.deliveries.inbox import Folders
from ea_pipelines.deliveries.reading import Limits
from ea_pipelines.masking import mask
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.serve import DATA_DOCS, REPORTS, link
from ea_pipelines.settings import (
    DEFAULT_CBS_MAX_PAGES,
    DEFAULT_GX_MAX_ROWS,
    DEFAULT_HTTP_DEADLINE,
    DEFAULT_HTTP_MAX_CODES,
    DEFAULT_HTTP_MAX_RESPONSE_BYTES,
    DEFAULT_HTTP_TABLE_DEADLINE,
    DEFAULT_PG_LOCK_TIMEOUT,
    DEFAULT_PG_STATEMENT_TIMEOUT,
    Settings,
    files_base_url,
)
from ea_pipelines.swing.source import SwingSource
from ea_pipelines.warehouse.db import Warehouse

#: Real URLs (warehouse, CBS) by their masked form. A resource's config, which the Dagster UI shows, holds only
#: the masked URL (password replaced by ***); the real one stays in the process that built the definitions from
#: its Settings. Every process that runs steps builds the definitions itself (code location), so it registers its
#: own URLs.
_REAL_URLS: dict[str, str] = {}


def _register_url(url: str) -> str:
    shown = mask(url)
    _REAL_URLS[shown] = url
    return shown


def _real_url(shown: str) -> str:
    return _REAL_URLS.get(shown, shown)


#: API keys by the (masked) URL they belong to: like the real URLs, never part of a resource's config (the UI)
_API_KEYS: dict[str, str] = {}


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse behind a SQLAlchemy URL; its schema is created on first use in a run.

    ``url`` is the URL as shown in the UI (password masked); the connection uses the URL the definitions were
    built with (never read from the shell here, so a test's Settings always win over an exported variable).
    """

    url: str
    #: EA_DELIVERY_CATALOGUE: the delivery types whose staging tables the schema holds
    delivery_catalogue: str
    duckdb_memory_limit: str | None = None
    pg_lock_timeout: float = DEFAULT_PG_LOCK_TIMEOUT
    pg_statement_timeout: float = DEFAULT_PG_STATEMENT_TIMEOUT
    #: EA_FULL_REFRESH: every asset does its work even when its inputs did not change (ea_pipelines/defs/versions.py)
    full_refresh: bool = False
    _warehouse: Warehouse | None = PrivateAttr(default=None)

    def connection_url(self) -> str:
        """The real URL (with its password), for connecting; never for display."""
        return _real_url(self.url)

    def _open(self) -> Warehouse:
        wh = Warehouse(self.connection_url(), duckdb_memory_limit=self.duckdb_memory_limit,
                       pg_lock_timeout=self.pg_lock_timeout, pg_statement_timeout=self.pg_statement_timeout)
        wh.ensure_schema(load_delivery_catalogue(Path(self.delivery_catalogue)))
        return wh

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._warehouse = self._open()
        self._warehouse.hold_open()  # released in teardown_after_execution

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._warehouse is not None:
            self._warehouse.dispose()

    @property
    def warehouse(self) -> Warehouse:
        if self._warehouse is None:  # used outside a run (tests, scripts)
            self._warehouse = self._open()
        return self._warehouse


class _HttpBounds(dg.ConfigurableResource):
    """The HTTP limits every fetched source shares (EA_HTTP_*, EA_CBS_MAX_PAGES)."""

    timeout: float = 60.0
    max_attempts: int = 5
    backoff_cap: float = 60.0
    retry_after_cap: float = 120.0
    deadline: float = DEFAULT_HTTP_DEADLINE
    max_response_bytes: int = DEFAULT_HTTP_MAX_RESPONSE_BYTES
    max_pages: int = DEFAULT_CBS_MAX_PAGES
    table_deadline: float = DEFAULT_HTTP_TABLE_DEADLINE
    max_codes: int = DEFAULT_HTTP_MAX_CODES

    def policy(self) -> RetryPolicy:
        return RetryPolicy(timeout=self.timeout, max_attempts=self.max_attempts, deadline=self.deadline,
                           max_response_bytes=self.max_response_bytes, max_pages=self.max_pages,
                           table_deadline=self.table_deadline, max_codes=self.max_codes,
                           backoff_cap=self.backoff_cap, retry_after_cap=self.retry_after_cap)


class CbsSourceResource(_HttpBounds):
    """Where CBS data comes from: ``live``, ``replay`` (bundled snapshots) or ``auto``."""

    mode: str
    v4_url: str
    v3_url: str
    snapshot_dir: str
    landing_dir: str
    #: fetch every table in full even when CBS's Modified is unchanged (EA_CBS_FULL_FETCH)
    full_fetch: bool = False

    def source(self) -> CbsSource:
        return CbsSource(
            mode=self.mode, v4_url=_real_url(self.v4_url), v3_url=_real_url(self.v3_url),
            snapshot_dir=Path(self.snapshot_dir), landing_dir=Path(self.landing_dir),
            policy=self.policy(),
        )


class SwingSourceResource(_HttpBounds):
    """Where Kennispunt Twente's open data comes from: a Swing Open Data Service ``live``, its bundled snapshots
    (``replay``) or ``auto``. The API key (EA_SWING_API_KEY) is not part of this config: the UI shows only whether
    one is set."""

    mode: str
    ods_url: str
    catalogue: str
    snapshot_dir: str
    landing_dir: str
    api_key_set: bool = False
    full_fetch: bool = False

    def source(self) -> SwingSource:
        return SwingSource.create(
            self.mode, _real_url(self.ods_url), Path(self.snapshot_dir), Path(self.landing_dir),
            load_swing_catalogue(Path(self.catalogue)), api_key=_API_KEYS.get(self.ods_url, ""),
            policy=self.policy(),
        )


class DeliveriesResource(dg.ConfigurableResource):
    """Where partner files arrive and go, and the limits that protect the parser."""

    catalogue: str
    inbox_dir: str
    archive_dir: str
    quarantine_dir: str
    max_bytes: int
    max_unzipped_bytes: int
    settle_seconds: float
    #: municipality codes that win when a bare name fits several (the programme's own peer group)
    preferred_regions: list[str] = []

    def load_catalogue(self) -> DeliveryCatalogue:
        return load_delivery_catalogue(Path(self.catalogue))

    def folders(self) -> Folders:
        return Folders(Path(self.inbox_dir), Path(self.archive_dir), Path(self.quarantine_dir))

    def limits(self) -> Limits:
        return Limits(self.max_bytes, self.max_unzipped_bytes)

    def regions(self) -> RegionIndex:
        return RegionIndex.from_code_list(preferred=frozenset(self.preferred_regions))


class QualityResource(dg.ConfigurableResource):
    """Expectation suites from the catalogues, run with Great Expectations; Data Docs go to ``docs_dir``."""

    docs_dir: str
    #: CBS tables up to this many rows are validated with GX in memory; larger ones in SQL (EA_GX_MAX_ROWS)
    gx_max_rows: int = DEFAULT_GX_MAX_ROWS

    def gate(self) -> QualityGate:
        return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=Path(self.docs_dir),
                           gx_max_rows=self.gx_max_rows)

    #: where the Data Docs are served over HTTP (EA_FILES_URL; `make dev` serves them, see ea_pipelines/serve.py);
    #: empty: a file:// link (which a browser does not open from the UI)
    files_url: str = ""

    def docs_link(self) -> dg.MetadataValue:
        """A link to the Data Docs index, for asset metadata (the UI shows it as a clickable URL)."""
        index = Path(self.docs_dir) / "index.html"
        if not self.files_url:
            return dg.MetadataValue.url(index.resolve().as_uri())
        return dg.MetadataValue.url(link(self.files_url, DATA_DOCS, Path(self.docs_dir), index))


class ReportingResource(dg.ConfigurableResource):
    """Where the council report is written: ``<reports_dir>/<date>/``, and where it is served over HTTP."""

    reports_dir: str
    #: EA_FILES_URL (see QualityResource.files_url); empty: file:// links
    files_url: str = ""

    def link(self, path: Path) -> dg.MetadataValue:
        """A link to ``path`` (a file under ``reports_dir``) for asset metadata."""
        if not self.files_url:
            return dg.MetadataValue.url(path.resolve().as_uri())
        return dg.MetadataValue.url(link(self.files_url, REPORTS, Path(self.reports_dir), path))


def resources_from_settings(settings: Settings,
                            catalogues: Catalogues | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources, configured from ``settings``; ``catalogues``: those already loaded from the same settings."""
    url = _register_url(settings.warehouse_url)  # the UI shows the URL with its password masked
    swing_url = _register_url(settings.swing_ods_url)
    if settings.swing_api_key:
        _API_KEYS[swing_url] = settings.swing_api_key
    else:
        _API_KEYS.pop(swing_url, None)
    programme = (catalogues or load_catalogues(settings)).programme
    return {
        "warehouse": WarehouseResource(url=url, delivery_catalogue=str(settings.delivery_catalogue_path),
                                       duckdb_memory_limit=settings.duckdb_memory_limit,
                                       pg_lock_timeout=settings.pg_lock_timeout,
                                       pg_statement_timeout=settings.pg_statement_timeout,
                                       full_refresh=settings.full_refresh),
        "deliveries": DeliveriesResource(
            catalogue=str(settings.delivery_catalogue_path), inbox_dir=str(settings.inbox_dir),
            archive_dir=str(settings.archive_dir), quarantine_dir=str(settings.quarantine_dir),
            max_bytes=settings.delivery_max_bytes, max_unzipped_bytes=settings.delivery_max_unzipped_bytes,
            settle_seconds=settings.inbox_settle_seconds, preferred_regions=list(programme.region_codes),
        ),
        "quality": QualityResource(docs_dir=str(settings.data_docs_dir), gx_max_rows=settings.gx_max_rows,
                                   files_url=files_base_url(settings)),
        "reporting": ReportingResource(reports_dir=str(settings.report_dir), files_url=files_base_url(settings)),
        "cbs": CbsSourceResource(
            mode=settings.source_mode, v4_url=_register_url(settings.cbs_v4_url),
            v3_url=_register_url(settings.cbs_v3_url),
            snapshot_dir=str(settings.snapshot_dir), landing_dir=str(settings.landing_dir),
            timeout=settings.http_timeout, max_attempts=settings.http_max_attempts,
            deadline=settings.http_deadline, max_response_bytes=settings.http_max_response_bytes,
            max_pages=settings.cbs_max_pages,
            table_deadline=settings.http_table_deadline, max_codes=settings.http_max_codes,
            backoff_cap=settings.http_backoff_cap, retry_after_cap=settings.retry_after_cap,
            full_fetch=settings.cbs_full_fetch,
        ),
        "swing": SwingSourceResource(
            mode=settings.source_mode, ods_url=swing_url, catalogue=str(settings.swing_catalogue_path),
            snapshot_dir=str(settings.swing_snapshot_dir), landing_dir=str(settings.landing_dir),
            api_key_set=bool(settings.swing_api_key),
            timeout=settings.http_timeout, max_attempts=settings.http_max_attempts,
            deadline=settings.http_deadline, max_response_bytes=settings.http_max_response_bytes,
            max_pages=settings.cbs_max_pages,
            table_deadline=settings.http_table_deadline, max_codes=settings.http_max_codes,
            backoff_cap=settings.http_backoff_cap, retry_after_cap=settings.retry_after_cap,
            full_fetch=settings.cbs_full_fetch,
        ),
    }
