"""Data Docs that are safe to open: values neutralised before Great Expectations renders them, pages that work
offline, and a Content-Security-Policy in every page.

GX writes the values it shows (unexpected values, samples) into its HTML as they are, and loads jQuery,
Bootstrap and friends from five external CDNs. So:

- :func:`neutralise` replaces the characters that make markup (``< > " ' &``) in the text values GX is given by
  look-alike full-width characters (``＜ ＞ ＂ ＇ ＆``). Checks are unaffected: codes, periods and allowed values
  never contain them, and nulls, types and lengths stay as they were. A value such as
  ``<img src=x onerror=…>`` is shown as ``＜img src=x onerror=…＞``: readable, inert.
- :func:`make_offline` rewrites every page GX wrote: the CDN scripts and styles point at copies vendored in
  ``datadocs_static/`` (same versions; see its ``SOURCES.md``), what has no copy (Vega charts, web fonts, the
  GX logo, the dark theme) is dropped, and a ``<meta http-equiv="Content-Security-Policy">`` allows scripts
  only from the docs folder itself and GX's own inline scripts by hash: no remote script, no injected inline
  script or event handler runs, and the browser makes no request outside the folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from pathlib import Path

import pandas as pd

STATIC = Path(__file__).with_name("datadocs_static")
STATIC_DIR = "ea-static"  # inside the Data Docs folder
MARKER = '<meta name="ea-pipelines" content="offline">'

_MARKUP = str.maketrans({"<": "\uff1c", ">": "\uff1e", '"': "\uff02", "'": "\uff07", "&": "\uff06"})
_MARKUP_RE = r"[<>\"'&]"

#: CDN address (without query) -> vendored file; other remote scripts, styles and images are dropped
VENDORED = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper-1.12.9.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-filter-control-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-filter-control-1.19.1.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0.min.css",
}

_REMOTE_TAG = re.compile(r"<(script|link|img)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>(?:\s*</script>)?",
                         re.I | re.S)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with markup characters in its text values replaced by look-alikes (see the module doc)."""
    out = frame
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
            continue
        text = values.map(lambda v: v if isinstance(v, str) else "")
        hit = text.str.contains(_MARKUP_RE, regex=True)
        if hit.any():
            if out is frame:
                out = frame.copy()
            out.loc[hit, col] = text[hit].map(lambda v: v.translate(_MARKUP))
    return out


def _local(tag: re.Match[str], static: str) -> str:
    kind, url = tag.group(1).lower(), tag.group(2).split("?")[0]
    name = VENDORED.get(url)
    if name is None or kind == "img":
        return ""
    return (f'<script src="{static}/{name}"></script>' if kind == "script"
            else f'<link rel="stylesheet" href="{static}/{name}">')


def _policy(html: str) -> str:
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in _INLINE_SCRIPT.findall(html))
    return ("default-src 'none'; " f"script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'")


def offline_page(html: str, static: str) -> str:
    """One GX page, rewritten: local copies for the CDN assets, nothing else remote, the policy in its head."""
    html = _REMOTE_TAG.sub(lambda m: _local(m, static), html)
    head = (f'{MARKER}<meta http-equiv="Content-Security-Policy" content="{_policy(html)}">'
            f'<link rel="stylesheet" href="{static}/ea-offline.css">')
    return html.replace("<head>", "<head>" + head, 1)


def make_offline(docs_dir: Path) -> int:
    """Rewrite every page of the Data Docs site not rewritten yet; returns how many were rewritten."""
    target = docs_dir / STATIC_DIR
    target.mkdir(parents=True, exist_ok=True)
    for src in STATIC.iterdir():
        if src.suffix in (".js", ".css") and not (target / src.name).exists():
            shutil.copyfile(src, target / src.name)
    done = 0
    for page in docs_dir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if MARKER in html[:4096]:
            continue
        static = os.path.relpath(target, page.parent).replace(os.sep, "/")
        page.write_text(offline_page(html, static), encoding="utf-8")
        done += 1
    return done
