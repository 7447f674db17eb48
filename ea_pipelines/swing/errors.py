"""Errors of the Swing ODS client. They extend the CBS client's errors, so the shared loader and the Dagster
layer treat them alike (``transient`` decides a retry; a host that cannot be reached lets ``auto`` fall back)."""

from __future__ import annotations

from ea_pipelines.cbs.errors import CbsError, CbsHostUnreachable


class SwingServiceOff(CbsHostUnreachable):
    """The site answers, but its Open Data Service does not (switched off by the site's administrator). Like an
    unreachable host, ``auto`` falls back to the bundled snapshot; retrying does not help."""

    transient = False


class SwingVariableNotFound(CbsError):
    """The ODS has no variable under the catalogue's code; the message names the nearest codes it does have."""


class SwingGeoCodeError(CbsError):
    """The GeoItems of the variable's geo level are not (all) CBS municipalities this project can map: the message
    names a few of the codes seen, their count, and the forms that are read (``ea_pipelines.swing.geo``)."""


class SwingKeyMissing(CbsError):
    """An ODS 2.0 root (``/ods/odata``) without an API key: refused before any request."""
