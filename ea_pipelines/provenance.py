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
``partner``
    A real delivery from a partner (Kennispunt Twente, UWV, ...).
``cbs_live``
    Fetched live from CBS in this or an earlier run.

``illustrative`` and ``synthetic`` are *invented*: the report marks them and never judges a target on them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

#: Provenance classes, weakest first.
CLASSES = ("illustrative", "synthetic", "cbs_capture", "partner", "cbs_live")
#: Classes whose values are invented, not measured.
INVENTED = frozenset({"illustrative", "synthetic"})
#: How the report names each class (Dutch).
LABEL = {"illustrative": "illustratief voorbeeld", "synthetic": "synthetisch", "cbs_capture": "CBS (opgeslagen)",
         "partner": "partnerlevering", "cbs_live": "CBS"}
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
    return min(known, key=CLASSES.index) if known else None


def is_invented(provenance: str | None) -> bool:
    return provenance in INVENTED


def cbs_provenance(mode: str, synthetic: bool) -> str:
    """The class of a CBS load: its source mode (live, replay, fallback) and whether its snapshot is synthetic."""
    if synthetic:
        return "synthetic"
    return "cbs_live" if mode == "live" else "cbs_capture"


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
