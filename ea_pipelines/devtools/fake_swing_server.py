"""A fake Swing Open Data Service on 127.0.0.1 for tests and snapshot building.

It serves the URL layout public sources describe (``/jiveservices/odata/...`` for ODS v1, ``/ods/odata/...`` for
ODS 2.0, which always wants an ``apikey`` header: ``Variables``,
``Variables('<var>')``, ``GeoLevels``, ``GeoLevels('<level>')/GeoItems``, ``PeriodLevels``, ``DataSources``,
``Variables('<var>')/GeoLevels('<level>')/PeriodLevels('<plevel>')/Periods`` and ``.../Periods('<p>'|'all')/Values``),
pages collections with ``@odata.nextLink`` (``$skip``), sends ``'?'`` as the ValueString of a missing value, and
can be a site that wants an ``apikey`` header (401 without it), a site whose Open Data Service is switched off
(an HTML 404 page for every ODS path), and a site without some variable (404 with an OData error body). A
variable may carry a ``LastUpdate`` (as PinC Vlaanderen's do) or not; ``requests`` (inherited) lists every path
asked for, so a test can prove that no ``Values`` were requested.

It is the fake CBS server (:mod:`ea_pipelines.devtools.fake_cbs_server`) with another router: the same faults
(``inject``: status, reset, hold, truncate, html, ...) and ``tamper`` apply.

Values are whatever the test gives; :func:`synthetic_values` makes SYNTHETIC ones (invented, not Kennispunt
figures) for the bundled replay snapshots.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_CATALOGUE

ODS_ROOT = "/jiveservices/odata"
#: the root of each ODS version the fake can be
ODS_ROOTS = {"1": ODS_ROOT, "2.0": "/ods/odata"}


def _peer_group() -> tuple[tuple[str, str], ...]:
    """The programme's peer group municipalities (cbs_tables.yaml), with their CBS names."""
    programme = load_cbs_catalogue(DEFAULT_CATALOGUE).programme
    names = RegionIndex.from_code_list().names
    return tuple((code, names.get(code, code)) for code in programme.peer_municipalities)


#: the regions the fake serves by default: the programme's peer group (Twente), as (ExternalCode, name)
TWENTE = _peer_group()

_ENTITY = re.compile(r"^(\w+)\('((?:[^']|'')*)'\)$")


@dataclass
class FakeVariable:
    """One variable: its code and name, and its ValueString per (region ExternalCode, period)."""

    code: str
    name: str
    values: dict[tuple[str, str], str] = field(default_factory=dict)
    geo_level: str = "gemeente"
    period_level: str = "year"
    #: ``Variables('<code>').LastUpdate``; None: the site has no such field
    last_update: str | None = None

    def entity(self) -> dict[str, Any]:
        return {"ExternalCode": self.code, "Name": self.name, "Description": "",
                **({"LastUpdate": self.last_update} if self.last_update is not None else {})}


