"""How the report marks invented figures (synthetic CBS snapshots, the project's illustrative example files).

One place for the Dutch words, shared by the HTML and the PDF: the banner on page one that says how many
indicators rest on invented figures, the "voorbeeldcijfer" mark beside each such figure, the source text
("synthetisch", "illustratief voorbeeld"), and the watermark on their charts. A report built from real
data only shows none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ea_pipelines.provenance import INVENTED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ea_pipelines.report.content import ReportContent

MARK = "voorbeeldcijfer"
WATERMARK = "VOORBEELDCIJFERS"
#: The status shown instead of behaald / niet behaald when the judgement rests on an invented figure.
NOT_JUDGED = "niet beoordeeld"
NOT_JUDGED_LABEL = "niet beoordeeld (voorbeeldcijfer)"
#: Short source text per invented class (summary table, marks).
SHORT = {"synthetic": "synthetisch", "illustrative": "illustratief voorbeeld"}
#: What each invented class means, for the source line of an indicator.
EXPLAIN = {"synthetic": "synthetisch: verzonnen cijfers in het formaat van het CBS, geen cijfers van het CBS",
           "illustrative": "illustratief voorbeeld: voorbeeldlevering van het project, geen gegevens van een partner"}


def mark(provenance: str | None) -> str:
    """"voorbeeldcijfer (synthetisch)" for an invented class, "" for a real one."""
    return f"{MARK} ({SHORT[provenance]})" if provenance in INVENTED else ""


def short(provenance: str | None) -> str:
    """"synthetisch" or "illustratief voorbeeld" for an invented class, "" for a real one."""
    return SHORT.get(provenance or "", "")


def source_note(provenance: str | None) -> str:
    """The explanation appended to a source, "" for a real class."""
    return EXPLAIN[provenance] if provenance in INVENTED else ""


def banner(content: ReportContent) -> str | None:
    """The warning on page one, or None when every figure in the report is real."""
    marked = [s for s in content.sections if s.invented]
    if not marked:
        return None
    by_class = {c: sum(s.weakest_provenance == c for s in marked) for c in ("synthetic", "illustrative")}
    parts = []
    if by_class["synthetic"]:
        parts.append(f"{by_class['synthetic']} met synthetische cijfers (verzonnen cijfers in het formaat van het "
                     f"CBS, geen cijfers van het CBS)")
    if by_class["illustrative"]:
        parts.append(f"{by_class['illustrative']} met een illustratief voorbeeld (voorbeeldlevering van het project, "
                     f"geen gegevens van een partner)")
    kern = sum(s.invented for s in content.kern)
    return (f"Let op: dit rapport bevat voorbeeldcijfers, geen echte cijfers. Bij {len(marked)} van de "
            f"{len(content.sections)} indicatoren zijn de getoonde cijfers geheel of gedeeltelijk verzonnen: "
            f"{' en '.join(parts)}. In de samenvatting hieronder gaat het om {kern} van de {len(content.kern)} "
            f"kernindicatoren. Elk voorbeeldcijfer, zijn rij in de samenvatting en zijn grafiek zijn gemarkeerd met "
            f"'{MARK}'; of een streefwaarde is behaald, wordt op grond van voorbeeldcijfers niet beoordeeld.")


def watermark(fig: Figure) -> None:
    """Large light diagonal text across the chart: its figures are invented."""
    fig.text(0.5, 0.5, WATERMARK, fontsize=38, color="#b00020", alpha=0.16, rotation=20, ha="center", va="center",
             fontweight="bold", zorder=10)
