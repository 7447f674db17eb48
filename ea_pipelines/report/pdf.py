"""The report as a PDF (A4, summary table on page one), laid out with reportlab's platypus."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ea_pipelines.report.content import PROVISIONAL, IndicatorSection, ReportContent
from ea_pipelines.report.formatting import STATUS_LABEL, fmt_date, fmt_value
from ea_pipelines.report.html import FOOTNOTE, summary_sentence
from ea_pipelines.report.marks import MARK, NOT_JUDGED, banner, mark, short, source_note

STATUS_COLOUR = {"behaald": colors.HexColor("#d9f0dd"), "niet behaald": colors.HexColor("#fbdada"),
                 NOT_JUDGED: colors.HexColor("#fff4e5")}
INVENTED_ROW = colors.HexColor("#fffaf2")
_styles = getSampleStyleSheet()
BANNER = ParagraphStyle("banner", parent=_styles["BodyText"], fontSize=9.5, leading=12, fontName="Helvetica-Bold",
                        textColor=colors.HexColor("#5f0010"))
SMALL = ParagraphStyle("small", parent=_styles["BodyText"], fontSize=8, leading=10)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9.5, leading=12)
H1, H2, H3 = _styles["Title"], _styles["Heading2"], _styles["Heading3"]
GRID = [("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")), ("VALIGN", (0, 0), (-1, -1), "TOP")]


def _p(text: str, style: ParagraphStyle = SMALL) -> Paragraph:
    return Paragraph(escape(text), style)


def _summary(content: ReportContent) -> list:
    rows = [[_p(h) for h in ("Nr", "Doel", "Kernindicator", "Laatste waarde", "Periode", "Streefwaarde", "Status",
                             "Bron en datum")]]
    style = [*GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f3f3"))]
    for i, s in enumerate(content.kern, start=1):
        star = "*" if s.value_status in PROVISIONAL else ""
        source = ((s.source_table or s.source) + (f" ({short(s.weakest_provenance)})" if s.invented else "")
                  + (f", {fmt_date(s.fetched_at)}" if s.fetched_at else ""))
        if s.invented:
            style.append(("BACKGROUND", (0, i), (-1, i), INVENTED_ROW))
        rows.append([_p(str(s.nr)), _p(str(s.goal_nr)), _p(s.name),
                     _value_cell(fmt_value(s.latest_value, s.unit) + star, s.invented),
                     _p(s.latest_period or "–"), _p(s.target_rule or "–"), _p(STATUS_LABEL[s.status]), _p(source)])
        if s.status in STATUS_COLOUR:
            style.append(("BACKGROUND", (6, i), (6, i), STATUS_COLOUR[s.status]))
    # the status column fits "(voorbeeldcijfer)" of "niet beoordeeld (voorbeeldcijfer)" on one line
    table = Table(rows, colWidths=[0.8 * cm, 1.2 * cm, 4.8 * cm, 2.0 * cm, 1.6 * cm, 2.2 * cm, 2.5 * cm, 3.0 * cm],
                  repeatRows=1)
    table.setStyle(TableStyle(style))
    return [
        Paragraph("Kernindicatoren Economie en Arbeidsmarkt", H1),
        _p(f"Gemeente {content.municipality} · rapportage van {fmt_date(content.generated_at)} · "
           "gegevens uit het datawarehouse (schema marts)", BODY),
        Spacer(1, 0.3 * cm),
        *_banner(content),
        _p(summary_sentence(content), BODY),
        Spacer(1, 0.3 * cm), table, Spacer(1, 0.2 * cm),
        _p(FOOTNOTE),
    ]


def _value_cell(text: str, invented: bool) -> Paragraph:
    """A summary value, with the mark "voorbeeldcijfer" on its own line when it rests on invented figures."""
    flag = f'<br/><font size="6.5" color="#b00020">{MARK}</font>' if invented else ""
    return Paragraph(escape(text) + flag, SMALL)


def _banner(content: ReportContent) -> list:
    """The warning that the report contains invented figures, boxed, on page one; nothing for real data only."""
    text = banner(content)
    if text is None:
        return []
    box = Table([[Paragraph(escape(text), BANNER)]], colWidths=[18 * cm])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor("#b00020")),
                             ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff4e5")),
                             ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
    return [box, Spacer(1, 0.3 * cm)]


def _flag(provenance: str | None) -> str:
    return f" – {mark(provenance)}" if mark(provenance) else ""


def _section(s: IndicatorSection, chart_png: bytes | None) -> list:
    facts = [["Laatste waarde", fmt_value(s.latest_value, s.unit) + (
        f" ({s.region_name}, {s.latest_period}, {s.value_status})" if s.latest_period else "") + _flag(s.provenance)]]
    if s.previous_value is not None:
        facts.append(["Vorige meting", f"{fmt_value(s.previous_value, s.unit)} ({s.previous_period})"
                      + _flag(s.previous_provenance)])
    facts += [[region, f"{fmt_value(v, s.unit)} ({s.latest_period})" + _flag(s.comparison_provenance.get(region))]
              for region, v in s.comparisons.items()]
    if s.kern:
        facts += [["Streefwaarde", s.target_rule or "–"], ["Status", STATUS_LABEL[s.status]]]
    facts += [["Bron", s.source + (f" ({s.source_table})" if s.source_table else "")
               + (f" – {source_note(s.weakest_provenance)}" if s.invented else "")],
              ["Datum gegevens", f"opgehaald of ontvangen op {fmt_date(s.fetched_at)}" if s.fetched_at else "–"]]
    table = Table([[_p(k), _p(v)] for k, v in facts], colWidths=[3.5 * cm, 14.5 * cm])
    table.setStyle(TableStyle(GRID))
    title = (f"{s.nr}. {s.name}" if s.kern else f"Context: {s.name}") + (
        f" [{mark(s.weakest_provenance)}]" if s.invented else "")
    head = [Paragraph(escape(title), H3)]
    if s.operational_goal:
        head.append(_p(f"Operationeel doel: {s.operational_goal}"))
    body: list = [table, Spacer(1, 0.2 * cm)]
    if chart_png:
        body.append(Image(io.BytesIO(chart_png), width=18 * cm, height=7.5 * cm))
    else:
        body.append(_p("Geen gegevens: er is geen grafiek voor deze indicator."))
    body += [_p(f"• {n}") for n in s.notes]
    return [KeepTogether(head + body), Spacer(1, 0.4 * cm)]


def render_pdf(content: ReportContent, charts: dict[str, bytes]) -> bytes:
    """``charts`` maps indicator code to a PNG; indicators without data have none."""
    story = _summary(content)
    for goal in content.goals:
        story += [PageBreak(), Paragraph(escape(f"Strategisch doel {goal.nr}: {goal.title}"), H2)]
        for s in goal.sections:
            story += _section(s, charts.get(s.code))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.5 * cm, title="Kernindicatoren Economie en Arbeidsmarkt",
                            author=f"Gemeente {content.municipality}", creator="ea-pipelines",
                            invariant=1)
    doc.build(story, onLaterPages=_page_number, onFirstPage=_page_number)
    return buf.getvalue()


def _page_number(canvas, doc) -> None:  # noqa: ANN001 (reportlab callback)
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(A4[0] - 1.5 * cm, 1 * cm, f"pagina {doc.page}")
