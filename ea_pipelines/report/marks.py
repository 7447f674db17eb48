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
#: After the caption of a chart with invented figures.
CHART_NOTE = "De grafiek toont voorbeeldcijfers, geen echte cijfers."
#: In Afwijkingen, before the kernindicatoren that are not judged.
NOT_JUDGED_NOTE = ("Niet beoordeeld, omdat de cijfers voorbeeldcijfers zijn (geen streefwaarde en geen richting "
                   "beoordeeld)")
#: Short source text per invented class (summary table, marks).
SHORT = {"synthetic": "synthetisch", "illustrative": "illustratief voorbeeld"}
#: What each invented class means, for the source line of an indicator.
EXPLAIN = {"synthetic": "synthetisch: verzonnen cijfers in het formaat van het CBS, geen cijfers van het CBS",
           "illustrative": "illustratief voorbeeld: voorbeeldlevering van het project, geen gegevens van een partner"}


def mark(provenance: str | None) -> str:
    """"voorbeeldcijfer (synthetisch)" for an invented class, "" for a real one."""
    return f"{MARK} ({SHORT[provenance]})" if provenance in INVENTED else ""


def flagged(text: str, provenance: str | None) -> str:
    """``text`` followed by its mark in brackets when ``provenance`` is invented: "37,3 [voorbeeldcijfer
    (synthetisch)]"; ``text`` unchanged for a real class."""
    return f"{text} [{mark(provenance)}]" if provenance in INVENTED else text


def short(provenance: str | None) -> str:
    """"synthetisch" or "illustratief voorbeeld" for an invented class, "" for a real one."""
    return SHORT.get(provenance or "", "")


def source_note(provenance: str | None) -> str:
    """The explanation appended to a source, "" for a real class."""
    return EXPLAIN[provenance] if provenance in INVENTED else ""


def banner(content: ReportContent) -> str | None:
    """The warning on page one, or None when every figure in the report is real."""
    marked = [s for s in content.sections if s.invented]
    programme = _programme_sentence(content.invented_efforts, content.invented_contributions)
    if not marked:
        return f"Let op: dit rapport bevat voorbeeldcijfers, geen echte cijfers. {programme}" if programme else None
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
            f"'{MARK}'; of een streefwaarde is behaald, wordt op grond van voorbeeldcijfers niet beoordeeld."
            + (f" {programme}" if programme else ""))


def _programme_sentence(efforts: int, contributions: int) -> str:
    """How many efforts and contributions come from an example delivery (invented), "" for none."""
    parts = ([f"{efforts} {'resultaat' if efforts == 1 else 'resultaten'} van onze inzet"] if efforts else []) + (
        [f"{contributions} kwalitatieve {'bijdrage' if contributions == 1 else 'bijdragen'}"] if contributions else [])
    if not parts:
        return ""
    return (f"Ook {' en '.join(parts)} {'komt' if efforts + contributions == 1 else 'komen'} uit een "
            f"voorbeeldlevering van het project (verzonnen) en {'is' if efforts + contributions == 1 else 'zijn'} "
            f"gemarkeerd met '{MARK}'.")


def watermark(fig: Figure) -> None:
    """Large light diagonal text across the plot area: its figures are invented. It stays inside the axes, so
    clear of the legend beside them (and of the axis labels): the size shrinks until it fits."""
    if not fig.axes:
        fig.text(0.5, 0.5, WATERMARK, fontsize=30, color="#b00020", alpha=0.16, rotation=15, ha="center",
                 va="center", fontweight="bold", zorder=10)
        return
    ax = fig.axes[0]
    text = ax.text(0.5, 0.5, WATERMARK, transform=ax.transAxes, fontsize=34, color="#b00020", alpha=0.16,
                   rotation=12, ha="center", va="center", fontweight="bold", zorder=10)
    text.set_in_layout(False)
    fig.draw_without_rendering()
    while text.get_fontsize() > 8 and not _inside(text.get_window_extent(), ax.get_window_extent(), 0.96):
        text.set_fontsize(text.get_fontsize() - 2)


def _inside(inner, outer, share: float) -> bool:  # noqa: ANN001 (matplotlib Bbox)
    """Whether ``inner`` lies within the middle ``share`` of ``outer``."""
    dx, dy = outer.width * (1 - share) / 2, outer.height * (1 - share) / 2
    return (inner.x0 >= outer.x0 + dx and inner.x1 <= outer.x1 - dx and inner.y0 >= outer.y0 + dy
            and inner.y1 <= outer.y1 - dy)
