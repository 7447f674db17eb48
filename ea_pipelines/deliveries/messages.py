"""The rejection letter a partner reads beside a refused file (Dutch, no jargon)."""

from __future__ import annotations

from datetime import datetime

from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.deliveries.problems import Problem


def rejection_text(dtype: DeliveryType, file_name: str, problems: list[Problem], received: datetime) -> str:
    lines = [
        f"Bestand: {file_name}",
        f"Soort levering: {dtype.title} ({dtype.name})",
        f"Ontvangen: {received:%d-%m-%Y %H:%M}",
        "",
        "Dit bestand is NIET verwerkt. Er is niets uit overgenomen.",
        "",
        "Wat er mis is:" if len(problems) == 1 else f"Wat er mis is ({len(problems)} punten):",
    ]
    lines += [f"- {p}" for p in problems]
    lines += [
        "",
        "Wat u kunt doen:",
        "Pas het bestand aan en lever het opnieuw aan in dezelfde map. Rijnummers zijn de rijnummers",
        "zoals u ze in Excel ziet. Gebruik bij twijfel het sjabloon voor deze levering; daarin staat per",
        "kolom wat er verwacht wordt.",
    ]
    return "\n".join(lines) + "\n"
