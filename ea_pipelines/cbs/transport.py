"""Where CBS responses come from: the live API (each body kept in the landing folder) or a snapshot.

Both transports answer the same question, "the response to GET <path>?<params> under this table's
base URL", so the readers above them cannot tell live from replay. A snapshot and a landing batch
share one manifest format, which is why any live load can be replayed later.

Manifest (``<dir>/<table_id>/manifest.json``)::

    {"table_id": "03759ned", "api": "v4", "synthetic": false, "captured_at": "...", "note": "...",
     "responses": {"Properties": {"file": "properties.json", "sha256": "..."}, ...}}
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from ea_pipelines.cbs.errors import CbsNotJsonError, SnapshotMissing
from ea_pipelines.cbs.http import HttpClient
from ea_pipelines.cbs.jsonpage import MalformedPage, parse_page
from ea_pipelines.files import write_atomic
from ea_pipelines.masking import mask

MANIFEST = "manifest.json"


def request_key(path: str, params: dict[str, str] | None) -> str:
    """Canonical name of a request relative to the table's base URL: path plus sorted query."""
    params = {k: v for k, v in (params or {}).items() if k != "$format"}
    query = urlencode(sorted(params.items()), safe="$',()") if params else ""
    return f"{path.strip('/')}?{query}" if query else path.strip("/")


def split_link(base_url: str, link: str) -> tuple[str, dict[str, str]]:
    """Turn an absolute ``nextLink`` under ``base_url`` into (path, params)."""
    parts = urlsplit(link)
    base = urlsplit(base_url.rstrip("/") + "/")
    path = parts.path
    if path.startswith(base.path):
        path = path[len(base.path):]
    return path, dict(parse_qsl(parts.query, keep_blank_values=True))


@dataclass
class Fetched:
    """One response as the readers see it."""

    key: str
    payload: Any
    sha256: str
    size: int

    def record(self) -> Fetched:
        """Without the payload: what ``consumed`` keeps, so a long fetch does not hold every page."""
        return Fetched(self.key, None, self.sha256, self.size)


class Transport(Protocol):
    base_url: str
    consumed: list[Fetched]

    def get(self, path: str, params: dict[str, str] | None = None, *, expect: str = "json") -> Fetched: ...


def under(root: Path, *parts: str) -> Path:
    """``root / parts``, refused unless it stays under ``root`` (a ``../`` in an id never writes elsewhere)."""
    target = root.joinpath(*parts)
    if any(p in ("", ".", "..") or "/" in p or "\\" in p for p in parts) or \
            not target.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"refusing a landing path outside {root}: {'/'.join(parts)!r}")
    return target


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LiveTransport:
    """Fetches over HTTP and keeps every body under its content hash in ``landing_dir``."""

    base_url: str
    http: HttpClient
    landing_dir: Path
    table_id: str
    api: str
    extra_params: dict[str, str] = field(default_factory=dict)
    consumed: list[Fetched] = field(default_factory=list)
    page_key: str | None = None  # the observation page being worked on (see readers.follow_pages)

    @property
    def max_pages(self) -> int:
        """The most observation pages one table may have over HTTP (readers.follow_pages)."""
        return self.http.policy.max_pages

    @property
    def max_codes(self) -> int:
        """The most codes one code list may have over HTTP (readers.code_rows)."""
        return self.http.policy.max_codes

    @property
    def max_list_bytes(self) -> int:
        """The most bytes one code list may have over HTTP, all its pages together (readers.code_rows)."""
        return self.http.policy.max_response_bytes

    def get(self, path: str, params: dict[str, str] | None = None, *, expect: str = "json") -> Fetched:
        merged = {**self.extra_params, **(params or {})}
        resp = self.http.get(f"{self.base_url.rstrip('/')}/{path.lstrip('/')}", merged or None, expect=expect)
        digest = sha256(resp.body)
        obj = self.landing_dir / "objects" / digest[:2] / f"{digest}.json"
        if not obj.exists():
            write_atomic(obj, resp.body)
        fetched = Fetched(request_key(path, params), resp.payload, digest, len(resp.body))
        self.consumed.append(fetched.record())
        return fetched

    def write_manifest(self, batch_id: str) -> Path:
        """Record which object answered which request, as a replayable manifest for this batch."""
        target = under(self.landing_dir, "batches", batch_id, self.table_id, MANIFEST)
        responses = {
            f.key: {"file": os.path.relpath(self.landing_dir / "objects" / f.sha256[:2] / f"{f.sha256}.json",
                                            target.parent), "sha256": f.sha256}
            for f in self.consumed
        }
        manifest = {
            "table_id": self.table_id,
            "api": self.api,
            "synthetic": False,
            "captured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": mask(self.base_url),
            "responses": responses,
        }
        write_atomic(target, json.dumps(manifest, indent=1, sort_keys=True).encode())
        return target


@dataclass
class ReplayTransport:
    """Answers requests from a manifest; touches no network."""

    manifest_path: Path
    base_url: str = ""
    consumed: list[Fetched] = field(default_factory=list)
    page_key: str | None = None  # the observation page being worked on (see readers.follow_pages)

    def __post_init__(self) -> None:
        if not self.manifest_path.exists():
            raise SnapshotMissing(f"no snapshot manifest at {self.manifest_path}")
        self.manifest: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        # The responses' nextLinks point under the URL they were captured from, which may not be today's
        # configured one (a landing replayed with other settings, a capture from a test server).
        source = str(self.manifest.get("source") or "")
        if source.startswith(("http://", "https://")):
            self.base_url = source

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    def get(self, path: str, params: dict[str, str] | None = None, *, expect: str = "json") -> Fetched:
        key = request_key(path, params)
        entry = self.manifest["responses"].get(key)
        if entry is None:
            raise SnapshotMissing(
                f"snapshot {self.manifest_path} has no response for {key!r}; the catalogue entry may have "
                f"changed since it was captured: capture it again (EA_SOURCE_MODE=live)"
            )
        body = (self.manifest_path.parent / entry["file"]).read_bytes()
        digest = sha256(body)
        if entry.get("sha256") and entry["sha256"] != digest:
            raise SnapshotMissing(f"{self.manifest_path}: {entry['file']} does not match its recorded sha256")
        if expect == "count":
            payload: Any = int(body.decode().strip())
        else:
            try:
                payload = parse_page(body) if expect == "rows" else orjson.loads(body)
            except (orjson.JSONDecodeError, MalformedPage) as exc:
                raise CbsNotJsonError(f"{self.manifest_path.parent / entry['file']}: not JSON ({exc})") from exc
        fetched = Fetched(key, payload, digest, len(body))
        self.consumed.append(fetched.record())
        return fetched
