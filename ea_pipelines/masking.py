"""The one masking rule: every text that can carry a URL, a server's body or a configured secret passes
:func:`mask` before it reaches a log record, Dagster metadata, the warehouse, an exception or a manifest.

What is masked:

- the password of every URL in a text (``scheme://user:password@host`` becomes ``scheme://user:***@host``);
- every known secret value, wherever it appears (``***``): the passwords of the configured URLs
  (``EA_WAREHOUSE_URL``, ``EA_CBS_V3_URL``, ``EA_CBS_V4_URL``, ``EA_SWING_ODS_URL``, any other ``EA_*`` or
  ``DAGSTER_*`` URL), every ``EA_*``/``DAGSTER_*`` variable named ``…PASSWORD``, ``…_KEY``, ``…_TOKEN`` or
  ``…_SECRET`` (``EA_SWING_API_KEY``, ``EA_ANALYST_PASSWORD``, ``DAGSTER_PG_PASSWORD``), and any value an HTTP
  client sends as a header. Each also in the forms a server can echo it in: percent-decoded and -encoded, and
  the Basic ``Authorization`` header (base64 of ``user:password``) that a URL with a password makes.

Secrets are *registered* where they enter the process (:meth:`Settings.from_env
<ea_pipelines.settings.Settings.from_env>`, a source or HTTP client built with a key or a URL); they are kept in
this process's memory only. A value shorter than :data:`MIN_SECRET_LENGTH` is masked inside URLs only: as free
text it would mask ordinary words and numbers.

Where it is applied (one function, a few choke points): every log record when it is made
(:func:`install_logging`: the log file, the terminal, and the Dagster event log, which records a run's
``context.log`` messages); :class:`Note`,
the type of every note and origin that goes to metadata and the warehouse (masked when it is made); every
response body at the HTTP client (:func:`mask_bytes`), before it is parsed, landed or quoted in an error; the
message of every ``CbsError``; ``meta.load_log`` messages and landing manifests.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
#: shorter secrets are masked inside URLs only (as free text they would mask ordinary words and numbers)
MIN_SECRET_LENGTH = 6

#: the user-info part of any URL in a text: scheme://user:password@
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*)(?::[^/\s@]*)?@")
#: names of environment variables that hold a secret
_SECRET_NAME = re.compile(r"^(EA|DAGSTER)_\w*(PASSWORD|_KEY|_TOKEN|_SECRET)$")
_SCOPED_NAME = re.compile(r"^(EA|DAGSTER)_\w+$")

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()  # longest first, so that a secret holding another is masked whole
_secret_bytes: tuple[bytes, ...] = ()


def _forms(value: str) -> set[str]:
    """``value`` as it may appear in a text: as given, percent-decoded and percent-encoded."""
    return {value, unquote(value), quote(value, safe="")}


def register_secret(value: str | None) -> None:
    """Mask ``value`` (and its percent-encoded forms) wherever it appears from now on, in this process."""
    if not value:
        return
    add = {f for f in _forms(value) if len(f) >= MIN_SECRET_LENGTH}
    _add(add)


def register_url(url: str | None) -> None:
    """Mask the password of ``url``, and the Basic ``Authorization`` value a client derives from its user-info."""
    if not url or "@" not in url:
        return
    try:
        parts = urlsplit(url.strip())
        user, password = parts.username, parts.password
    except ValueError:
        return
    if not password:
        return
    register_secret(password)
    pair = f"{unquote(user or '')}:{unquote(password)}"
    _add({base64.b64encode(pair.encode("latin-1", errors="replace")).decode(),
          base64.b64encode(pair.encode("utf-8")).decode()})


def register_environment(env: Mapping[str, str] | None = None) -> None:
    """Register the secrets of the environment (``os.environ`` by default): see the module's docstring."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if not value or not _SCOPED_NAME.match(name):
            continue
        if _SECRET_NAME.match(name):
            register_secret(value.strip())
        for match in re.finditer(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@]*@", value):
            register_url(match.group(0))


def _add(values: Iterable[str]) -> None:
    global _secrets, _secret_bytes
    new = {v for v in values if v} - set(_secrets)
    if not new:
        return
    with _lock:
        known = set(_secrets) | new
        _secrets = tuple(sorted(known, key=len, reverse=True))
        _secret_bytes = tuple(s.encode("utf-8") for s in _secrets)


def known_secrets() -> tuple[str, ...]:
    """The registered secret values (for tests)."""
    return _secrets


def mask(text: object) -> str:
    """``text`` (``str()`` of it) with every URL's password and every known secret replaced by ``***``."""
    out = text if isinstance(text, str) else str(text)
    if "@" in out:
        out = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", out)
    for secret in _secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    return str.__str__(out) if isinstance(out, Note) else out


def mask_bytes(body: bytes) -> bytes:
    """A server's body with every known secret replaced by ``***`` (a server that echoes a key or an
    ``Authorization`` header); every other byte as it came."""
    for secret in _secret_bytes:
        if secret in body:
            body = body.replace(secret, MASK.encode())
    return body


class Note(str):
    """A text for metadata, the warehouse or a log (a load's note, an edition list's origin): masked when it is
    made, so whatever it names (a configured URL, a server's words) arrives masked wherever it goes."""

    __slots__ = ()

    def __new__(cls, text: object = "") -> Note:
        return super().__new__(cls, mask(text))

    def __add__(self, other: str) -> Note:
        return Note(str.__add__(self, other))


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its message (arguments merged in), exception text and stack masked."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record: logging reports it when a handler formats it
        return record
    record.msg, record.args = mask(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    return record


class _MaskingFactory:
    """The log record factory that masks every record when it is made (see :func:`install_logging`)."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(self.inner(*args, **kwargs))


def install_logging() -> None:
    """Mask every log record of this process when it is made (idempotent).

    The record factory is the one point every record passes, whoever logs it and whichever handler writes it:
    the project's log file and terminal (``ea-pipelines run``), library logging, and a Dagster run's log
    manager (``context.log``), whose handler that writes the Dagster event log is made inside each run and
    takes no filter from outside. Called by the command line and when the definitions are built (every Dagster
    process that loads the code: webserver, daemon, run and step workers).
    """
    with _lock:
        current = logging.getLogRecordFactory()
        if not isinstance(current, _MaskingFactory):
            logging.setLogRecordFactory(_MaskingFactory(current))
