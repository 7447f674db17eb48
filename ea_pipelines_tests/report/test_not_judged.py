"""Invented figures are never judged: over every combination of the classes of the latest and previous figure,
direction and target kind, Afwijkingen says "de verkeerde kant op" only for real figures, the report lists the
invented ones as niet beoordeeld, and a highlight's number carries its mark."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from ea_pipelines.provenance import CLASSES, INVENTED
from ea_pipelines.report.content import Goal, IndicatorSection, ReportContent
from ea_pipelines.report.marks import MARK
from ea_pipelines.report.moment_content import read_deviations, read_highlights
from ea_pipelines.report.moments import moment

AUTUMN = moment("najaarsrapportage", 2026)
CASES = list(itertools.product(CLASSES, CLASSES, ("none", "at_most", "at_least"), (True, False), (3.8, 5.0)))


def section(latest: str, previous: str, kind: str, higher_is_better: bool, value: float) -> IndicatorSection:
    series = pd.DataFrame([dict(region="Almelo", programme_role="municipality", period_code=f"{y}JJ00",
                                period_label=str(y), start_date=pd.Timestamp(y, 1, 1), value=v,
                                status="definitief", source="Kennispunt Twente", provenance=p)
                           for y, v, p in ((2024, 4.4, previous), (2025, value, latest))])
    return IndicatorSection(code="grond_lokaal_mkb", nr=2, name="Grond", kern=True, goal_nr=2, goal="g",
                            operational_goal=None, unit="hectare", target_rule="x", status="geen streefwaarde",
                            region_name="Almelo", latest_period="2025", latest_value=value, value_status="definitief",
                            previous_period="2024", previous_value=4.4, series=series, target_kind=kind,
                            target_value=None, higher_is_better=higher_is_better, frequency="jaarlijks",
                            region_code="GM0141", latest_period_code="2025JJ00",
                            latest_period_end=dt.date(2025, 12, 31), provenance=latest, previous_provenance=previous,
                            status_provenance=latest if kind != "none" else None)


@pytest.mark.parametrize("latest,previous,kind,higher,value", CASES)
def test_the_direction_is_judged_on_real_figures_only(latest: str, previous: str, kind: str, higher: bool,
                                                      value: float) -> None:
    s = section(latest, previous, kind, higher, value)
    reasons = " ".join(r for d in read_deviations([s], AUTUMN) for r in d.reasons)
    invented = latest in INVENTED or previous in INVENTED
    wrong_way = (value > 4.4) != higher
    # only a hoogstens/minimaal target judges the direction; a followed figure (none, "volgen") never is
    judged_by_direction = kind in ("at_most", "at_least")
    assert ("De verkeerde kant op" in reasons) == (wrong_way and not invented and judged_by_direction)
    content = ReportContent(generated_at=dt.datetime(2026, 11, 27), municipality="Almelo",
                            goals=[Goal(2, "g", [s])], moment=AUTUMN)
    assert [x.code for x in content.not_judged] == ([s.code] if invented else [])


@pytest.mark.parametrize("latest", CLASSES)
def test_a_highlight_marks_its_invented_number(latest: str) -> None:
    s = section(latest, "cbs_live", "none", True, 3.8)
    first_seen = pd.DataFrame([dict(indicator_code=s.code, region_code="GM0141", period_code="2025JJ00",
                                    first_seen_at=pd.Timestamp(2026, 6, 1))])
    revisions = pd.DataFrame(columns=["indicator_code", "region_code", "changed_at"])
    [h] = read_highlights([s], first_seen, revisions, {}, AUTUMN, dt.datetime(2026, 11, 27))
    assert "3,8 ha" in h.text
    assert (f"3,8 ha [{MARK}" in h.text) == (latest in INVENTED)
    assert (MARK in h.text) == (latest in INVENTED)
