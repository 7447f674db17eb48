"""Quality check results as Dagster asset checks: specs from the checks catalogue, results from GX."""

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
