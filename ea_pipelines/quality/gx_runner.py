"""Run a :class:`Suite` with Great Expectations 1.x and report per named check.

GX is imported here, on first use, never at module load of anything Dagster imports (it takes about
2-3 s). One ephemeral GX context serves the process. Data Docs (HTML) are written to ``docs_dir`` for
every validation.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ea_pipelines.quality.datadocs import make_offline, neutralise
from ea_pipelines.quality.suites import Suite

log = logging.getLogger(__name__)
SAMPLE_ROWS = 10
_lock = threading.RLock()
_contexts: dict[str, Any] = {}


@dataclass
class CheckOutcome:
    check: str
    severity: str
    passed: bool
    description: str
    evaluated: int  # expectations evaluated
    failed: int  # expectations failed
    unexpected: int  # rows that failed, summed over the check's expectations
    failures: list[str] = field(default_factory=list)  # one line per failed expectation
    sample: pd.DataFrame | None = None  # failing rows (up to SAMPLE_ROWS)
    docs: str | None = None
    #: the load whose recorded result this is, for a result not evaluated again (unchanged data); None: evaluated now
    carried_from: str | None = None

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == "ERROR"

    def sample_markdown(self) -> str:
        if self.sample is None or self.sample.empty:
            return "_no failing rows to show_" if not self.passed else "_all rows pass_"
        return self.sample.to_markdown(index=False)


def combine(runs: list[list[CheckOutcome]]) -> list[CheckOutcome]:
    """One outcome per check over several validations (e.g. several files in one run)."""
    merged: dict[str, CheckOutcome] = {}
    for outcomes in runs:
        for o in outcomes:
            m = merged.get(o.check)
            if m is None:
                merged[o.check] = CheckOutcome(o.check, o.severity, o.passed, o.description, o.evaluated, o.failed,
                                               o.unexpected, list(o.failures), o.sample, o.docs)
                continue
            m.passed &= o.passed
            m.evaluated += o.evaluated
            m.failed += o.failed
            m.unexpected += o.unexpected
            m.failures += o.failures
            if m.sample is None:
                m.sample = o.sample
    return list(merged.values())


def _context(docs_dir: Path):
    key = str(docs_dir.resolve())
    with _lock:
        if key not in _contexts:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
            import great_expectations as gx

            ctx = gx.get_context(mode="ephemeral")
            with contextlib.suppress(Exception):  # if refused, progress bars stay on; nothing else changes
                ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
            ctx.add_data_docs_site(site_name="ea", site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": key},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
            _contexts[key] = (ctx, ctx.data_sources.add_pandas("ea"))
        return _contexts[key]


def _describe(cfg: Any) -> str:
    kw = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id", "condition_parser")}
    if "value_set" in kw and len(kw["value_set"]) > 8:
        kw["value_set"] = f"<{len(kw['value_set'])} values>"
    return f"{cfg.type}({', '.join(f'{k}={v!r}' for k, v in kw.items())})"


def run_suite(suite: Suite, docs_dir: Path) -> list[CheckOutcome]:
    """Validate ``suite.frame``; one outcome per check of the suite, in the suite's order."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.checkpoint import UpdateDataDocsAction

    docs_dir.mkdir(parents=True, exist_ok=True)
    with _lock:
        ctx, source = _context(docs_dir)
        # a suite of the same name from an earlier validation in this process is replaced
        names = [a.name for a in source.assets]
        asset = source.get_asset(suite.name) if suite.name in names else source.add_dataframe_asset(suite.name)
        batches = [b.name for b in asset.batch_definitions]
        batch = (asset.get_batch_definition("all") if "all" in batches
                 else asset.add_batch_definition_whole_dataframe("all"))
        gx_suite = gx.ExpectationSuite(name=suite.name)
        for i, exp in enumerate(suite.expectations):
            gx_suite.add_expectation(getattr(gxe, exp.type)(**exp.kwargs, meta={"check": exp.check, "i": i}))
        gx_suite = ctx.suites.add_or_update(gx_suite)
        vd = ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
        checkpoint = ctx.checkpoints.add_or_update(gx.Checkpoint(
            name=suite.name, validation_definitions=[vd],
            actions=[UpdateDataDocsAction(name="docs", site_names=["ea"])],
            result_format={"result_format": "COMPLETE"}))
        frame = neutralise(suite.frame.reset_index(drop=True))  # GX writes values into its HTML as they are
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        make_offline(docs_dir)
    validation = next(iter(result.run_results.values()))
    docs = (docs_dir / "index.html").resolve().as_uri()
    outcomes = {name: CheckOutcome(name, cfg.severity, True, cfg.description, 0, 0, 0, docs=docs)
                for name, cfg in suite.checks.items()}
    failing_rows: dict[str, set[int]] = {name: set() for name in outcomes}
    for er in validation.results:
        check = er.expectation_config.meta["check"]
        out = outcomes[check]
        out.evaluated += 1
        if er.success:
            continue
        out.passed = False
        out.failed += 1
        res = er.result or {}
        unexpected = res.get("unexpected_count")
        if unexpected is None and er.exception_info and er.exception_info.get("raised_exception"):
            detail = er.exception_info.get("exception_message", "")
        else:
            detail = f"{unexpected} rows" if unexpected is not None else f"observed {res.get('observed_value')!r}"
        out.unexpected += int(unexpected or 0)
        out.failures.append(f"{_describe(er.expectation_config)}: {detail}")
        failing_rows[check].update(res.get("unexpected_index_list") or [])
    for name, note in suite.notes.items():
        if name in outcomes and not outcomes[name].evaluated:
            outcomes[name].failures.append(note)
    for name, rows in failing_rows.items():
        if rows:
            cols = [c for c in frame.columns if "__" not in c and c not in ("period_year",)]
            outcomes[name].sample = frame.loc[sorted(rows)[:SAMPLE_ROWS], cols]
    return list(outcomes.values())
