"""Errors of the CBS client. Each names the table and says what to do about it."""

from __future__ import annotations

from ea_pipelines.masking import mask


class CbsError(Exception):
    """Base class: anything that went wrong talking to CBS or reading a snapshot of it. Its message never
    carries a password from a configured URL (``http://user:***@host``)."""

    #: whether trying the same request again later may succeed
    transient: bool = False

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(mask(message), *args)


class CbsHostUnreachable(CbsError):
    """The host could not be reached at all (name resolution failed, connection refused)."""

    transient = True


class CbsTransientError(CbsError):
    """A failure worth retrying (reset, timeout, 429, 5xx, truncated body) that persisted."""

    transient = True


class CbsHttpError(CbsError):
    """An HTTP status that retrying will not fix (4xx other than 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CbsAccessDenied(CbsHttpError):
    """HTTP 401 or 403: the request needs a key (or another key). The message names the setting that holds it."""


class CbsNotJsonError(CbsError):
    """A body that is not JSON (an HTML error page, a wrong content type)."""


class CbsBadResponse(CbsError):
    """A response that is JSON but not what the API documents: a missing field, a value that is no number,
    a page link that leads nowhere."""


class CbsNotANumber(CbsBadResponse):
    """An observation value that is not a finite number by the number rule (``ea_pipelines.numbers``): NaN, an
    infinity, an overflowing exponent, a boolean or a text such as ``1_0`` or ``inf``. The message names the table,
    the measure, region and period of the first such value, and how many the page holds."""


class CbsTableNotFound(CbsError):
    """The table does not exist under this id."""


class CbsTableIdCaseError(CbsTableNotFound):
    """The table exists, but its id is spelled in another case (CBS ids are case-sensitive)."""


class CbsTableDiscontinued(CbsError):
    """CBS has stopped the table (status Gediscontinueerd / Vervallen / Stopgezet)."""


class CbsMeasureMissing(CbsError):
    """A measure the catalogue expects is not in the table (editions rename `_3` to `_5` and so on)."""


class CbsIncompleteLoad(CbsError):
    """The rows received differ from the row count the API announced."""

    transient = True


class SnapshotMissing(CbsError):
    """Replay asked for a response that the snapshot does not hold."""
