"""Trend charts: one per indicator, the municipality against its peer group and the country.

Drawn with matplotlib's object API (no pyplot, so no global state and no display), once as inline SVG for
the HTML report and once as PNG for the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from ea_pipelines.provenance import LABEL
from ea_pipelines.report.content import PROVISIONAL, IndicatorSection
from ea_pipelines.report.formatting import (
    INTEGER_UNITS,
    decimals_for,
    fmt_number,
    fmt_value,
    period_bounds,
    period_label,
)

COLOURS = {"municipality": "#c8102e", "peer_corop": "#1f5fa8", "country": "#6b6b6b"}
STYLES = {"municipality": "-", "peer_corop": "--", "country": ":"}
#: What the target line is drawn for: a fixed boundary only (rising/falling targets are judged on the trend).
TARGET_PREFIX = {"at_most": "streefwaarde: hoogstens", "at_least": "streefwaarde: minimaal"}


def indexed(series: pd.DataFrame) -> pd.DataFrame:
    """Values as an index: 100 at the first period every region has, else at each region's own first period."""
    common = set.intersection(*(set(g["start_date"]) for _, g in series.groupby("region")))
    base_date = min(common) if common else None
    out = []
    for _, g in series.groupby("region", sort=False):
        base = g.loc[g["start_date"] == base_date, "value"] if base_date is not None else g["value"].iloc[:1]
        out.append(g.assign(value=g["value"] / float(base.iloc[0]) * 100 if float(base.iloc[0]) else float("nan")))
    return pd.concat(out)


class DutchTicks(Formatter):
    """Dutch numbers on the value axis, with as many decimals as the ticks need: a label equals its tick."""

    def __init__(self) -> None:
        self.decimals = 0

    def set_locs(self, locs: list[float]) -> None:
        super().set_locs(locs)
        self.decimals = decimals_for([float(v) for v in locs])

    def __call__(self, x: float, pos: int | None = None) -> str:
        return fmt_number(x, self.decimals)


