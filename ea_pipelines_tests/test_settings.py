"""Settings come from EA_* environment variables, are checked, and never leak a password."""

from __future__ import annotations

import pytest

from ea_pipelines.masking import mask
from ea_pipelines.settings import Settings, SettingsError


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.warehouse_url == "duckdb:///warehouse/ea.duckdb"
    assert s.source_mode == "auto"
    assert s.cbs_v4_url == "https://datasets.cbs.nl/odata/v1/CBS"
    assert s.cbs_v3_url == "https://opendata.cbs.nl/ODataFeed/odata"


def test_overrides() -> None:
    s = Settings.from_env({"EA_SOURCE_MODE": " Replay ", "EA_CBS_V4_URL": "http://127.0.0.1:8000/v4/",
                           "EA_HTTP_TIMEOUT": "5", "EA_HTTP_MAX_ATTEMPTS": "2"})
    assert (s.source_mode, s.cbs_v4_url, s.http_timeout, s.http_max_attempts) == (
        "replay", "http://127.0.0.1:8000/v4", 5.0, 2)


@pytest.mark.parametrize("env,message", [
    ({"EA_SOURCE_MODE": "offline"}, "choose one of live, replay, auto"),
    ({"EA_HTTP_TIMEOUT": "soon"}, "EA_HTTP_TIMEOUT='soon' is not a number"),
    ({"EA_HTTP_MAX_ATTEMPTS": "0"}, "must be a whole number >= 1"),
    ({"EA_WAREHOUSE_URL": "not a url"}, "EA_WAREHOUSE_URL is not a valid SQLAlchemy URL"),
    ({"EA_TODAY": "30-11-2026"}, "EA_TODAY='30-11-2026': use a date as YYYY-MM-DD"),
])
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_passwords_are_masked() -> None:
    shown = mask("postgresql+psycopg://ea:s3cret@db.example:5432/ea")
    assert shown == "postgresql+psycopg://ea:***@db.example:5432/ea"


def test_the_table_bounds_reach_both_sources_policies() -> None:
    from ea_pipelines.defs.resources import resources_from_settings

    s = Settings.from_env({"EA_HTTP_TABLE_DEADLINE": "7.5", "EA_HTTP_MAX_CODES": "1234", "EA_SOURCE_MODE": "replay"})
    assert (s.http_table_deadline, s.http_max_codes) == (7.5, 1234)
    resources = resources_from_settings(s)
    for name in ("cbs", "swing"):
        policy = resources[name].policy()
        assert (policy.table_deadline, policy.max_codes) == (7.5, 1234), name
