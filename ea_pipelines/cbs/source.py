"""Source modes: fetch a catalogue table live, from its bundled snapshot, or live with a fallback.

``live``   fetches and fails when fetching fails.
``replay`` reads the snapshot under ``snapshot_dir/<table_id>/`` and touches no network.
``auto``   fetches live; only when the host cannot be reached at all (DNS failure, connection
           refused) it replays that table's snapshot and says so (mode ``fallback``).

Whether a snapshot (``replay`` or ``fallback``) may then be *published* is not decided here but by the
loader (:mod:`ea_pipelines.ingest.snapshot_policy`): a snapshot never replaces a live or otherwise
more real or newer published version; the load keeps what is published instead.

A fetch is opened with :meth:`CbsSource.open`, which reads the table's Properties only: enough to
decide whether anything changed upstream (``Modified``) before the observations are fetched.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs import editions as cbs_editions
from ea_pipelines.cbs.errors import (
    CbsBadResponse,
    CbsError,
    CbsHostUnreachable,
    CbsTableIdCaseError,
    CbsTableNotFound,
)
from ea_pipelines.cbs.fetch import TableData, TablePlan, fetch_table, observation_chunks, plan_table
from ea_pipelines.cbs.http import HttpClient, RetryPolicy
from ea_pipelines.cbs.readers import Reader, TableProperties, V3Reader, V4Reader
from ea_pipelines.cbs.transport import MANIFEST, LiveTransport, ReplayTransport, Transport
from ea_pipelines.masking import Note
from ea_pipelines.provenance import source_provenance

log = logging.getLogger(__name__)


@dataclass
class FetchResult:
    data: TableData
    mode: str  # live, replay or fallback
    synthetic: bool
    note: Note
    manifest: Path
    requests: int = 0
    bytes_received: int = 0

    def __post_init__(self) -> None:
        self.note = Note(self.note)


@dataclass
class TableFetch:
    """One table being fetched through one transport: Properties first, then (if wanted) the rest."""

    spec: CbsTable
    reader: Reader
    mode: str  # live, replay or fallback
    synthetic: bool
    note: Note  # says where the data came from (masked: it may name the configured URL)
    origin: str  # "live", or "snapshot:<sha256 of the manifest>": part of the incremental fingerprint
    unreachable: str = ""  # mode fallback: why the live fetch failed (the host could not be reached)
    manifest: Path | None = None  # the snapshot manifest; for live, written by close()
    http: HttpClient | None = None
    batch_id: str = ""
    source_name: str = "cbs"  # meta.load_log.source, and the provenance classes (ea_pipelines.provenance)
    started: float = field(default_factory=time.monotonic)
    _properties: TableProperties | None = None
    _source: CbsSource | None = None

    def __post_init__(self) -> None:
        self.note = Note(self.note)

    @property
    def transport(self) -> Transport:
        return self.reader.t

    @property
    def captured_at(self) -> datetime.datetime | None:
        """When a replayed snapshot was captured (its manifest's ``captured_at``, UTC); None when live or unknown."""
        raw = getattr(self.transport, "manifest", {}).get("captured_at") if self.mode != "live" else None
        if not raw:
            return None
        when = datetime.datetime.fromisoformat(str(raw))
        return when.astimezone(datetime.UTC).replace(tzinfo=None) if when.tzinfo else when

    @property
    def provenance(self) -> str:
        """Provenance class of the data (ea_pipelines.provenance): cbs_live, cbs_capture or synthetic (or the
        classes of another fetched source, such as swing_live)."""
        return source_provenance(self.source_name, self.mode, self.synthetic)

    def properties(self) -> TableProperties:
        """The table's Properties (v4) or TableInfos (v3): one metadata request, made once."""
        if self._properties is None:
            self._properties = self._explained(self.reader.properties)
        return self._properties

    @property
    def properties_read(self) -> bool:
        return self._properties is not None

    def plan(self) -> TablePlan:
        """Everything before the observations: checks, measures, codes, the filter and the announced count."""
        props = self.properties()
        return self._explained(lambda: plan_table(self.reader, self.spec, props))

    def chunks(self, plan: TablePlan) -> Iterator[pd.DataFrame]:
        """Observations page by page, in staging shape (see :func:`observation_chunks`)."""
        pages = observation_chunks(self.reader, plan)
        while True:
            try:
                chunk = self._explained(lambda: next(pages))
            except StopIteration:
                return
            yield chunk

    def table(self) -> TableData:
        """The whole table in memory (small tables, snapshots, tests)."""
        props = self.properties()
        return self._explained(lambda: fetch_table(self.reader, self.spec, props))

    @property
    def requests(self) -> int:
        """HTTP requests made (0 when replaying a snapshot)."""
        return self.http.requests_made if self.http else 0

    @property
    def bytes_received(self) -> int:
        """Bytes received over HTTP (0 when replaying a snapshot)."""
        return self.http.bytes_received if self.http else 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> Path | None:
        """Write the landing manifest of a live fetch (whatever was consumed); return the manifest path."""
        if isinstance(self.transport, LiveTransport) and self.transport.consumed:
            self.manifest = self.transport.write_manifest(self.batch_id)
        return self.manifest

    def _explained(self, step):
        """Run ``step``, naming what went wrong: a wrong table id, a missing later response, a misshapen one."""
        try:
            return step()
        except CbsTableNotFound as exc:
            if self._properties is not None:  # the table exists: what is missing is a later response
                raise CbsBadResponse(f"{self.spec.table_id}: {exc}, although the table exists: a page link or "
                                     f"entity set the API itself points to is missing; nothing was loaded") from exc
            if self.http is None or self._source is None:
                raise
            raise self._source._explain_not_found(self.spec, self.http, exc) from exc
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            consumed = self.transport.consumed
            # the page being worked on (later pages may have arrived already), else the last response
            last = getattr(self.transport, "page_key", None) or (consumed[-1].key if consumed
                                                                 else "the first request")
            raise CbsBadResponse(
                f"{self.spec.table_id}: the response to {last} is not shaped as CBS documents it "
                f"({type(exc).__name__}: {exc}); nothing was loaded") from exc


@dataclass
class CbsSource:
    """CBS tables, fetched (v4 or v3) or replayed. A subclass serves another OData statistics source through the
    same fetch, checks and publish (:class:`ea_pipelines.swing.source.SwingSource`) by overriding the hooks
    below: ``name``, ``_base``, ``_reader``, ``_http`` and ``_explain_not_found``."""

    #: meta.load_log.source of its loads; also its landing folder and provenance classes
    name = "cbs"
    #: what a note calls the source, and whose figures it publishes
    label = "CBS"
    publisher = "CBS"

    mode: str
    v4_url: str
    v3_url: str
    snapshot_dir: Path
    landing_dir: Path
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def _base(self, spec: CbsTable) -> str:
        root = self.v4_url if spec.api == "v4" else self.v3_url
        return f"{root.rstrip('/')}/{spec.table_id}"

    @staticmethod
    def _reader(transport: Transport, spec: CbsTable) -> Reader:
        return (V4Reader if spec.api == "v4" else V3Reader)(transport, spec.table_id)

    def open(self, spec: CbsTable, batch_id: str) -> TableFetch:
        """Open a fetch of ``spec`` and read its Properties (falling back to the snapshot in ``auto``)."""
        if self.mode == "replay":
            fetch = self._open_replay(spec, "replay", "replayed from the bundled snapshot")
        else:
            fetch = self._open_live(spec, batch_id)
            try:
                fetch.properties()
            except CbsHostUnreachable as exc:
                if self.mode != "auto":
                    raise
                fetch = self._fallback(spec, exc)
        fetch.properties()
        return fetch

    def fetch(self, spec: CbsTable, batch_id: str) -> FetchResult:
        """The whole table in memory, with the mode it came from."""
        fetch = self.open(spec, batch_id)
        try:
            data = fetch.table()
        except CbsHostUnreachable as exc:
            if self.mode != "auto" or fetch.mode != "live":
                raise
            fetch.close()
            fetch = self._fallback(spec, exc)
            data = fetch.table()
        finally:
            fetch.close()
        return FetchResult(data, fetch.mode, fetch.synthetic, fetch.note, fetch.manifest or Path(),
                           fetch.requests, fetch.bytes_received)

    def has_snapshot(self, table_id: str) -> bool:
        return (self.snapshot_dir / table_id / MANIFEST).exists()

    def editions(self, spec: CbsTable) -> cbs_editions.EditionList:
        """The entry's editions, oldest first (see :mod:`ea_pipelines.cbs.editions`).

        ``replay`` reads what the snapshot manifests recorded (no network). ``live`` and ``auto`` read the
        CBS catalogue listing; ``auto`` falls back to the manifests when CBS cannot be reached. When the
        listing answers but cannot be used, the configured chain is used, with a warning.
        """
        if self.mode == "replay":
            return cbs_editions.from_manifests(spec, self.snapshot_dir)
        try:
            return cbs_editions.from_catalogue(spec, HttpClient(self.policy), self.v4_url, self.v3_url)
        except CbsHostUnreachable as exc:
            if self.mode != "auto":
                raise
            # INFO: each edition's own load then says that CBS was unreachable (the asset warns, once)
            log.info("%s: CBS unreachable (%s); editions as the snapshot manifests recorded them",
                        spec.name, exc)
            return cbs_editions.from_manifests(spec, self.snapshot_dir)
        except CbsError as exc:
            log.warning("%s: the CBS catalogue listing could not be read (%s); using the editions the catalogue "
                        "entry names", spec.name, exc)
            return cbs_editions.order(spec, [], f"catalogue entry (CBS catalogue listing failed: {exc})")

    def _fallback(self, spec: CbsTable, exc: CbsHostUnreachable) -> TableFetch:
        note = f"{self.label} unreachable ({exc}); used the bundled snapshot instead"
        # INFO here: the note travels with the fetch, and the asset warns with it (said once, in the run's log)
        log.info("%s: %s unreachable (%s); opened the bundled snapshot", spec.table_id, self.label, exc)
        fetch = self._open_replay(spec, "fallback", note)
        fetch.unreachable = str(exc)
        return fetch

    def _open_replay(self, spec: CbsTable, mode: str, note: str) -> TableFetch:
        transport = ReplayTransport(self.snapshot_dir / spec.table_id / MANIFEST, base_url=self._base(spec))
        if transport.synthetic:
            note += f" (SYNTHETIC snapshot: illustrative values, not {self.publisher} figures)"
        origin = "snapshot:" + hashlib.sha256(transport.manifest_path.read_bytes()).hexdigest()
        return TableFetch(spec, self._reader(transport, spec), mode, transport.synthetic, note, origin,
                          manifest=transport.manifest_path, source_name=self.name)

    def _http(self) -> HttpClient:
        return HttpClient(self.policy)

    def _open_live(self, spec: CbsTable, batch_id: str) -> TableFetch:
        http = self._http()
        transport = LiveTransport(
            base_url=self._base(spec), http=http, landing_dir=self.landing_dir / self.name,
            table_id=spec.table_id, api=spec.api,
            extra_params={"$format": "json"} if spec.api == "v3" else {},
        )
        return TableFetch(spec, self._reader(transport, spec), "live", False,
                          f"fetched live from {self._base(spec)}", "live", http=http, batch_id=batch_id,
                          _source=self, source_name=self.name)

    def _explain_not_found(self, spec: CbsTable, http: HttpClient, exc: CbsError) -> CbsError:
        """Turn "not found" into "wrong case" when the catalogue of that API knows another spelling."""
        if spec.api == "v4":
            url, key = f"{self.v4_url}/Datasets", "Identifier"
        else:
            url, key = self.v3_url.replace("/ODataFeed/odata", "/ODataCatalog") + "/Tables", "Identifier"
        try:
            found = http.get(url, {"$filter": f"tolower({key}) eq '{spec.table_id.lower()}'",
                                   "$select": key, "$format": "json"}).payload.get("value", [])
        except CbsError:
            found = []
        variants = [row[key] for row in found if row.get(key) and row[key] != spec.table_id]
        if variants:
            return CbsTableIdCaseError(
                f"{spec.table_id}: no such table, but CBS has {variants[0]!r}. Table ids are case-sensitive "
                f"and the wrong case returns nothing: fix table_id in the catalogue entry {spec.name!r}")
        return CbsTableNotFound(f"{spec.table_id}: CBS has no table with this id ({exc}); check the id "
                                f"and its case in the catalogue entry {spec.name!r}")

