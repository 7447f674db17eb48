"""The report as one self-contained HTML file (styles and SVG charts inline, nothing fetched)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from ea_pipelines.provenance import weakest
from ea_pipelines.report.charts import caption
from ea_pipelines.report.content import PROVISIONAL, UNKNOWN_STATUS, ReportContent
from ea_pipelines.report.formatting import (
    STATUS_LABEL,
    counted,
    data_date_text,
    fmt_date,
    fmt_long_date,
    fmt_number,
    fmt_value,
    image_text,
    source_text,
)
from ea_pipelines.report.marks import CHART_NOTE, MARK, NOT_JUDGED, NOT_JUDGED_NOTE, banner, mark, short, source_note

#: Autoescape is on for every template, whatever its name: ``select_autoescape()`` only escapes names ending in
#: ``.html``, and ``rapport.html.j2`` is not one. Every text in the report (file names, region names, partner
#: text, CBS titles) comes from outside; only the charts' SVG, drawn by matplotlib, is marked ``|safe``.
_env = Environment(loader=PackageLoader("ea_pipelines.report", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def status_counts(content: ReportContent) -> dict[str, int]:
    counts = {"behaald": 0, "niet behaald": 0, "geen data": 0, NOT_JUDGED: 0, "other": 0}
    for s in content.kern:
        counts[s.status if s.status in counts else "other"] += 1
    return counts


def summary_sentence(content: ReportContent) -> str:
    counts = status_counts(content)
    invented = (f"; bij {counts[NOT_JUDGED]} rust de vergelijking met de streefwaarde op voorbeeldcijfers en wordt "
                f"die niet beoordeeld" if counts[NOT_JUDGED] else "")
    return (f"Van de {len(content.kern)} kernindicatoren is de streefwaarde bij {counts['behaald']} behaald en bij "
            f"{counts['niet behaald']} niet behaald{invented}; {counted(counts['geen data'], 'heeft', 'hebben')} "
            f"nog geen cijfers en {counted(counts['other'], 'heeft', 'hebben')} geen streefwaarde of nog geen "
            "eerdere meting om mee te vergelijken.")


def as_of_sentence(content: ReportContent) -> str:
    """Which figures the report shows: as known on its as-of date, only periods that start by the reference date."""
    assert content.moment is not None
    known = (f"de cijfers zoals bekend op {fmt_date(content.as_of)}" if content.as_of is not None
             else "de cijfers zoals bekend bij het maken van deze rapportage")
    return (f"Deze rapportage toont {known}, over perioden die uiterlijk op {fmt_date(content.moment.end)} "
            "beginnen.")


FOOTNOTE = ("* voorlopig cijfer; ? status onbekend (de bron zegt niet of het cijfer definitief is). "
            "Status 'behaald' betekent: de laatste waarde voldoet aan de streefwaarde (bij "
            "'stijgend' of 'dalend': ten opzichte van de vorige meting in dezelfde soort periode).")


def render_html(content: ReportContent, charts: dict[str, str]) -> str:
    """``charts`` maps indicator code to its inline ``<svg>``; indicators without data have none."""
    return _env.get_template("rapport.html.j2").render(
        c=content, charts=charts, summary=summary_sentence(content), as_of=as_of_sentence(content),
        footnote=FOOTNOTE, status_label=STATUS_LABEL, provisional=PROVISIONAL, unknown_status=UNKNOWN_STATUS,
        fmt_date=fmt_date, fmt_value=fmt_value, source_text=source_text,
        fmt_long_date=fmt_long_date, fmt_number=fmt_number, banner=banner(content), mark=mark,
        source_note=source_note, short=short, mark_word=MARK, data_date_text=data_date_text,
        image_text=image_text, caption=caption, chart_note=CHART_NOTE, not_judged_note=NOT_JUDGED_NOTE,
        weakest=weakest)
