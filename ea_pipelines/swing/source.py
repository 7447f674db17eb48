"""Where Swing ODS data comes from: the live service, its bundled snapshot, or live with a fallback.

A :class:`SwingSource` is the CBS source (:class:`ea_pipelines.cbs.source.CbsSource`) configured for a Swing
Open Data Service: the same modes (live, replay, auto), HTTP client (timeouts, retries, deadline, size bound),
landing of every response under its hash (``<EA_LANDING_DIR>/swing/``), replay manifests, snapshot policy, checks
and publish. It differs only in its reader (:class:`~ea_pipelines.swing.reader.SwingReader`), its root URL, the
``apikey`` header, and when ``auto`` falls back: also when the site's Open Data Service is switched off.

The URL chooses the ODS version: a root ending in ``/ods/odata`` is ODS 2.0, which wants the API key on every
request (without ``EA_SWING_API_KEY`` a live fetch is refused before any request); any other root (normally
``/jiveservices/odata``) is ODS v1, where the key is optional. Both serve the same entity sets, read alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.catalogue.swing import SwingCatalogue
from ea_pipelines.cbs.errors import CbsError, CbsTableNotFound
from ea_pipelines.cbs.http import HttpClient, RetryPolicy
from ea_pipelines.cbs.source import CbsSource, TableFetch
from ea_pipelines.cbs.transport import Transport
from ea_pipelines.swing.errors import SwingKeyMissing
from ea_pipelines.swing.reader import SwingReader

#: Twente in cijfers' Open Data Service (EA_SWING_ODS_URL)
DEFAULT_ODS_URL = "https://twente.incijfers.nl/jiveservices/odata"
API_KEY_SETTING = "EA_SWING_API_KEY"
#: the root path of ODS 2.0 (ODS v1: ``/jiveservices/odata``, announced to run until 31-12-2026)
ODS_V2_PATH = "/ods/odata"


def ods_version(ods_url: str) -> str:
    """``"2.0"`` for a root ending in ``/ods/odata`` (any case), else ``"1"``."""
    return "2.0" if urlsplit(ods_url).path.rstrip("/").lower().endswith(ODS_V2_PATH) else "1"


@dataclass
class SwingSource(CbsSource):
    name = "swing"
    label = "the Swing Open Data Service"
    publisher = "Kennispunt Twente"

    ods_url: str = DEFAULT_ODS_URL
    #: sent as the ``apikey`` header; never logged, never in a manifest, never in the UI
    api_key: str = field(default="", repr=False)
    catalogue: SwingCatalogue | None = None

    @classmethod
    def create(cls, mode: str, ods_url: str, snapshot_dir: Path, landing_dir: Path, catalogue: SwingCatalogue, *,
               api_key: str = "", policy: RetryPolicy | None = None) -> SwingSource:
        return cls(mode=mode, v4_url="", v3_url="", snapshot_dir=snapshot_dir, landing_dir=landing_dir,
                   policy=policy or RetryPolicy(), ods_url=ods_url.rstrip("/"), api_key=api_key,
                   catalogue=catalogue)

    @property
    def version(self) -> str:
        return ods_version(self.ods_url)

    def _base(self, spec: CbsTable) -> str:
        return self.ods_url.rstrip("/")

    def _open_live(self, spec: CbsTable, batch_id: str) -> TableFetch:
        if self.version == "2.0" and not self.api_key:
            raise SwingKeyMissing(
                f"{spec.table_id}: {self.ods_url} is an ODS 2.0 root ({ODS_V2_PATH}), which wants an API key on "
                f"every request; set {API_KEY_SETTING} (a key from the site's administrator), or point "
                f"EA_SWING_ODS_URL at the site's ODS v1 root (/jiveservices/odata). No request was made")
        return super()._open_live(spec, batch_id)

    def _reader(self, transport: Transport, spec: CbsTable) -> SwingReader:
        if self.catalogue is None:
            raise CbsError("a SwingSource needs its catalogue")
        return SwingReader(transport, self.catalogue.by_code(spec.table_id))

    def _http(self) -> HttpClient:
        hint = (f"the site refused the API key in {API_KEY_SETTING}: check it, or ask the site's administrator "
                f"for a new one" if self.api_key else
                f"this Open Data Service needs an API key: set {API_KEY_SETTING} (a free key from the site's "
                f"administrator)")
        return HttpClient(self.policy, headers={"apikey": self.api_key} if self.api_key else {}, access_hint=hint)

    def _explain_not_found(self, spec: CbsTable, http: HttpClient, exc: CbsError) -> CbsError:
        # the reader explains a missing variable itself (SwingReader.diagnose); anything else stays as it is
        return CbsTableNotFound(f"{spec.table_id}: {exc}")
