"""``checked_asset``: an asset with checks that may leave them without a new result, and respects a selection."""

import dagster as dg

from ea_pipelines.defs.checks import checked_asset

KEY = dg.AssetKey(["toets", "tabel"])


def build(calls: list[str], report: bool = True) -> dg.AssetsDefinition:
    @checked_asset(KEY, group_name="toets", code_version="1",
                   check_specs=[dg.AssetCheckSpec("een", asset=KEY, blocking=True),
                                dg.AssetCheckSpec("twee", asset=KEY)])
    def _asset(context: dg.AssetExecutionContext):
        calls.append(context.run_id)
        if report:
            yield dg.AssetCheckResult(check_name="een", passed=True)
            yield dg.AssetCheckResult(check_name="twee", passed=False, severity=dg.AssetCheckSeverity.WARN)
        yield dg.MaterializeResult(metadata={"rows": 3})

    return _asset


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_it_is_the_asset_dagster_asset_would_declare() -> None:
    asset = build([])
    assert asset.op.name == "toets__tabel" and asset.keys == {KEY}
    assert asset.check_keys == {dg.AssetCheckKey(KEY, "een"), dg.AssetCheckKey(KEY, "twee")}
    assert asset.specs_by_key[KEY].group_name == "toets" and asset.code_versions_by_key[KEY] == "1"


def test_every_check_reports_when_the_step_works_and_none_need_when_it_does_nothing() -> None:
    result = dg.materialize([build([])])
    assert result.success and evaluations(result) == {"een": True, "twee": False}
    quiet = dg.materialize([build([], report=False)])
    assert quiet.success and evaluations(quiet) == {}
    assert [e.asset_key for e in quiet.get_asset_materialization_events()] == [KEY]


def test_a_subset_of_the_checks_reports_only_those() -> None:
    selection = dg.AssetSelection.assets(KEY).without_checks() | dg.AssetSelection.checks(
        dg.AssetCheckKey(KEY, "twee"))
    result = dg.materialize([build([])], selection=selection)
    assert result.success and evaluations(result) == {"twee": False}


def test_checks_without_their_asset_fail_clearly_and_load_nothing() -> None:
    calls: list[str] = []
    result = dg.materialize([build(calls)], selection=dg.AssetSelection.checks(dg.AssetCheckKey(KEY, "een")),
                            raise_on_error=False)
    assert not result.success and calls == []
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "the checks of toets/tabel run when it is materialised" in failure.step_failure_data.error.message
