"""Quality check results as Dagster asset checks: specs from the checks catalogue, results from GX.

An asset whose inputs did not change does no work and evaluates no check: its checks' last results stand
(Dagster's asset health reads each check's last completed evaluation; the run shows them as skipped). Only a
subsettable asset may leave its checks without a result, so assets with checks are declared with
:func:`checked_asset`.
"""

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg

from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.quality.suites import CheckConfig

SEVERITY = {"ERROR": dg.AssetCheckSeverity.ERROR, "WARN": dg.AssetCheckSeverity.WARN}


def check_specs(key: dg.AssetKey, names: list[str], checks: dict[str, CheckConfig]) -> list[dg.AssetCheckSpec]:
    """ERROR checks block: when one fails, steps downstream of the asset in the same run are skipped."""
    return [dg.AssetCheckSpec(name, asset=key, blocking=checks[name].severity == "ERROR",
                              description=f"[{checks[name].severity}] {checks[name].description}") for name in names]


def check_results(key: dg.AssetKey, outcomes: list[CheckOutcome], kept: str,
                  docs_link: dg.MetadataValue | None = None) -> list[dg.AssetCheckResult]:
    """``docs_link``: the Data Docs as served over HTTP (QualityResource.docs_link), in place of a file:// link."""
    results = []
    for o in outcomes:
        if o.carried_from is not None:  # recorded for an earlier load of the same data, not evaluated now
            continue
        metadata: dict[str, object] = {
            "expectations_evaluated": o.evaluated,
            "expectations_failed": o.failed,
            "unexpected_count": o.unexpected,
            "failing_rows": dg.MetadataValue.md(o.sample_markdown()),
        }
        if o.failures:
            metadata["failures"] = dg.MetadataValue.md("\n".join(f"- `{f}`" for f in o.failures[:20]))
        if o.docs:
            metadata["data_docs"] = docs_link or dg.MetadataValue.url(o.docs)
        if o.blocking:
            metadata["published"] = kept
        results.append(dg.AssetCheckResult(asset_key=key, check_name=o.check, passed=o.passed,
                                           severity=SEVERITY[o.severity], metadata=metadata))
    return results


def checked_asset(key: dg.AssetKey, *, check_specs: list[dg.AssetCheckSpec],
                  retry_policy: dg.RetryPolicy | None = None, **spec: Any) -> Callable[[Callable], dg.AssetsDefinition]:
    """``@dg.asset(key=key, check_specs=..., **spec)`` whose steps may leave checks without a new result.

    A single-asset ``multi_asset`` with ``can_subset=True`` (the op and step keep the name ``@dg.asset`` gives
    them). The checks run with the materialisation: a step that selects only some of them reports only those,
    and a selection of checks without their asset fails with a clear message instead of loading anyway.
    """
    def decorate(fn: Callable) -> dg.AssetsDefinition:
        @functools.wraps(fn)
        def selected(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Iterator[Any]:
            if key not in context.selected_asset_keys:
                raise dg.Failure(f"the checks of {key.to_user_string()} run when it is materialised: select the "
                                 f"asset itself", allow_retries=False)
            wanted = context.selected_asset_check_keys
            for event in fn(context, *args, **kwargs):
                if isinstance(event, dg.AssetCheckResult) and \
                        dg.AssetCheckKey(key, event.check_name) not in wanted:
                    continue
                yield event

        return dg.multi_asset(name=key.to_python_identifier(), specs=[dg.AssetSpec(key, **spec)],
                              check_specs=check_specs, can_subset=True, retry_policy=retry_policy)(selected)

    return decorate


class _NoNewResultIsIntended(logging.Filter):
    """Dagster warns, per downstream step and blocking check, that a step emitted no result for a blocking
    check and the downstream step proceeds without gating on it. Here a step emits no result only when its
    asset found its inputs unchanged and did no work (the last results, which let that data through, stand;
    ``defs/test_incremental.py`` checks that a step that works reports every check), so the warning, some
    1,700 lines in a nightly run with nothing new, says nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Blocking asset check ")


logging.getLogger("dagster._core.execution.plan.active").addFilter(_NoNewResultIsIntended())
