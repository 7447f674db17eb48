"""No stitched series: a chart line joins only points of one source and provenance class; where either changes
the line breaks and the caption names the change, in the HTML and (read back with pdftotext) in the PDF. The
watermark of invented figures stays clear of the legend."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.colors import to_hex

from ea_pipelines.report.charts import COLOURS, caption, draw, segments, to_png
from ea_pipelines.report.content import Goal, IndicatorSection, ReportContent
from ea_pipelines.report.html import render_html
from ea_pipelines.report.marks import WATERMARK, watermark
from ea_pipelines.report.moments import moment
from ea_pipelines.report.pdf import render_pdf

PDFTOTEXT = shutil.which("pdftotext")
ORIGINS = [("Kennispunt Twente (open data)", "synthetic"), ("Kennispunt Twente", "illustrative"),
           ("Kennispunt Twente", "partner"), ("CBS", "cbs_live"), ("CBS", "cbs_capture")]
SPLIT = [ORIGINS[0]] * 3 + [ORIGINS[1]] * 2  # the case: 2021-2023 open data, 2024-2025 a delivery


def section(origins: list[tuple[str, str]], first_year: int = 2021, roles: tuple[str, ...] = ("municipality",),
            ) -> IndicatorSection:
    names = {"municipality": "Almelo", "peer_corop": "Twente", "country": "Nederland"}
    rows = [dict(region=names[role], programme_role=role, period_code=f"{first_year + i}JJ00",
                 period_label=str(first_year + i), start_date=pd.Timestamp(first_year + i, 1, 1),
                 value=10.0 + 3 * i + k, status="definitief", source=src, provenance=prov)
            for k, role in enumerate(roles) for i, (src, prov) in enumerate(origins)]
    series = pd.DataFrame(rows)
    last = series[series["programme_role"] == roles[0]].iloc[-1]
    return IndicatorSection(code="grond_lokaal_mkb", nr=4, name="Grond voor lokaal mkb", kern=True, goal_nr=1,
                            goal="Doel", operational_goal=None, unit="hectare", target_rule=None,
                            status="geen streefwaarde", region_name="Almelo", latest_period=last["period_label"],
                            latest_value=float(last["value"]), value_status="definitief", previous_period=None,
                            previous_value=None, series=series, provenance=last["provenance"],
                            latest_period_code=last["period_code"])


def runs(origins: list[tuple[str, str]]) -> list[list[int]]:
    """Indexes of the points per run of one origin (the expected segments)."""
    out, i = [], 0
    for _, group in itertools.groupby(origins):
        n = len(list(group))
        out.append(list(range(i, i + n)))
        i += n
    return out


def corpus() -> list[list[tuple[str, str]]]:
    """Sequences of origins: the issue's split, one origin only, alternating, single points, random ones."""
    rng = random.Random(23)
    cases = [SPLIT, [ORIGINS[3]] * 6, [ORIGINS[3], ORIGINS[4]] * 3, [ORIGINS[2]], [ORIGINS[0], ORIGINS[1]],
             [ORIGINS[3]] * 4 + [ORIGINS[4]]]
    cases += [[rng.choice(ORIGINS[:3]) for _ in range(rng.randint(2, 9))] for _ in range(14)]
    return cases


def municipality_lines(s: IndicatorSection) -> list[list[float]]:
    """The x positions of every drawn line of the municipality (markers of provisional points excluded)."""
    fig = draw(s)
    colour = COLOURS["municipality"]
    return [list(line.get_xdata()) for line in fig.axes[0].get_lines()
            if to_hex(line.get_color()) == colour and line.get_linestyle() not in ("None", "")]


@pytest.mark.parametrize("origins", corpus())
def test_a_line_joins_only_points_of_one_origin(origins: list[tuple[str, str]]) -> None:
    s = section(origins)
    expected = runs(origins)
    parts = segments(s.series)
    assert [list(p.index) for p in parts] == expected
    assert municipality_lines(s) == [[float(i) for i in run] for run in expected]
    text = caption(s)
    if len(expected) == 1:
        assert "onderbroken" not in text
    else:
        assert "De lijn van Almelo is onderbroken waar de bron wisselt" in text
        for run in expected:
            first, last = 2021 + run[0], 2021 + run[-1]
            assert (f"{first}:" if first == last else f"{first} t/m {last}:") in text


def test_only_the_region_whose_source_changes_is_broken() -> None:
    s = section(SPLIT, roles=("municipality", "country"))
    s.series.loc[s.series["programme_role"] == "country", ["source", "provenance"]] = ["CBS", "cbs_live"]
    text = caption(s)
    assert "De lijn van Almelo is onderbroken" in text and "Nederland is onderbroken" not in text


def test_the_break_and_its_caption_in_html_and_pdf(tmp_path: Path) -> None:
    s = section(SPLIT)
    content = ReportContent(generated_at=dt.datetime(2026, 11, 27, 3, 0), municipality="Almelo",
                            goals=[Goal(1, "Doel", [s])], moment=moment("najaarsrapportage", 2026))
    fig = draw(s)
    watermark(fig)
    expected = ("De lijn van Almelo is onderbroken waar de bron wisselt (2021 t/m 2023: Kennispunt Twente (open data) "
                "(synthetisch); 2024 t/m 2025: Kennispunt Twente (illustratief voorbeeld)).")
    html = render_html(content, {s.code: "<svg></svg>"})
    figcaption = html[html.index("<figcaption"):html.index("</figcaption>")]
    assert expected in figcaption and "voorbeeldcijfer" in figcaption
    if PDFTOTEXT is None:
        pytest.skip("pdftotext not installed: apt-get install poppler-utils")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_pdf(content, {s.code: to_png(fig)}))
    text = " ".join(subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert expected in text
    assert "De grafiek toont voorbeeldcijfers, geen echte cijfers." in text


@pytest.mark.parametrize("roles", [("municipality",), ("municipality", "peer_corop", "country")])
@pytest.mark.parametrize("years", [2, 5, 12])
def test_the_watermark_is_clear_of_the_legend(roles: tuple[str, ...], years: int) -> None:
    s = section([ORIGINS[0]] * years, first_year=2025 - years + 1, roles=roles)
    fig = draw(s)
    watermark(fig)
    to_png(fig)  # lays the figure out as the report does
    fig.draw_without_rendering()  # measured at the figure's own dpi (the PNG was drawn at 150)
    ax = fig.axes[0]
    mark = next(t for t in ax.texts if t.get_text() == WATERMARK)
    box, legend, plot = mark.get_window_extent(), ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert not box.overlaps(legend)
    assert plot.x0 <= box.x0 and box.x1 <= plot.x1 and plot.y0 <= box.y0 and box.y1 <= plot.y1
    assert mark.get_fontsize() >= 14  # still a watermark one notices
