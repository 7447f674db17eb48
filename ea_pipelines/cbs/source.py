"""Source modes: fetch a catalogue table live, from its bundled snapshot, or live with a fallback.

``live``   fetches and fails when fetching fails.
``replay`` reads the snapshot under ``snapshot_dir/<table_id>/`` and touches no network.
``auto``   fetches live; only when the host cannot be reached at all (DNS failure, connection
           refused) it replays that table's snapshot and says so (mode ``fallback``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.errors import (
    CbsBadResponse,
    CbsError,
    CbsHostUnreachable,
    CbsTableIdCaseError,
    CbsTableNotFound,
)
from ea_pipelines.cbs.fetch import TableData, fetch_table
from ea_pipelines.cbs.http import HttpClient, RetryPolicy
from ea_pipelines.cbs.readers import Reader, V3Reader, V4Reader
from ea_pipelines.cbs.transport import MANIFEST, LiveTransport, ReplayTransport, Transport

log = logging.getLogger(__name__)


@dataclass
class FetchResult:
    data: TableData
    mode: str  # live, replay or fallback
    synthetic: bool
    note: str
    manifest: Path
    requests: int = 0
    bytes_received: int = 0


@dataclass
class CbsSource:
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

    def _fetch(self, transport: Transport, spec: CbsTable) -> TableData:
        """``fetch_table``, with a response of the wrong shape named as such instead of a bare KeyError."""
        try:
            return fetch_table(self._reader(transport, spec), spec)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            last = transport.consumed[-1].key if transport.consumed else "the first request"
            raise CbsBadResponse(
                f"{spec.table_id}: the response to {last} is not shaped as CBS documents it "
                f"({type(exc).__name__}: {exc}); nothing was loaded") from exc

    def fetch(self, spec: CbsTable, batch_id: str) -> FetchResult:
        if self.mode == "replay":
            return self._replay(spec, "replay", "replayed from the bundled snapshot")
        try:
            return self._live(spec, batch_id)
        except CbsHostUnreachable as exc:
            if self.mode != "auto":
                raise
            note = f"CBS unreachable ({exc}); used the bundled snapshot instead"
            log.warning("%s: %s", spec.table_id, note)
            return self._replay(spec, "fallback", note)

    def _replay(self, spec: CbsTable, mode: str, note: str) -> FetchResult:
        transport = ReplayTransport(self.snapshot_dir / spec.table_id / MANIFEST, base_url=self._base(spec))
        data = self._fetch(transport, spec)
        if transport.synthetic:
            note += " (SYNTHETIC snapshot: illustrative values, not CBS figures)"
        return FetchResult(data, mode, transport.synthetic, note, transport.manifest_path)

    def _live(self, spec: CbsTable, batch_id: str) -> FetchResult:
        http = HttpClient(self.policy)
        transport = LiveTransport(
            base_url=self._base(spec), http=http, landing_dir=self.landing_dir / "cbs",
            table_id=spec.table_id, api=spec.api,
            extra_params={"$format": "json"} if spec.api == "v3" else {},
        )
        try:
            data = self._fetch(transport, spec)
        except CbsTableNotFound as exc:
            if _has_properties(transport):  # the table exists: what is missing is a later response
                raise CbsBadResponse(f"{spec.table_id}: {exc}, although the table exists: a page link or entity "
                                     f"set the API itself points to is missing; nothing was loaded") from exc
            raise self._explain_not_found(spec, http, exc) from exc
        finally:
            if transport.consumed:
                manifest = transport.write_manifest(batch_id)
        return FetchResult(data, "live", False, f"fetched live from {self._base(spec)}", manifest,
                           http.requests_made, http.bytes_received)

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


def _has_properties(transport: Transport) -> bool:
    """Whether the table's own description (v4 ``Properties``, v3 ``TableInfos``) arrived, non-empty."""
    for f in transport.consumed:
        if f.key == "Properties" and isinstance(f.payload, dict) and f.payload.get("Identifier"):
            return True
        if f.key == "TableInfos" and isinstance(f.payload, dict) and f.payload.get("value"):
            return True
    return False
