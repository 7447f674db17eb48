"""Where a figure comes from: one provenance class per value, from the load to the report.

Classes, weakest first (the order is the point: a value computed from several parts, such as a ratio or a
participation rate, takes the weakest class of its parts):

``illustrative``
    The project's own example delivery files (``ea_pipelines/deliveries/examples/``): invented values.
    Recognised by content, never by file name: a delivered file whose SHA-256 equals that of a bundled
    example file is illustrative, whatever it is called; a file with any other bytes is a partner's.
``synthetic``
    A synthetic CBS snapshot (its ``manifest.json`` says ``"synthetic": true``): invented values in the
    exact format of CBS. Weaker than real data of any kind; stronger than ``illustrative`` only so that
    the order is total (both are invented).
``cbs_capture``
    Real CBS responses replayed from a capture (the bundled 03759ned snapshot, or a landed live batch),
    in replay mode or as the fallback when CBS cannot be reached. Real, but possibly not the latest.
``swing_capture``
    Real responses of a Swing Open Data Service (Kennispunt Twente's "Twente in cijfers") replayed from a
    landed live batch, or as the fallback when the service cannot be reached. Ranks with ``cbs_capture``.
``partner``
    A real delivery from a partner (Kennispunt Twente, UWV, ...).
``cbs_live``
    Fetched live from CBS in this or an earlier run.
``swing_live``
    Fetched live from a Swing Open Data Service (the statistics office's own publication, as ``cbs_live``
    is CBS's): ranks with ``cbs_live``.

Classes of equal rank are equally strong: a value computed from a ``cbs_live`` and a ``swing_live`` part is
as strong as either (``weakest`` returns the first of the tied classes in ``CLASSES`` order). A synthetic
Swing snapshot is ``synthetic``, like a synthetic CBS snapshot.

``illustrative`` and ``synthetic`` are *invented*: the report marks them and never judges a target on them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

#: Provenance classes, weakest first (classes of equal rank side by side; see RANK).
CLASSES = ("illustrative", "synthetic", "cbs_capture", "swing_capture", "partner", "cbs_live", "swing_live")
#: Strength of each class: higher is stronger; equal ranks are equally strong.
RANK = {"illustrative": 0, "synthetic": 1, "cbs_capture": 2, "swing_capture": 2, "partner": 3, "cbs_live": 4,
        "swing_live": 4}
#: The classes of each fetched source: (live, replayed real capture).
SOURCE_CLASSES = {"cbs": ("cbs_live", "cbs_capture"), "swing": ("swing_live", "swing_capture")}
#: Classes whose values are invented, not measured.
INVENTED = frozenset({"illustrative", "synthetic"})
#: How the report names each class (Dutch).
LABEL = {"illustrative": "illustratief voorbeeld", "synthetic": "synthetisch", "cbs_capture": "CBS (opgeslagen)",
         "swing_capture": "Kennispunt Twente open data (opgeslagen)", "partner": "partnerlevering", "cbs_live": "CBS",
         "swing_live": "Kennispunt Twente open data"}
#: Where the bundled example deliveries live.
EXAMPLES_DIR = Path(__file__).resolve().parent / "deliveries" / "examples"


class ProvenanceError(ValueError):
    """An unknown provenance class."""


def weakest(*classes: str | None) -> str | None:
    """The weakest of ``classes`` (None ignored); None when none is given."""
    known = [c for c in classes if c is not None]
    for c in known:
        if c not in CLASSES:
            raise ProvenanceError(f"unknown provenance class {c!r} (known: {', '.join(CLASSES)})")
    return min(known, key=lambda c: (RANK[c], CLASSES.index(c))) if known else None


def is_invented(provenance: str | None) -> bool:
    return provenance in INVENTED


def source_provenance(source: str, mode: str, synthetic: bool) -> str:
    """The class of a load of a fetched ``source`` (cbs, swing): its source mode (live, replay, fallback) and
    whether its snapshot is synthetic."""
    if synthetic:
        return "synthetic"
    live, capture = SOURCE_CLASSES[source]
    return live if mode == "live" else capture


def cbs_provenance(mode: str, synthetic: bool) -> str:
    """The class of a CBS load (see :func:`source_provenance`)."""
    return source_provenance("cbs", mode, synthetic)


@lru_cache(maxsize=4)
def example_hashes(examples_dir: Path = EXAMPLES_DIR) -> frozenset[str]:
    """SHA-256 of every bundled example delivery file."""
    return frozenset(hashlib.sha256(p.read_bytes()).hexdigest()
                     for p in sorted(examples_dir.rglob("*")) if p.is_file())


def delivery_provenance(sha256: str, examples_dir: Path = EXAMPLES_DIR) -> str:
    """``illustrative`` for the exact bytes of a bundled example file, else ``partner``."""
    return "illustrative" if sha256 in example_hashes(examples_dir) else "partner"


def weakest_sql(*expressions: str) -> str:
    """A SQL expression (DuckDB and PostgreSQL) for the weakest class of the given SQL expressions.

    NULL when any part is NULL or not a known class, so that a value of unknown origin fails the models'
    ``not_null`` test instead of passing as real.
    """
    if not expressions:
        raise ProvenanceError("weakest() needs at least one expression")
    parts = ", ".join(expressions)
    whens = " ".join(f"when '{c}' in ({parts}) then '{c}'" for c in CLASSES)
    known = ", ".join(f"'{c}'" for c in CLASSES)
    unknown = " or ".join(f"({e}) is null or ({e}) not in ({known})" for e in expressions)
    return f"(case when {unknown} then null {whens} end)"
