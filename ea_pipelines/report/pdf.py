"""The report as a PDF (A4, summary table on page one), laid out with reportlab's platypus."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
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

from ea_pipelines.provenance import weakest
from ea_pipelines.report.charts import caption
from ea_pipelines.report.content import PROVISIONAL, UNKNOWN_STATUS, Goal, IndicatorSection, ReportContent
from ea_pipelines.report.formatting import (
    STATUS_LABEL,
    data_date_text,
    fmt_date,
    fmt_long_date,
    fmt_number,
    fmt_value,
    image_text,
    source_text,
)
from ea_pipelines.report.html import FOOTNOTE, as_of_sentence, summary_sentence
from ea_pipelines.report.marks import (
    CHART_NOTE,
    MARK,
    NOT_JUDGED,
    NOT_JUDGED_NOTE,
    banner,
    flagged,
    mark,
    short,
    source_note,
)

STATUS_COLOUR = {"behaald": colors.HexColor("#d9f0dd"), "niet behaald": colors.HexColor("#fbdada"),
                 NOT_JUDGED: colors.HexColor("#fff4e5")}
INVENTED_ROW = colors.HexColor("#fffaf2")
_styles = getSampleStyleSheet()
BANNER = ParagraphStyle("banner", parent=_styles["BodyText"], fontSize=9.5, leading=12, fontName="Helvetica-Bold",
                        textColor=colors.HexColor("#5f0010"))
#: Words are never split inside: a line breaks only at spaces (and, for a word too long for its cell, after
#: the '_', '/' or '-' in it, see _breakable).
SMALL = ParagraphStyle("small", parent=_styles["BodyText"], fontSize=8, leading=10, splitLongWords=0)
NUM = ParagraphStyle("num", parent=SMALL, alignment=TA_RIGHT)
CAPTION = ParagraphStyle("caption", parent=SMALL, textColor=colors.HexColor("#555555"), spaceBefore=2)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9.5, leading=12, splitLongWords=0)
#: Partner text: a "word" longer than a line (no spaces in hundreds of characters) is split rather than
#: running off the page.
QUOTE = ParagraphStyle("quote", parent=BODY, leftIndent=0.6 * cm, textColor=colors.HexColor("#333333"),
                       fontName="Helvetica-Oblique", splitLongWords=1)
H1 = _styles["Title"]
#: A heading stays on the page of what follows it: never the last line of a page (reportlab keepWithNext).
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], keepWithNext=1)
H3 = ParagraphStyle("h3", parent=_styles["Heading3"], keepWithNext=1)
PAD = 3  # cell padding, points
GRID = [("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD)]
#: The summary table: (header, width in cm, numeric); 18 cm, the A4 text width.
#: Status fits "(voorbeeldcijfer)" of "niet beoordeeld (voorbeeldcijfer)" on one line.
SUMMARY_COLUMNS = (("Nr", 0.8, True), ("Doel", 1.0, True), ("Kernindicator", 4.1, False),
                   ("Laatste waarde", 1.9, True), ("Periode", 1.7, False), ("Streefwaarde", 2.2, False),
                   ("Status", 2.5, False), ("Bron en datum", 3.8, False))


def _breakable(text: str, width: float, style: ParagraphStyle) -> str:
    """Escaped text in which a word wider than ``width`` points is wrapped after its '_', '/' or '-'.

    reportlab wraps only at spaces; with ``splitLongWords`` off a long word would run over the cell edge,
    with it on it breaks anywhere ("kennispu nt.csv"). A file name breaks at its own separators instead:
    its parts are packed into lines that fit, joined by line breaks (no spaces are added to the name).
    """

    def fits(t: str) -> bool:
        return stringWidth(t, style.fontName, style.fontSize) <= width

    words = []
    for word in text.split(" "):
        if fits(word):
            words.append(escape(word))
            continue
        lines = [""]
        for part in re.split(r"(?<=[_/-])", word):
            if lines[-1] and not fits(lines[-1] + part):
                lines.append("")
            lines[-1] += part
        words.append("<br/>".join(escape(line) for line in lines))
    return " ".join(words)


def _p(text: str, style: ParagraphStyle = SMALL, width: float | None = None) -> Paragraph:
    return Paragraph(_breakable(text, width - 2 * PAD, style) if width else escape(text), style)


def _summary(content: ReportContent) -> list:
    widths = [w * cm for _, w, _ in SUMMARY_COLUMNS]

    def row(cells: list[str]) -> list[Paragraph]:
        return [_p(text, NUM if numeric else SMALL, width)
                for text, width, (_, _, numeric) in zip(cells, widths, SUMMARY_COLUMNS, strict=True)]

    rows = [[_p(h, SMALL, w) for (h, _, _), w in zip(SUMMARY_COLUMNS, widths, strict=True)]]
    style = [*GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f3f3"))]
    for i, s in enumerate(content.kern, start=1):
        star = "*" if s.value_status in PROVISIONAL else "?" if s.value_status == UNKNOWN_STATUS else ""
        source = ((s.source_table or s.source) + (f" ({short(s.weakest_provenance)})" if s.invented else "")
                  + (f", {fmt_date(s.data_date)}" if s.data_date else ""))
        cells = row([str(s.nr), str(s.goal_nr), s.name, fmt_value(s.latest_value, s.unit) + star,
                     s.latest_period or "–", s.target_rule or "–", STATUS_LABEL[s.status], source])
        if s.invented:  # the value carries the mark "voorbeeldcijfer", the row a tint
            cells[3] = _value_cell(fmt_value(s.latest_value, s.unit) + star)
            style.append(("BACKGROUND", (0, i), (-1, i), INVENTED_ROW))
        rows.append(cells)
        if s.status in STATUS_COLOUR:
            style.append(("BACKGROUND", (6, i), (6, i), STATUS_COLOUR[s.status]))
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    m = content.moment
    assert m is not None
    return [
        Paragraph("Kernindicatoren Economie en Arbeidsmarkt", H1),
        _p(f"{m.title}: {fmt_long_date(m.start)} tot en met {fmt_long_date(m.end)}", H2),
        _p(f"Gemeente {content.municipality} · rapportage van {fmt_date(content.generated_at)} · "
           "gegevens uit het datawarehouse (schema marts)", BODY),
        _p(as_of_sentence(content), BODY),
        Spacer(1, 0.3 * cm),
        *_banner(content),
        _p(summary_sentence(content), BODY),
        Spacer(1, 0.3 * cm), table, Spacer(1, 0.2 * cm),
        _p(FOOTNOTE),
    ]


def _value_cell(text: str) -> Paragraph:
    """A summary value resting on invented figures, with the mark "voorbeeldcijfer" on its own line."""
    return Paragraph(escape(text) + f'<br/><font size="6.5" color="#b00020">{MARK}</font>', NUM)


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


def _moment(content: ReportContent) -> list:
    """Hoogtepunten (highlights) since the previous moment and the afwijkingen, after the summary."""
    m = content.moment
    assert m is not None
    story: list = [Spacer(1, 0.4 * cm), _p(f"Hoogtepunten sinds {fmt_long_date(m.previous_reference)}", H2)]
    story += [_p(f"• {h.indicator}: {h.text}", BODY) for h in content.highlights] or [
        _p(f"Sinds {fmt_long_date(m.previous_reference)} zijn er geen nieuwe of herziene cijfers.", BODY)]
    story += [Spacer(1, 0.3 * cm), _p("Afwijkingen", H2)]
    story += [_p(f"• {d.nr}. {d.indicator}: {' '.join(d.reasons)}", BODY) for d in content.deviations] or [
        _p("Geen afwijkingen.", BODY)]
    if content.not_judged:
        story.append(_p(NOT_JUDGED_NOTE + ": " + "; ".join(
            f"{s.nr}. {s.name} [{mark(weakest(s.provenance, s.previous_provenance, s.status_provenance))}]"
            for s in content.not_judged) + ".", BODY))
    return story


def _goal_extras(goal: Goal) -> list:
    """Resultaten van onze inzet (a table) and Rijker verantwoorden (quoted contributions) of one goal."""
    story: list = [Paragraph("Resultaten van onze inzet", H3)]
    if goal.efforts:
        widths = [4.6 * cm, 1.9 * cm, 1.7 * cm, 7.0 * cm, 2.8 * cm]
        rows = [[_p(h, SMALL, w) for h, w in zip(("Inspanning", "Status", "Stand per", "Toelichting", "Resultaat"),
                                                  widths, strict=True)]]
        for e in goal.efforts:
            result = f"{fmt_number(e.count, 0)} {e.count_unit or ''}".strip() if e.count is not None else ""
            result = flagged(result, e.provenance) if result else mark(e.provenance)
            cells = (e.effort, e.status, e.period, e.explanation or "", result)
            rows.append([_p(t, NUM if i == 4 else SMALL, w) for i, (t, w) in enumerate(zip(cells, widths,
                                                                                           strict=True))])
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([*GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f3f3"))]))
        files = ", ".join(dict.fromkeys(e.source_file for e in goal.efforts))
        story += [table, _p(f"Bron: levering programme_efforts ({files}).")]
    else:
        story.append(_p("Er is voor dit doel (nog) geen stand van de inspanningen aangeleverd."))
    # keepWithNext does not reach into a KeepTogether: the heading goes into the first contribution's block
    heading: list = [Paragraph("Rijker verantwoorden", H3)]
    story.append(Spacer(1, 0.3 * cm))
    for q in goal.contributions:
        meta = f"{q.author}, {fmt_long_date(q.date)}" + (f" · {image_text(q.image)}" if q.image else "") + \
            f" · bron: {q.source_file}"
        body = "<br/>".join(escape(line) for line in q.body.splitlines())
        title = f"<b>{escape(q.title)}</b>" + (f" [{escape(mark(q.provenance))}]" if mark(q.provenance) else "")
        story += [KeepTogether([*heading, Paragraph(title, BODY), Paragraph(body, QUOTE),
                                _p(meta)]), Spacer(1, 0.2 * cm)]
        heading = []
    if not goal.contributions:
        story += [*heading, _p("Geen kwalitatieve bijdragen voor dit doel in deze periode.")]
    return story


def _section(s: IndicatorSection, chart_png: bytes | None) -> list:
    shown_status = "status onbekend" if s.value_status == UNKNOWN_STATUS else s.value_status
    facts = [["Laatste waarde", fmt_value(s.latest_value, s.unit) + (
        f" ({s.region_name}, {s.latest_period}, {shown_status})" if s.latest_period else "") + _flag(s.provenance)]]
    if s.previous_value is not None:
        facts.append(["Vorige meting", f"{fmt_value(s.previous_value, s.unit)} ({s.previous_period})"
                      + _flag(s.previous_provenance)])
    facts += [[region, f"{fmt_value(v, s.unit)} ({s.latest_period})" + _flag(s.comparison_provenance.get(region))]
              for region, v in s.comparisons.items()]
    if s.kern:
        facts += [["Streefwaarde", s.target_rule or "–"], ["Status", STATUS_LABEL[s.status]]]
    facts += [["Bron", source_text(s.source, s.source_table)
               + (f" – {source_note(s.weakest_provenance)}" if s.invented else "")],
              ["Datum gegevens", data_date_text(s.fetched_at, s.captured_at)]]
    table = Table([[_p(k, SMALL, 3.5 * cm), _p(v, SMALL, 14.5 * cm)] for k, v in facts],
                  colWidths=[3.5 * cm, 14.5 * cm])
    table.setStyle(TableStyle(GRID))
    title = (f"{s.nr}. {s.name}" if s.kern else f"Context: {s.name}") + (
        f" [{mark(s.weakest_provenance)}]" if s.invented else "")
    head = [Paragraph(escape(title), H3)]
    if s.operational_goal:
        head.append(_p(f"Operationeel doel: {s.operational_goal}"))
    body: list = [table, Spacer(1, 0.2 * cm)]
    if chart_png:
        body += [Image(io.BytesIO(chart_png), width=18 * cm, height=7.5 * cm),
                 _p(caption(s) + (f" [{mark(s.chart_provenance)}] {CHART_NOTE}" if mark(s.chart_provenance) else ""),
                    CAPTION)]
    else:
        body.append(_p("Geen gegevens: er is geen grafiek voor deze indicator."))
    body += [_p(f"• {n}") for n in s.notes]
    return [KeepTogether(head + body), Spacer(1, 0.4 * cm)]


def render_pdf(content: ReportContent, charts: dict[str, bytes]) -> bytes:
    """``charts`` maps indicator code to a PNG; indicators without data have none."""
    story = _summary(content) + _moment(content)
    for goal in content.goals:
        story += [PageBreak(), Paragraph(escape(f"Strategisch doel {goal.nr}: {goal.title}"), H2)]
        for s in goal.sections:
            story += _section(s, charts.get(s.code))
        story += _goal_extras(goal)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.5 * cm,
                            title=f"{content.moment.title if content.moment else ''} Kernindicatoren Economie en "
                                  "Arbeidsmarkt".strip(),
                            author=f"Gemeente {content.municipality}", creator="ea-pipelines")
    doc.build(story, onLaterPages=_page_number, onFirstPage=_page_number)
    return buf.getvalue()


def _page_number(canvas, doc) -> None:  # noqa: ANN001 (reportlab callback)
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(A4[0] - 1.5 * cm, 1 * cm, f"pagina {doc.page}")
