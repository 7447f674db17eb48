"""Editions of a CBS table: which tables succeed one another, their CBS status, and which is newest.

CBS publishes regional tables once per region classification ("regio (indeling 2023)", "(indeling
2024)", ...), each under its own table id; older editions are then discontinued. A catalogue entry names
its chain (``editions:`` / ``successors:``) and may add a search rule on the CBS catalogue
(``edition_search: {title_prefix: ...}``). :func:`discover` reads the CBS catalogue listing for the entry
(v4 ``Datasets``, v3 ``ODataCatalog/Tables``: one bounded request), or, offline, the editions a snapshot
manifest recorded when it was built.

Order (oldest first): the configured chain as written; an edition found only by the search rule is placed
after the configured editions with a lower numeric table id (CBS numbers new tables upwards: 85969NED,
86111NED, 86276NED). The newest edition is the last one.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ea_pipelines.catalogue.cbs import TABLE_ID, CbsTable
from ea_pipelines.cbs.errors import CbsError
from ea_pipelines.cbs.http import HttpClient
from ea_pipelines.cbs.readers import DISCONTINUED_STATUSES
from ea_pipelines.masking import Note

log = logging.getLogger(__name__)

#: the fields asked of the catalogue listing (v4 Datasets / v3 ODataCatalog/Tables)
V4_FIELDS = ("Identifier", "Title", "Status", "Modified")
V3_FIELDS = ("Identifier", "Title", "OutputStatus", "Frequency", "Modified")


@dataclass(frozen=True)
class Edition:
    """One edition: its table id, title and status as the CBS catalogue lists them ("" when unknown)."""

    table_id: str
    title: str = ""
    status: str = ""
    modified: str | None = None
    configured: bool = True  # named in the catalogue entry (else found by its search rule)

    @property
    def discontinued(self) -> bool:
        return self.status.strip().lower() in DISCONTINUED_STATUSES

    def as_manifest(self) -> dict[str, Any]:
        return {"Identifier": self.table_id, "Title": self.title, "Status": self.status,
                "Modified": self.modified, "configured": self.configured}


@dataclass(frozen=True)
class EditionList:
    """The editions of one catalogue entry, oldest first, and where that knowledge comes from."""

    entry_table_id: str
    editions: tuple[Edition, ...]
    origin: Note  # "catalogue <url>", "snapshot manifest <path>" or "catalogue entry" (masked: the URL may hold
    # a password; staging.cbs_edition.origin stores it)

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", Note(self.origin))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.table_id for e in self.editions)

    @property
    def newest(self) -> Edition:
        return self.editions[-1]

    def successor_of(self, table_id: str) -> str | None:
        ids = self.ids
        i = ids.index(table_id)
        return ids[i + 1] if i + 1 < len(ids) else None

    def rank(self, table_id: str) -> int:
        """1 for the oldest edition, len for the newest."""
        return self.ids.index(table_id) + 1

    def warnings(self) -> list[str]:
        """What a maintainer must hear: a discontinued configured table (and its successor), an unconfigured
        newer edition, a newest edition that is itself discontinued."""
        out = []
        entry = next((e for e in self.editions if e.table_id == self.entry_table_id), None)
        if entry is not None and entry.discontinued:
            out.append(f"{entry.table_id} is {entry.status!r} at CBS; its successor is "
                       f"{self.successor_of(entry.table_id)} and the newest edition is {self.newest.table_id} "
                       f"(each edition is loaded as its own table)")
        found = [e.table_id for e in self.editions if not e.configured]
        if found:
            out.append(f"the CBS catalogue lists edition(s) not named in the catalogue entry: {', '.join(found)} "
                       f"(found by the search rule; add them to editions to fix their order)")
        if self.newest.discontinued:
            out.append(f"the newest known edition {self.newest.table_id} is {self.newest.status!r} at CBS and no "
                       f"successor is known: find it on the CBS open data portal and add it to the entry")
        return out


def _number(table_id: str) -> int:
    digits = re.match(r"\d+", table_id)
    return int(digits.group()) if digits else 0


def order(spec: CbsTable, rows: list[dict[str, Any]], origin: str) -> EditionList:
    """The entry's editions in order, with title and status from catalogue ``rows`` (v3 or v4 field names)."""
    by_id: dict[str, dict[str, Any]] = {}
    for row in rows:
        ident = str(row.get("Identifier") or "").strip()
        if TABLE_ID.match(ident):
            by_id[ident] = row

    def edition(ident: str, configured: bool) -> Edition:
        row = by_id.get(ident, {})
        status = row.get("Status") or row.get("OutputStatus") or (
            "Stopgezet" if row.get("Frequency") == "Stopgezet" else "")
        return Edition(ident, str(row.get("Title") or ""), str(status or ""), row.get("Modified"), configured)

    chain = list(spec.editions or (spec.table_id,))
    editions = [edition(i, True) for i in chain]
    prefix = spec.edition_title_prefix
    found = sorted((i for i, row in by_id.items() if i not in chain and prefix is not None
                    and str(row.get("Title") or "").startswith(prefix)), key=_number)
    for ident in found:
        at = max((k + 1 for k, e in enumerate(editions) if _number(e.table_id) < _number(ident)), default=0)
        editions.insert(at, edition(ident, bool(by_id[ident].get("configured", False))))
    return EditionList(spec.table_id, tuple(editions), origin)


def listing_url(spec: CbsTable, v4_url: str, v3_url: str) -> str:
    """The CBS catalogue listing of the entry's API: v4 ``.../CBS/Datasets``, v3 ``/ODataCatalog/Tables``."""
    if spec.api == "v4":
        return f"{v4_url.rstrip('/')}/Datasets"
    return v3_url.rstrip("/").replace("/ODataFeed/odata", "/ODataCatalog") + "/Tables"


def listing_filter(spec: CbsTable) -> str:
    """``Identifier eq`` each configured edition, or a title that starts with the search rule's prefix."""
    parts = [f"Identifier eq '{i}'" for i in spec.editions or (spec.table_id,)]
    if spec.edition_title_prefix:
        parts.append(f"startswith(Title,'{spec.edition_title_prefix}')")
    return " or ".join(parts)


def from_catalogue(spec: CbsTable, http: HttpClient, v4_url: str, v3_url: str) -> EditionList:
    """One GET of the CBS catalogue listing (bounded by the client's retry policy and size limits)."""
    url = listing_url(spec, v4_url, v3_url)
    fields = V4_FIELDS if spec.api == "v4" else V3_FIELDS
    payload = http.get(url, {"$filter": listing_filter(spec), "$select": ",".join(fields),
                             "$format": "json"}).payload
    rows = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CbsError(f"{url}: the catalogue listing has no list of tables under 'value'")
    if payload.get("@odata.nextLink") or payload.get("odata.nextLink"):
        log.warning("%s: the catalogue listing for %s has more pages; only the first was read", url, spec.name)
    return order(spec, rows, f"catalogue {url}")


def from_manifests(spec: CbsTable, snapshot_dir: Path) -> EditionList:
    """Offline: the editions the snapshot manifests recorded when built (the entry's chain if none did)."""
    rows: list[dict[str, Any]] = []
    origin = "catalogue entry (no snapshot recorded its editions)"
    for ident in spec.editions or (spec.table_id,):
        manifest = snapshot_dir / ident / "manifest.json"
        if not manifest.exists():
            continue
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("editions")
        if isinstance(recorded, list):
            rows.extend(r for r in recorded if isinstance(r, dict))
            origin = f"snapshot manifest {manifest}"
    return order(spec, rows, origin)