def _next(code: str) -> str:
    """The period after ``code``, of the same kind (2024JJ00 -> 2025JJ00, 2024KW04 -> 2025KW01)."""
    day = period_bounds(code)[1] + dt.timedelta(days=1)
    kind = code[4:6]
    n = {"JJ": 0, "KW": (day.month - 1) // 3 + 1, "MM": day.month}[kind]
    return f"{day.year}{kind}{n:02d}"


def periods(data: pd.DataFrame) -> list[tuple[str, str]]:
    """The chart's periods in time order as (code, CBS label): the category axis (2024, 2024 K2, juni 2025).

    When all periods are of one kind the axis has every period from the first to the last, so that a gap
    (a biennial ranking, a missing year) keeps its width instead of being closed up.
    """
    p = data[["period_code", "period_label", "start_date"]].drop_duplicates("period_code")
    p = p.sort_values(["start_date", "period_code"])
    known = dict(zip(p["period_code"], p["period_label"].fillna(p["period_code"]), strict=True))
    codes = list(known)
    if codes and len({c[4:6] for c in codes}) == 1 and codes[0][4:6] in ("JJ", "KW", "MM"):
        full = [codes[0]]
        while full[-1] != codes[-1] and len(full) < 1000:
            full.append(_next(full[-1]))
        codes = full
    return [(c, known.get(c) or period_label(c)) for c in codes]


def _period_ticks(ax, axis: list[tuple[str, str]]) -> None:  # noqa: ANN001 (matplotlib Axes)
    """One tick per period, thinned to about ten labels (the last always labelled), each its CBS label."""
    n = len(axis)
    step = max(1, math.ceil(n / 10))
    shown = sorted({*range(n - 1, -1, -step)})
    ax.set_xticks(shown, [axis[i][1] for i in shown])
    ax.set_xticks(range(n), minor=True)
    if sum(len(axis[i][1]) for i in shown) > 60:
        ax.tick_params(axis="x", labelrotation=35)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_xlim(-0.5, n - 0.5)


def _origin(row: dict) -> tuple[str, str]:
    return (str(row.get("source") or ""), str(row.get("provenance") or ""))


def segments(region_series: pd.DataFrame) -> list[pd.DataFrame]:
    """One region's points in time order, cut where the source or the provenance class changes: a line joins
    only points of one origin (``source`` and ``provenance`` columns; absent columns are one origin)."""
    if region_series.empty:
        return []
    keys = [_origin(r) for r in region_series.to_dict("records")]
    cuts = [0, *(i for i in range(1, len(keys)) if keys[i] != keys[i - 1]), len(keys)]
    return [region_series.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def _origin_text(source: str, provenance: str) -> str:
    label = LABEL.get(provenance, provenance)
    return source if not label or label == source else f"{source} ({label})"


def _span(part: pd.DataFrame) -> str:
    first, last = part["period_label"].iloc[0], part["period_label"].iloc[-1]
    return str(first) if first == last else f"{first} t/m {last}"


def source_changes(section: IndicatorSection) -> list[str]:
    """Per region whose line is broken: which periods come from which source and class (Dutch)."""
    data = section.series
    if data.empty:
        return []
    out = []
    for _, g in data.groupby("programme_role", sort=False):
        parts = segments(g)
        if len(parts) > 1:
            spans = "; ".join(f"{_span(p)}: {_origin_text(*_origin(p.iloc[0].to_dict()))}" for p in parts)
            out.append(f"De lijn van {g['region'].iloc[0]} is onderbroken waar de bron wisselt ({spans}).")
    return out


def caption(section: IndicatorSection) -> str:
    """The chart's caption, the same in the HTML and the PDF: what it shows and each change of source (the
    renderers add the mark and :data:`~ea_pipelines.report.marks.CHART_NOTE` for invented figures)."""
    data = section.series
    text = f"{section.name}: {', '.join(data['region'].unique())}{' (index)' if section.indexed else ''}."
    for change in source_changes(section):
        text += f" {change}"
    return text


def draw(section: IndicatorSection) -> Figure:
    """A line per region over the periods; provisional points hollow; a dashed line at a fixed target."""
    data = indexed(section.series) if section.indexed else section.series
    axis = periods(data)
    position = {code: i for i, (code, _) in enumerate(axis)}
    fig = Figure(figsize=(7.2, 3.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    any_provisional = False
    for role, g in data.groupby("programme_role", sort=False):
        colour = COLOURS.get(str(role), "#333333")
        for n, part in enumerate(segments(g)):  # a change of source or provenance breaks the line
            ax.plot(part["period_code"].map(position), part["value"], STYLES.get(str(role), "-"), color=colour,
                    linewidth=2, marker="o" if n % 2 == 0 else "s", markersize=4,
                    label=g["region"].iloc[0] if n == 0 else None)
        prov = g[g["status"].isin(PROVISIONAL)]
        if len(prov):
            ax.plot(prov["period_code"].map(position), prov["value"], "o", markersize=7, markerfacecolor="white",
                    markeredgecolor=colour)
            any_provisional = True
    if section.target_kind in TARGET_PREFIX and section.target_value is not None and not section.indexed:
        ax.axhline(section.target_value, color="#2e7d32", linestyle=(0, (4, 3)), linewidth=1.2,
                   label=f"{TARGET_PREFIX[section.target_kind]} {fmt_value(section.target_value, section.unit)}")
    if any_provisional:  # one legend entry for every hollow marker
        ax.plot([], [], "o", markersize=7, markerfacecolor="white", markeredgecolor="#333333", label="voorlopig cijfer")
    _period_ticks(ax, axis)
    whole = section.unit in INTEGER_UNITS and not section.indexed
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=whole))
    ax.yaxis.set_major_formatter(DutchTicks())
    if section.code == "mkb_ranking_positie":
        ax.invert_yaxis()  # position 1 is best: up is better
    ax.set_ylabel("index" if section.indexed else section.unit)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    return fig


def to_svg(fig: Figure, salt: str) -> str:
    """The ``<svg>`` element alone, for inlining; ids are salted per chart so that several can share a page."""
    buf = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def to_png(fig: Figure, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def svg_title(svg: str, title: str) -> str:
    """Give the SVG an accessible name (screen readers read the ``<title>`` of an image)."""
    safe = re.sub(r"[<>&]", "", title)
    return svg.replace(">", f"><title>{safe}</title>", 1)
