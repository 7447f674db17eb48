"""Settings from ``EA_*`` environment variables, with defaults that run offline-capable on a laptop.

Every setting is documented in the README. Nothing here holds a secret: a password belongs in the
``EA_WAREHOUSE_URL`` variable of the environment that runs the pipeline, never in code. Every secret the
settings hold (passwords in URLs, ``EA_SWING_API_KEY``, any ``EA_*_PASSWORD``) is registered with
:mod:`ea_pipelines.masking`, which keeps it out of logs, metadata, the warehouse and errors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from ea_pipelines import clock, masking

SOURCE_MODES = ("live", "replay", "auto")
#: CBS tables up to this many rows are validated with GX as one DataFrame; larger ones in SQL (EA_GX_MAX_ROWS)
DEFAULT_GX_MAX_ROWS = 250_000
#: PostgreSQL: how long the loader waits for a lock, and the longest statement it runs (seconds; 0: no limit)
DEFAULT_PG_LOCK_TIMEOUT = 300.0
DEFAULT_PG_STATEMENT_TIMEOUT = 3600.0
#: bounds of one HTTP request (connect to last byte; decompressed size) and of one CBS table's paging
DEFAULT_HTTP_DEADLINE = 600.0
DEFAULT_HTTP_MAX_RESPONSE_BYTES = 256 * 2**20
DEFAULT_CBS_MAX_PAGES = 5_000
#: bounds of one table: its requests' time together (seconds), and the codes of one code list (all its pages)
DEFAULT_HTTP_TABLE_DEADLINE = 4 * 3600.0
DEFAULT_HTTP_MAX_CODES = 100_000
#: executors of the nightly job; all but in_process run steps in other processes, pods or workers
EXECUTORS = ("in_process", "multiprocess", "k8s", "celery")

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CATALOGUE = PACKAGE_DIR / "catalogue" / "cbs_tables.yaml"
DEFAULT_DELIVERY_CATALOGUE = PACKAGE_DIR / "catalogue" / "deliveries.yaml"
DEFAULT_INDICATOR_CATALOGUE = PACKAGE_DIR / "catalogue" / "indicators.yaml"
DEFAULT_SQL_DIR = PACKAGE_DIR.parent / "dbt_like_sql"
DEFAULT_SNAPSHOT_DIR = PACKAGE_DIR / "snapshots" / "cbs"
DEFAULT_SWING_CATALOGUE = PACKAGE_DIR / "catalogue" / "swing_variables.yaml"
DEFAULT_SWING_SNAPSHOT_DIR = PACKAGE_DIR / "snapshots" / "swing"
#: Twente in cijfers' (Kennispunt Twente) Swing Open Data Service
DEFAULT_SWING_ODS_URL = "https://twente.incijfers.nl/jiveservices/odata"


#: Every location a run writes to: Settings field -> its EA_* variable. Tools that run pipelines for their own
#: purposes (make bench, the tests, the snapshot builder) point all of them elsewhere with
#: ea_pipelines.devtools.isolated; a new writable setting belongs here. (The catalogues, snapshots and SQL models
#: are read, never written, by a run.)
WRITABLE_LOCATIONS = {
    "warehouse_url": "EA_WAREHOUSE_URL", "landing_dir": "EA_LANDING_DIR", "inbox_dir": "EA_INBOX_DIR",
    "archive_dir": "EA_ARCHIVE_DIR", "quarantine_dir": "EA_QUARANTINE_DIR", "data_docs_dir": "EA_DATA_DOCS_DIR",
    "report_dir": "EA_REPORT_DIR", "log_dir": "EA_LOG_DIR",
}
#: Path settings a run only reads. The four catalogues reach every reader through
#: ea_pipelines.catalogue.catalogues.load_catalogues(settings); the DEFAULT_* paths above are only their defaults.
READ_ONLY_LOCATIONS = ("catalogue_path", "snapshot_dir", "delivery_catalogue_path", "sql_dir", "swing_catalogue_path",
                       "swing_snapshot_dir", "indicator_catalogue_path")


class SettingsError(ValueError):
    """A setting has a value the pipeline cannot use."""


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc
    if value < 0:
        raise SettingsError(f"{name}={raw!r} must not be negative")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: use true or false")


def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if raw == "":
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r}: a TCP port number (1-65535)")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one process."""

    warehouse_url: str = "duckdb:///warehouse/ea.duckdb"
    source_mode: str = "auto"
    cbs_v4_url: str = "https://datasets.cbs.nl/odata/v1/CBS"
    cbs_v3_url: str = "https://opendata.cbs.nl/ODataFeed/odata"
    catalogue_path: Path = DEFAULT_CATALOGUE
    snapshot_dir: Path = DEFAULT_SNAPSHOT_DIR
    landing_dir: Path = Path("data/landing")
    http_timeout: float = 60.0
    http_deadline: float = DEFAULT_HTTP_DEADLINE
    http_max_response_bytes: int = DEFAULT_HTTP_MAX_RESPONSE_BYTES
    cbs_max_pages: int = DEFAULT_CBS_MAX_PAGES
    http_table_deadline: float = DEFAULT_HTTP_TABLE_DEADLINE
    http_max_codes: int = DEFAULT_HTTP_MAX_CODES
    http_max_attempts: int = 5
    http_backoff_cap: float = 60.0
    retry_after_cap: float = 120.0
    delivery_catalogue_path: Path = DEFAULT_DELIVERY_CATALOGUE
    inbox_dir: Path = Path("data/inbox")
    archive_dir: Path = Path("data/archive")
    quarantine_dir: Path = Path("data/quarantine")
    delivery_max_bytes: int = 20 * 1024 * 1024
    delivery_max_unzipped_bytes: int = 200 * 1024 * 1024
    inbox_settle_seconds: float = 30.0
    data_docs_dir: Path = Path("data/data_docs")
    sql_dir: Path = DEFAULT_SQL_DIR
    duckdb_readonly_copy: str = ""  # "": beside the DuckDB warehouse as <name>_readonly.duckdb; "off": none
    executor: str = "in_process"
    report_dir: Path = Path("reports")
    log_dir: Path = Path("data/logs")
    files_port: int = 3001
    files_url: str = ""  # "": http://127.0.0.1:<files_port>, the server `make dev` starts
    cbs_full_fetch: bool = False
    full_refresh: bool = False  # redo everything, even what is unchanged (EA_FULL_REFRESH)
    gx_max_rows: int = DEFAULT_GX_MAX_ROWS
    duckdb_memory_limit: str | None = "512MB"
    pg_lock_timeout: float = DEFAULT_PG_LOCK_TIMEOUT
    pg_statement_timeout: float = DEFAULT_PG_STATEMENT_TIMEOUT
    swing_ods_url: str = DEFAULT_SWING_ODS_URL
    #: the Swing ODS's API key (EA_SWING_API_KEY): optional, a secret; never in a repr, log or the UI
    swing_api_key: str = field(default="", repr=False)
    swing_catalogue_path: Path = DEFAULT_SWING_CATALOGUE
    swing_snapshot_dir: Path = DEFAULT_SWING_SNAPSHOT_DIR
    indicator_catalogue_path: Path = DEFAULT_INDICATOR_CATALOGUE

    def __post_init__(self) -> None:
        """Whatever secret these settings hold is masked in every output of this process (ea_pipelines.masking)."""
        for url in (self.warehouse_url, self.cbs_v4_url, self.cbs_v3_url, self.swing_ods_url):
            masking.register_url(url)
        masking.register_secret(self.swing_api_key)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        masking.register_environment(env)  # any configured secret, also those no setting reads (DAGSTER_PG_PASSWORD)
        defaults = cls()
        mode = env.get("EA_SOURCE_MODE", defaults.source_mode).strip().lower()
        if mode not in SOURCE_MODES:
            raise SettingsError(f"EA_SOURCE_MODE={mode!r}: choose one of {', '.join(SOURCE_MODES)}")
        attempts_raw = env.get("EA_HTTP_MAX_ATTEMPTS", str(defaults.http_max_attempts))
        if not attempts_raw.isdigit() or int(attempts_raw) < 1:
            raise SettingsError(f"EA_HTTP_MAX_ATTEMPTS={attempts_raw!r} must be a whole number >= 1")
        url = env.get("EA_WAREHOUSE_URL") or defaults.warehouse_url
        try:
            make_url(url)
        except Exception as exc:  # SQLAlchemy raises ArgumentError; never echo the URL (may hold a password)
            raise SettingsError("EA_WAREHOUSE_URL is not a valid SQLAlchemy URL") from exc
        executor = (env.get("EA_EXECUTOR") or defaults.executor).strip().lower()
        if executor not in EXECUTORS:
            raise SettingsError(f"EA_EXECUTOR={executor!r}: choose one of {', '.join(EXECUTORS)}")
        if executor != "in_process" and make_url(url).get_backend_name() != "postgresql":
            raise SettingsError(f"EA_EXECUTOR={executor} runs steps in separate processes or machines, which "
                                "cannot share an embedded DuckDB file: set EA_WAREHOUSE_URL to PostgreSQL")
        if (env.get("EA_TODAY") or "").strip():  # read by clock.today() wherever a date is judged; checked here
            try:
                clock.parse_today(env["EA_TODAY"])
            except ValueError as exc:
                raise SettingsError(str(exc)) from exc
        return cls(
            warehouse_url=url,
            source_mode=mode,
            cbs_v4_url=(env.get("EA_CBS_V4_URL") or defaults.cbs_v4_url).rstrip("/"),
            cbs_v3_url=(env.get("EA_CBS_V3_URL") or defaults.cbs_v3_url).rstrip("/"),
            catalogue_path=Path(env.get("EA_CBS_CATALOGUE") or defaults.catalogue_path),
            snapshot_dir=Path(env.get("EA_SNAPSHOT_DIR") or defaults.snapshot_dir),
            landing_dir=Path(env.get("EA_LANDING_DIR") or defaults.landing_dir),
            http_timeout=_float(env, "EA_HTTP_TIMEOUT", defaults.http_timeout),
            http_deadline=_float(env, "EA_HTTP_DEADLINE", defaults.http_deadline),
            http_max_response_bytes=int(
                _float(env, "EA_HTTP_MAX_RESPONSE_MB", defaults.http_max_response_bytes / 2**20) * 2**20),
            cbs_max_pages=int(_float(env, "EA_CBS_MAX_PAGES", defaults.cbs_max_pages)),
            http_table_deadline=_float(env, "EA_HTTP_TABLE_DEADLINE", defaults.http_table_deadline),
            http_max_codes=int(_float(env, "EA_HTTP_MAX_CODES", defaults.http_max_codes)),
            http_max_attempts=int(attempts_raw),
            http_backoff_cap=_float(env, "EA_HTTP_BACKOFF_CAP", defaults.http_backoff_cap),
            retry_after_cap=_float(env, "EA_HTTP_RETRY_AFTER_CAP", defaults.retry_after_cap),
            delivery_catalogue_path=Path(env.get("EA_DELIVERY_CATALOGUE") or defaults.delivery_catalogue_path),
            inbox_dir=Path(env.get("EA_INBOX_DIR") or defaults.inbox_dir),
            archive_dir=Path(env.get("EA_ARCHIVE_DIR") or defaults.archive_dir),
            quarantine_dir=Path(env.get("EA_QUARANTINE_DIR") or defaults.quarantine_dir),
            delivery_max_bytes=int(_float(env, "EA_DELIVERY_MAX_MB", defaults.delivery_max_bytes / 2**20) * 2**20),
            delivery_max_unzipped_bytes=int(
                _float(env, "EA_DELIVERY_MAX_UNZIPPED_MB", defaults.delivery_max_unzipped_bytes / 2**20) * 2**20),
            inbox_settle_seconds=_float(env, "EA_INBOX_SETTLE_SECONDS", defaults.inbox_settle_seconds),
            data_docs_dir=Path(env.get("EA_DATA_DOCS_DIR") or defaults.data_docs_dir),
            sql_dir=Path(env.get("EA_SQL_DIR") or defaults.sql_dir),
            duckdb_readonly_copy=env.get("EA_DUCKDB_READONLY_COPY", "").strip(),
            executor=executor,
            report_dir=Path(env.get("EA_REPORT_DIR") or defaults.report_dir),
            log_dir=Path(env.get("EA_LOG_DIR") or defaults.log_dir),
            files_port=_port(env, "EA_FILES_PORT", defaults.files_port),
            files_url=(env.get("EA_FILES_URL") or "").strip().rstrip("/"),
            cbs_full_fetch=_bool(env, "EA_CBS_FULL_FETCH", defaults.cbs_full_fetch),
            full_refresh=_bool(env, "EA_FULL_REFRESH", defaults.full_refresh),
            gx_max_rows=int(_float(env, "EA_GX_MAX_ROWS", defaults.gx_max_rows)),
            duckdb_memory_limit=env.get("EA_DUCKDB_MEMORY_LIMIT") or defaults.duckdb_memory_limit,
            pg_lock_timeout=_float(env, "EA_PG_LOCK_TIMEOUT", defaults.pg_lock_timeout),
            pg_statement_timeout=_float(env, "EA_PG_STATEMENT_TIMEOUT", defaults.pg_statement_timeout),
            swing_ods_url=(env.get("EA_SWING_ODS_URL") or defaults.swing_ods_url).strip().rstrip("/"),
            swing_api_key=(env.get("EA_SWING_API_KEY") or "").strip(),
            swing_catalogue_path=Path(env.get("EA_SWING_CATALOGUE") or defaults.swing_catalogue_path),
            swing_snapshot_dir=Path(env.get("EA_SWING_SNAPSHOT_DIR") or defaults.swing_snapshot_dir),
            indicator_catalogue_path=Path(env.get("EA_INDICATOR_CATALOGUE") or defaults.indicator_catalogue_path),
        )


def files_base_url(settings: Settings) -> str:
    """Where the reports and Data Docs are served (``EA_FILES_URL``, else the ``make dev`` file server)."""
    return settings.files_url or f"http://127.0.0.1:{settings.files_port}"
