"""Every catalogue a process reads, loaded from the files its Settings name.

``EA_CBS_CATALOGUE``, ``EA_SWING_CATALOGUE``, ``EA_DELIVERY_CATALOGUE`` and ``EA_INDICATOR_CATALOGUE`` each name a
file (default: the bundled one). The Dagster definitions, the seed tables and their versions, the data
dictionary and the CLI summary get their catalogues from :func:`load_catalogues`; a resource in a step process
and the templates command load the one file its setting names. None opens a bundled path, so a setting reaches
all of them (ea_pipelines_tests/catalogue/test_catalogues.py). The catalogues are checked against each other
here: a Swing variable names a known indicator, and no variable code equals a CBS table id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ea_pipelines.catalogue.cbs import CbsCatalogue, Programme, load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, load_delivery_catalogue
from ea_pipelines.catalogue.indicators import IndicatorCatalogue, load_indicator_catalogue
from ea_pipelines.catalogue.swing import SwingCatalogue, load_swing_catalogue
from ea_pipelines.settings import Settings


@dataclass(frozen=True)
class Catalogues:
    cbs: CbsCatalogue
    swing: SwingCatalogue
    deliveries: DeliveryCatalogue
    indicators: IndicatorCatalogue

    @property
    def programme(self) -> Programme:
        return self.cbs.programme

    def files(self) -> dict[str, Path]:
        """Each catalogue setting with the file it names."""
        return {"EA_CBS_CATALOGUE": self.cbs.path, "EA_SWING_CATALOGUE": self.swing.path,
                "EA_DELIVERY_CATALOGUE": self.deliveries.path, "EA_INDICATOR_CATALOGUE": self.indicators.path}

    def summary(self) -> str:
        """One line: the entries of each catalogue, and the file of each that is not the bundled one."""
        bundled = Settings()
        defaults = {"EA_CBS_CATALOGUE": bundled.catalogue_path, "EA_SWING_CATALOGUE": bundled.swing_catalogue_path,
                    "EA_DELIVERY_CATALOGUE": bundled.delivery_catalogue_path,
                    "EA_INDICATOR_CATALOGUE": bundled.indicator_catalogue_path}
        counts = {"EA_CBS_CATALOGUE": f"{len(self.cbs.tables)} CBS tables",
                  "EA_SWING_CATALOGUE": f"{len(self.swing.variables)} Swing variables",
                  "EA_DELIVERY_CATALOGUE": f"{len(self.deliveries.types)} delivery types",
                  "EA_INDICATOR_CATALOGUE": f"{len(self.indicators.indicators)} indicators"}
        items = [counts[s] + ("" if Path(p).resolve() == defaults[s].resolve() else f" ({s}={p})")
                 for s, p in self.files().items()]
        return "Catalogues: " + ", ".join(items)


def load_catalogues(settings: Settings) -> Catalogues:
    """The four catalogues the settings name, checked against each other; errors name the file and entry."""
    cbs = load_cbs_catalogue(settings.catalogue_path)
    indicators = load_indicator_catalogue(settings.indicator_catalogue_path)
    swing = load_swing_catalogue(settings.swing_catalogue_path, indicators=indicators.codes,
                                 cbs_table_ids={t.table_id for t in cbs.tables})
    return Catalogues(cbs=cbs, swing=swing, deliveries=load_delivery_catalogue(settings.delivery_catalogue_path),
                      indicators=indicators)