class FakeSwingServer(FakeCbsServer):
    """``with FakeSwingServer(variables, regions, periods) as ods:``; ``ods.ods_url`` is the ODS root.

    ``version`` ``"1"`` serves ``/jiveservices/odata``; ``"2.0"`` serves ``/ods/odata`` and needs ``api_key``.
    ``geo_level`` is the level whose GeoItems are ``regions``."""

    def __init__(self, variables: list[FakeVariable], regions: tuple[tuple[str, str], ...] = TWENTE,
                 periods: tuple[str, ...] = ("2021", "2022", "2023"), *, page_size: int = 100,
                 api_key: str | None = None, enabled: bool = True, public_root: str | None = None,
                 version: str = "1", geo_level: str = "gemeente") -> None:
        super().__init__([], page_size=page_size)
        if version == "2.0" and not api_key:
            raise ValueError("an ODS 2.0 always wants an API key: give api_key")
        self.ods_root = ODS_ROOTS[version]
        self.geo_level = geo_level
        #: the root the bodies name (@odata.context, nextLink); default this server's own URL
        self.public_root = public_root
        self.variables = {v.code: v for v in variables}
        self.regions = regions
        self.periods = periods
        self.api_key = api_key
        self.enabled = enabled
        #: the apikey header of every request ("" when absent), to prove what was sent
        self.keys_seen: list[str] = []

    @property
    def ods_url(self) -> str:
        return self.root + self.ods_root

    @property
    def _link_root(self) -> str:
        return self.public_root or self.ods_url

    def respond(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str, bytes]:
        path = unquote(path)
        key = next((v for k, v in headers.items() if k.lower() == "apikey"), "")
        with self._lock:
            self.keys_seen.append(key)
        if not path.startswith(self.ods_root) or not self.enabled:
            return 404, "text/html; charset=utf-8", (b"<html><head><title>Pagina niet gevonden</title></head>"
                                                      b"<body><h1>404</h1>De pagina bestaat niet.</body></html>")
        if self.api_key is not None and key != self.api_key:
            return _error(401, "Unauthorized: a valid apikey header is required")
        rest = [p for p in path[len(self.ods_root):].split("/") if p]
        try:
            return self._route(rest, params)
        except LookupError as exc:
            return _error(404, str(exc))

    # -- routing --------------------------------------------------------------------------------------

    def _route(self, rest: list[str], params: dict[str, str]) -> tuple[int, str, bytes]:
        path = "/".join(rest)
        if not rest:
            return _json({"@odata.context": f"{self._link_root}/$metadata", "value": [
                {"name": n, "kind": "EntitySet", "url": n}
                for n in ("Variables", "GeoLevels", "PeriodLevels", "Periods", "DataSources")]})
        if rest == ["Variables"]:
            return self._page(path, params, [v.entity() for v in self.variables.values()])
        if rest == ["GeoLevels"]:
            return self._page(path, params, [{"ExternalCode": self.geo_level, "Name": "Gemeente"}])
        if rest == ["PeriodLevels"]:
            return self._page(path, params, [{"ExternalCode": "year", "Name": "Jaar"}])
        if rest == ["DataSources"]:
            return self._page(path, params, [{"ExternalCode": "fake", "Name": "Fake Swing ODS (synthetisch)"}])
        if rest == ["Periods"]:
            return self._page(path, params, [{"ExternalCode": p, "Name": p} for p in self.periods])
        first = _ENTITY.match(rest[0])
        if first and first[1] == "GeoLevels" and rest[1:] == ["GeoItems"]:
            if first[2] != self.geo_level:
                raise LookupError(f"no geo level {first[2]!r}")
            return self._page(path, params, [{"ExternalCode": c, "Name": n} for c, n in self.regions])
        if not first or first[1] != "Variables":
            raise LookupError(f"no resource {path!r}")
        var = self.variables.get(first[2])
        if var is None:
            raise LookupError(f"Variable '{first[2]}' not found")
        if len(rest) == 1:
            return _json({"@odata.context": f"{self._link_root}/$metadata#Variables/$entity", **var.entity()})
        geo_m = _ENTITY.match(rest[1]) if len(rest) > 1 else None
        level_m = _ENTITY.match(rest[2]) if len(rest) > 2 else None
        if not (geo_m and geo_m[1] == "GeoLevels" and level_m and level_m[1] == "PeriodLevels"):
            raise LookupError(f"no resource {path!r}")
        geo, plevel = geo_m[2], level_m[2]
        if geo != var.geo_level or plevel.lower() != var.period_level:
            raise LookupError(f"{var.code} has no values at {geo}/{plevel}")
        if rest[3:] == ["Periods"]:
            return self._page(path, params, [{"ExternalCode": p, "Name": p} for p in self.periods])
        period_m = _ENTITY.match(rest[3]) if len(rest) > 3 else None
        if period_m and period_m[1] == "Periods" and rest[4:] == ["Values"]:
            periods = self.periods if period_m[2] == "all" else (period_m[2],)
            rows = [{"ExternalCode": c, "GeoLevel": geo, "PeriodLevel": plevel, "Period": p,
                     "ValueString": var.values.get((c, p), "?")} for p in periods for c, _ in self.regions]
            return self._page(path, params, rows)
        raise LookupError(f"no resource {path!r}")

    def _page(self, path: str, params: dict[str, str], rows: list[dict[str, Any]]) -> tuple[int, str, bytes]:
        skip = int(params.get("$skip", "0") or 0)
        chunk = rows[skip:skip + self.page_size]
        body: dict[str, Any] = {"@odata.context": f"{self._link_root}/$metadata#{path}", "value": chunk}
        if skip + self.page_size < len(rows):
            body["@odata.nextLink"] = f"{self._link_root}/{path}?$skip={skip + self.page_size}"
        return _json(body)


def synthetic_values(code: str, low: float, high: float, regions: tuple[tuple[str, str], ...] = TWENTE,
                     periods: tuple[str, ...] = ("2021", "2022", "2023"), decimals: int = 1,
                     missing_every: int = 9) -> dict[tuple[str, str], str]:
    """SYNTHETIC ValueStrings: deterministic from a hash of (variable, region, period), in [low, high], with
    every ``missing_every``-th cell ``'?'``. Invented: never to be read as Kennispunt figures."""
    out = {}
    for i, (region, _) in enumerate(regions):
        for j, period in enumerate(periods):
            if missing_every and (i * len(periods) + j) % missing_every == missing_every - 1:
                out[(region, period)] = "?"
                continue
            h = int(hashlib.sha256(f"{code}|{region}|{period}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            out[(region, period)] = f"{low + h * (high - low):.{decimals}f}"
    return out


def _json(payload: Any) -> tuple[int, str, bytes]:
    return 200, "application/json; odata.metadata=minimal; charset=utf-8", json.dumps(payload).encode()


def _error(status: int, message: str) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps({"error": {"code": "", "message": message}}).encode()
