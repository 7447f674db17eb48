"""Charts read correctly: periods on a category axis in CBS's labels, tick labels equal to tick values,
whole numbers without decimals. Checked on the SVG the report inlines (its <text> elements)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ea_pipelines.report.charts import draw, to_svg
from ea_pipelines.report.content import IndicatorSection

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december"]


def year(y: int) -> tuple[str, str, pd.Timestamp]:
    return f"{y}JJ00", str(y), pd.Timestamp(y, 1, 1)


def quarter(y: int, q: int) -> tuple[str, str, pd.Timestamp]:
    return f"{y}KW0{q}", f"{y} K{q}", pd.Timestamp(y, 3 * q - 2, 1)


def month(y: int, m: int) -> tuple[str, str, pd.Timestamp]:
    return f"{y}MM{m:02d}", f"{MONTHS[m - 1]} {y}", pd.Timestamp(y, m, 1)


def section(periods: list[tuple], values: list[float], unit: str = "procent", indexed: bool = False,
            code: str = "x", regions: tuple[str, ...] = ("municipality",)) -> IndicatorSection:
    names = {"municipality": "Almelo", "peer_corop": "Twente", "country": "Nederland"}
    rows = [dict(region=names[role], programme_role=role, period_code=c, period_label=label, start_date=start,
                 value=v * (1 + k), status="definitief")
            for k, role in enumerate(regions) for (c, label, start), v in zip(periods, values, strict=True)]
    return IndicatorSection(code=code, nr=1, name="X", kern=True, goal_nr=1, goal="g", operational_goal=None,
                            unit=unit, target_rule=None, status="behaald", region_name="Almelo",
                            latest_period=periods[-1][1], latest_value=values[-1], value_status="definitief",
                            previous_period=None, previous_value=None, series=pd.DataFrame(rows), indexed=indexed)


def svg_texts(s: IndicatorSection) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", to_svg(draw(s), salt=s.code))


def tick_labels(s: IndicatorSection) -> tuple[list[str], list[float], tuple[float, float]]:
    fig = draw(s)
    to_svg(fig, salt="t")  # draws: tick labels are set
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_yticklabels()], list(ax.get_yticks()), ax.get_ylim()


def dutch(text: str) -> float:
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?", text), text
    return float(text.replace(".", "").replace(",", "."))


@pytest.mark.parametrize("periods,expected", [
    ([year(y) for y in range(2020, 2025)], ["2020", "2021", "2022", "2023", "2024"]),
    ([quarter(2024, q) for q in (1, 2, 3, 4)] + [quarter(2025, 1)],
     ["2024 K1", "2024 K2", "2024 K3", "2024 K4", "2025 K1"]),
    ([month(2025, m) for m in (3, 4, 5, 6)], ["maart 2025", "april 2025", "mei 2025", "juni 2025"]),
    # a yearly delivery with two years: year labels, not a date axis full of months
    ([year(2023), year(2025)], ["2023", "2024", "2025"]),
])
def test_period_axis_shows_cbs_labels(periods: list[tuple], expected: list[str]) -> None:
    texts = svg_texts(section(periods, [40.0 + i for i in range(len(periods))]))
    axis = [t for t in texts if t in expected]
    assert axis == expected
    assert not [t for t in texts if re.search(r"\d{4}-\d{2}", t)]  # no date-axis labels like 2022-01


def test_a_long_monthly_axis_is_thinned_and_keeps_the_last_label() -> None:
    periods = [month(2023 + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(1, 31)]  # jan 2023 .. jun 2025
    texts = svg_texts(section(periods, [float(i) for i in range(30)]))
    labels = [t for t in texts if re.fullmatch(r"[a-z]+ \d{4}", t)]
    assert 5 <= len(labels) <= 11 and labels[-1] == "juni 2025"
    assert all(lab in [p[1] for p in periods] for lab in labels)


@pytest.mark.parametrize("low,high", [(100.0, 105.0), (99.7, 100.2), (0.0, 0.04), (1200.0, 48_000.0),
                                      (6.1, 7.3), (-3.0, 2.5), (50.0, 50.0)])
def test_tick_labels_equal_tick_values(low: float, high: float) -> None:
    values = [low, (low + high) / 2, high, low + (high - low) / 3]
    labels, ticks, (y0, y1) = tick_labels(section([year(y) for y in range(2021, 2025)], values))
    shown = [(lab, t) for lab, t in zip(labels, ticks, strict=True) if min(y0, y1) <= t <= max(y0, y1)]
    assert len(shown) >= 2
    for label, tick in shown:
        assert dutch(label) == pytest.approx(tick, abs=1e-9), (label, tick)


def test_the_index_axis_of_the_issue_is_labelled_exactly() -> None:
    """Population index 100 .. 105: the issue saw ticks at 100.5/102/103.5/105 labelled 100, 102, 104, 105."""
    s = section([year(y) for y in range(2021, 2025)], [100.0, 101.7, 103.4, 105.0], unit="aantal",
                indexed=True, regions=("municipality", "country"))
    labels, ticks, _ = tick_labels(s)
    assert [dutch(lab) for lab in labels] == pytest.approx(ticks)


@pytest.mark.parametrize("unit,values", [("positie", [112.0, 86.0, 57.0]), ("aantal", [3.0, 4.0, 5.0]),
                                         ("aantal", [31.0, 37.0, 43.0])])
def test_whole_numbers_have_no_decimals(unit: str, values: list[float]) -> None:
    labels, ticks, _ = tick_labels(section([year(2020), year(2022), year(2024)], values, unit=unit))
    assert labels and all(re.fullmatch(r"\d{1,3}(\.\d{3})*", lab) for lab in labels), labels
    assert all(float(t).is_integer() for t in ticks)


def test_a_gap_keeps_its_width() -> None:
    """A biennial ranking (2020, 2022, 2024) and months with gaps: every period in between is on the axis."""
    texts = svg_texts(section([year(2020), year(2022), year(2024)], [112.0, 86.0, 57.0], unit="positie"))
    assert [t for t in texts if re.fullmatch(r"\d{4}", t)] == ["2020", "2021", "2022", "2023", "2024"]
    texts = svg_texts(section([month(2024, 11), month(2025, 2)], [1.0, 2.0]))
    assert [t for t in texts if re.fullmatch(r"[a-z]+ \d{4}", t)] == ["november 2024", "december 2024",
                                                                     "januari 2025", "februari 2025"]
    texts = svg_texts(section([quarter(2024, 4), quarter(2025, 2)], [1.0, 2.0]))
    assert [t for t in texts if re.fullmatch(r"\d{4} K\d", t)] == ["2024 K4", "2025 K1", "2025 K2"]
