"""The catalogues' frequency words as the window in which a source's next version is due."""

from __future__ import annotations

import datetime as dt

import pytest

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.catalogue.frequency import due_window
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE


@pytest.mark.parametrize(("frequency", "warn_days", "fail_days"), [
    ("Per jaar", 365, 457), ("jaarlijks", 365, 457), ("per kwartaal", 92, 138), ("Per maand", 31, 46),
    ("tweejaarlijks", 730, 822), (" per halfjaar ", 183, 244)])
def test_a_regular_frequency_is_one_interval_then_grace(frequency: str, warn_days: int, fail_days: int) -> None:
    window = due_window(frequency)
    assert window is not None
    assert (window.warn, window.fail) == (dt.timedelta(days=warn_days), dt.timedelta(days=fail_days))
    assert window.warn < window.fail


@pytest.mark.parametrize("frequency", ["", None, "per peildatum", "onregelmatig"])
def test_no_window_without_a_regular_frequency(frequency: str | None) -> None:
    assert due_window(frequency) is None


def test_every_cbs_table_and_the_regular_deliveries_have_a_window() -> None:
    assert all(due_window(t.frequency) for t in load_cbs_catalogue(DEFAULT_CATALOGUE).tables)
    deliveries = {t.name: t.frequency for t in load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).types}
    assert deliveries["uwv_spanningsindicator"] == "per kwartaal" and due_window(deliveries["uwv_spanningsindicator"])
    assert deliveries["ikbindr_labels"] == ""  # counted per peildatum: no regular interval
