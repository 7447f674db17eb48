"""When a bundled snapshot may be published, and what a load that keeps the published version says.

A snapshot (source mode ``replay``, or ``fallback`` when CBS cannot be reached in ``auto``) fills an
empty table: a first run, an offline demo. It never goes backwards. It is refused, and the published
version is kept, when what is published

- was fetched live from CBS (whatever the snapshot holds: a live version is the real one), or
- is real while the snapshot is synthetic (illustrative values never replace CBS figures), or
- carries a newer CBS ``Modified`` than the snapshot.

A published version that came from a snapshot itself may be replaced by a snapshot that is at least as
real and as new (an updated bundled snapshot, say). ``replace_published`` overrides the rule (run
config of the asset), for an operator who means to put a snapshot in place of what is published.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ea_pipelines.cbs.source import TableFetch

#: CBS's v3 ``Modified`` carries no offset: it is Dutch local time
CBS_ZONE = ZoneInfo("Europe/Amsterdam")

#: how messages name each fetched source (TableFetch.source_name)
SOURCE_LABEL = {"cbs": "CBS", "swing": "the Swing Open Data Service"}
#: how messages name each source's modification date (TableProperties.modified)
MODIFIED_LABEL = {"cbs": "CBS Modified", "swing": "Swing LastUpdate"}


def modified_label(source_name: str) -> str:
    return MODIFIED_LABEL.get(source_name, f"{source_name} modified")

#: what a kept load leaves out
NOT_DONE = "observations, quality checks (carried over, fresh judged again), publish"


def parse_modified(value: str | None) -> datetime | None:
    """CBS's ``Modified`` as an aware datetime; None when absent or not ISO 8601."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CBS_ZONE)


def published_synthetic(published: sa.Row) -> bool:
    """Whether the published version came from a synthetic snapshot. Loads logged before the ``synthetic``
    column existed said so in their message ("SYNTHETIC snapshot"); without either it counts as real."""
    if published.synthetic is not None:
        return bool(published.synthetic)
    return "SYNTHETIC snapshot" in (getattr(published, "message", None) or "")


def snapshot_refused(fetch: TableFetch, published: sa.Row | None) -> str | None:
    """Why ``fetch`` (from a snapshot) may not replace the ``published`` version; None when it may.

    ``published`` is :func:`ea_pipelines.warehouse.load_log.last_published`'s row (None: nothing is).
    A live fetch is never refused here.
    """
    if fetch.mode == "live" or published is None:
        return None
    if published.mode not in ("replay", "fallback"):  # live, or unknown: treated as the real thing
        return f"the published version was fetched live from {SOURCE_LABEL.get(fetch.source_name, fetch.source_name)}"
    if fetch.synthetic and not published_synthetic(published):
        return "the snapshot is synthetic and the published version is not"
    ours, theirs = parse_modified(fetch.properties().modified), parse_modified(published.source_modified)
    if ours is not None and theirs is not None and ours < theirs:
        return (f"the snapshot ({modified_label(fetch.source_name)} {fetch.properties().modified}) is older than the "
                f"published version")
    return None


def kept_message(fetch: TableFetch, published: sa.Row, reason: str) -> str:
    """The ``meta.load_log`` message of a load that kept the published version instead of ``fetch``."""
    when = f"{published.finished_at:%Y-%m-%d %H:%M} UTC" if published.finished_at else "at an unknown time"
    modified = modified_label(fetch.source_name)
    version = (f"load {published.load_id}, source mode {published.mode}, {modified} "
               f"{published.source_modified or 'unknown'}, published {when}")
    kind = "synthetic" if fetch.synthetic else "real"
    label = SOURCE_LABEL.get(fetch.source_name, fetch.source_name)
    if fetch.mode == "fallback":
        head = f"{label} unreachable ({fetch.unreachable}): kept the published version ({version})"
        tail = f"The table is stale until {label} can be reached again."
    else:
        head = f"replay: kept the published version ({version})"
        tail = "Run config replace_published: true replaces it anyway."
    return (f"{head}; the bundled snapshot ({kind}, {modified} {fetch.properties().modified or 'unknown'}) "
            f"was not published over it: {reason}. {tail}")
