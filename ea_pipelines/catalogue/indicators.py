"""Reads ``indicators.yaml`` (EA_INDICATOR_CATALOGUE): the programme's goals and indicators.

The seed tables (``ea_pipelines.sqlmodels.seeds``) turn the entries into ``staging.seed_indicator`` and
``staging.seed_indicator_cbs``; this module only reads the file and checks what every reader relies on: a
mapping with ``goals`` and a list ``indicators``, each with a unique ``code`` and a ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ea_pipelines.catalogue.cbs import CatalogueError


@dataclass(frozen=True)
class IndicatorCatalogue:
    path: Path
    goals: dict[str, str]
    indicators: tuple[dict[str, Any], ...]

    @property
    def codes(self) -> set[str]:
        return {str(ind["code"]) for ind in self.indicators}

    def name(self, code: str) -> str:
        for ind in self.indicators:
            if str(ind["code"]) == code:
                return str(ind["name"])
        raise KeyError(f"{self.path}: no indicator {code!r}")


def load_indicator_catalogue(path: Path) -> IndicatorCatalogue:
    """Parse the file; errors name it and the entry."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("goals"), dict) or \
            not isinstance(raw.get("indicators"), list):
        raise CatalogueError(f"{path}: expected a mapping with 'goals' and a list 'indicators'")
    codes: list[str] = []
    for i, ind in enumerate(raw["indicators"]):
        if not isinstance(ind, dict) or not ind.get("code") or not ind.get("name"):
            raise CatalogueError(f"{path}: indicators[{i}]: an indicator needs a code and a name")
        codes.append(str(ind["code"]))
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise CatalogueError(f"{path}: duplicate indicator codes: {', '.join(dupes)}")
    return IndicatorCatalogue(path=Path(path), goals={str(k): str(v) for k, v in raw["goals"].items()},
                              indicators=tuple(raw["indicators"]))
