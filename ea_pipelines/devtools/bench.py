"""``make bench``: CBS ingestion throughput and memory against a local fake OData server, side by side.

Per table (``BENCH1M``: 1,000,000 values; ``BENCH5M``: 5,000,000) it measures, each approach in a fresh
subprocess so that peak RSS is its own (``os.wait4``):

- ``floor``: download the same observation pages (v4 and v3) and do nothing with them;
- ``ours``: ``load_cbs_table`` end to end: fetch, parse, check (quality gate), stream into DuckDB, publish;
- ``noop``: the same again on the warehouse ``ours`` left: nothing changed upstream, only metadata;
- ``naive``: ``cbsodata.get_data`` on the v3 feed, then ``DataFrame.to_sql`` into DuckDB (capped, see
  ``--naive-max``: it holds the whole table in memory and inserts through SQLAlchemy).

Then the whole ``nightly_refresh`` in replay, twice (full, then no-op), with Dagster's share of the wall
time, the work each run did (models rebuilt, deliveries validated, report redrawn) and the no-op's share
of the full run. Throughput is in values (observations) per second: a v3 row holds four. Results: a Markdown table
on stdout and ``data/bench/results.json``. This is a benchmark, not a test: numbers vary by machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ea_pipelines.devtools.bench_server import TABLES

VALUES_PER_V3_ROW = 4
OUT_DIR = Path("data/bench")


# -- approaches, each run in its own process ------------------------------------------------------------

def floor(url: str, table_id: str, api: str) -> dict:
    import requests

    session = requests.Session()
    root = f"{url}/odata/v1/CBS" if api == "v4" else f"{url}/ODataFeed/odata"
    entity, link_key = ("Observations", b"@odata.nextLink") if api == "v4" else ("TypedDataSet", b"odata.nextLink")
    next_url: str | None = f"{root}/{table_id}/{entity}" + ("?$format=json" if api == "v3" else "")
    pages = size = 0
    pattern = re.compile(rb'"' + re.escape(link_key) + rb'": "([^"]+)"')
    while next_url:
        body = session.get(next_url, timeout=60).content
        pages += 1
        size += len(body)
        found = pattern.search(body, max(0, len(body) - 1000))  # the link is at the end: no parsing
        next_url = found.group(1).decode() if found else None
    values = TABLES[table_id]
    return {"values": values, "pages": pages, "bytes": size}


def _spec(table_id: str, api: str):
    from ea_pipelines.catalogue.cbs import CbsTable, RegionSelection
    from ea_pipelines.devtools.bench_server import MEASURES, V3_TOPICS

    codes = MEASURES if api == "v4" else V3_TOPICS
    return CbsTable(name=f"bench_{table_id.lower()}_{api}", table_id=table_id, api=api, title="Benchmark",
                    description="", frequency="", measures={c: c for c in codes},
                    regions=RegionSelection(prefixes=("GM",)), value_ranges={codes[0]: (0, None)})


def ours(url: str, table_id: str, api: str, work: Path) -> dict:
    from ea_pipelines.cbs.source import CbsSource
    from ea_pipelines.devtools.isolated import isolated_settings
    from ea_pipelines.ingest.cbs_table import load_cbs_table
    from ea_pipelines.quality.gate import QualityGate
    from ea_pipelines.reference.regions import RegionIndex
    from ea_pipelines.warehouse.db import Warehouse

    settings = isolated_settings(work)
    wh = Warehouse(settings.warehouse_url, duckdb_memory_limit=settings.duckdb_memory_limit)
    wh.ensure_schema()
    source = CbsSource("live", f"{url}/odata/v1/CBS", f"{url}/ODataFeed/odata", work / "snapshots",
                       settings.landing_dir)
    gate = QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=settings.data_docs_dir)
    report = load_cbs_table(_spec(table_id, api), source, wh, batch_id=f"bench-{time.time_ns()}", gate=gate)
    failed = [o.check for o in report.checks if not o.passed]
    wh.dispose()
    return {"values": report.rows, "status": report.status, "requests": report.requests,
            "bytes": report.bytes_received, "failed_checks": failed, "skipped": bool(report.skipped),
            "phases": report.phase_seconds}


def naive(url: str, table_id: str, work: Path) -> dict:
    import cbsodata
    import pandas as pd
    import sqlalchemy as sa

    cbsodata.options.use_https = False
    data = cbsodata.get_data(table_id, catalog_url=url.removeprefix("http://"))
    frame = pd.DataFrame(data)
    engine = sa.create_engine(f"duckdb:///{work}/naive.duckdb")
    frame.to_sql("observations", engine, index=False, if_exists="replace", chunksize=10_000)
    engine.dispose()
    return {"values": len(frame) * VALUES_PER_V3_ROW, "rows": len(frame)}


def nightly(work: Path) -> dict:
    """``nightly_refresh`` in replay, twice, timed; Dagster's share is the wall time outside step bodies."""
    t0 = time.perf_counter()
    import dagster as dg

    from ea_pipelines.definitions import build_definitions
    from ea_pipelines.settings import Settings

    settings = Settings.from_env(_nightly_env(work))
    job = build_definitions(settings).resolve_job_def("nightly_refresh")
    setup = time.perf_counter() - t0
    out: dict = {"import_and_definitions_s": round(setup, 2)}
    with dg.DagsterInstance.ephemeral() as instance:
        for run in ("full", "noop"):
            t, cpu = time.perf_counter(), time.process_time()
            result = job.execute_in_process(instance=instance)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            steps: dict[str, float] = {}
            starts: dict[str, float] = {}
            for entry in instance.all_logs(result.run_id):
                e = entry.dagster_event
                if e is None:
                    continue
                if e.event_type_value == "STEP_START":
                    starts[e.step_key] = entry.timestamp
                elif e.event_type_value == "STEP_SUCCESS":
                    steps[e.step_key] = entry.timestamp - starts[e.step_key]
            work = {name: 0 for name in ("rebuilt", "validated", "redrawn", "republished")}
            for event in result.get_asset_materialization_events():
                meta = event.step_materialization_data.materialization.metadata
                for name in work:
                    work[name] += bool(name in meta and meta[name].value)
            out[run] = {"success": result.success, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                        "steps": len(steps),
                        "sum_step_s": round(sum(steps.values()), 2),
                        "dagster_outside_steps_s": round(wall - sum(steps.values()), 2),
                        "slowest": sorted(((round(v, 2), k) for k, v in steps.items()), reverse=True)[:3],
                        "work": work}  # models rebuilt, deliveries validated, report redrawn, copy republished
    out["noop_percent_of_full"] = round(100 * out["noop"]["wall_s"] / out["full"]["wall_s"], 1)
    # CPU seconds of this process: less sensitive than wall time to other work on the machine
    out["noop_cpu_percent_of_full"] = round(100 * out["noop"]["cpu_s"] / out["full"]["cpu_s"], 1)
    return out


#: what each approach imports, loaded before its clock starts (a nightly process imports once)
IMPORTS = {"floor": ["requests"],
           "ours": ["ea_pipelines.ingest.cbs_table", "ea_pipelines.quality.gate", "ea_pipelines.cbs.source",
                    "duckdb_engine", "pyarrow", "orjson"],
           "naive": ["cbsodata", "pandas", "sqlalchemy", "duckdb_engine"],
           "nightly": [], "nightly_multiprocess": []}


def nightly_multiprocess(work: Path) -> dict:
    """The same two runs under the multiprocess executor (one step at a time: one DuckDB writer)."""
    os.environ.update(_nightly_env(work))
    import dagster as dg

    from ea_pipelines.devtools.bench_executor import multiprocess_nightly

    out: dict = {}
    (work / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(work / "dagster")) as instance:
        for run in ("full", "noop"):
            t = time.perf_counter()
            result = dg.execute_job(dg.reconstructable(multiprocess_nightly), instance=instance)
            out[run] = {"success": result.success, "wall_s": round(time.perf_counter() - t, 2)}
    return out


def _nightly_env(work: Path) -> dict[str, str]:
    """Every writable location in ``work`` (reports, logs and Data Docs included): never the user's."""
    from ea_pipelines.devtools.isolated import isolated_env

    return {k: v for k, v in isolated_env(work).items() if k.startswith("EA_")}


def child(argv: list[str]) -> int:
    import importlib

    kind, *args = argv
    for module in IMPORTS[kind]:
        importlib.import_module(module)
    t = time.perf_counter()
    if kind == "floor":
        result = floor(args[0], args[1], args[2])
    elif kind == "ours":
        result = ours(args[0], args[1], args[2], Path(args[3]))
    elif kind == "naive":
        result = naive(args[0], args[1], Path(args[2]))
    elif kind == "nightly_multiprocess":
        result = nightly_multiprocess(Path(args[0]))
    else:
        result = nightly(Path(args[0]))
    result["seconds"] = round(time.perf_counter() - t, 3)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# -- the harness ------------------------------------------------------------------------------------------

def measure(*args: str) -> dict:
    """Run one approach in a fresh interpreter; its result plus its own peak RSS."""
    proc = subprocess.Popen([sys.executable, "-m", "ea_pipelines.devtools.bench", "--child", *args],
                            stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    line = next((line for line in out.splitlines() if line.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        return {"error": f"exit {proc.returncode}", "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    result = json.loads(line[len("RESULT "):])
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


def machine() -> dict:
    import importlib.metadata as md

    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {p: md.version(p) for p in ("dagster", "pandas", "pyarrow", "duckdb", "sqlalchemy", "orjson",
                                            "requests", "cbsodata", "great-expectations")}
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem / 2**20, 1),
            "python": platform.python_version(), "os": platform.platform(), "versions": versions}


def rate(r: dict) -> float | None:
    return r["values"] / r["seconds"] if r.get("seconds") and r.get("values") else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CBS ingestion benchmark (see module docstring)")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--tables", default=",".join(TABLES), help="comma-separated: BENCH1M,BENCH5M")
    parser.add_argument("--naive-max", type=int, default=1_000_000,
                        help="run the naive approach only on tables of at most this many values")
    parser.add_argument("--multiprocess", action="store_true",
                        help="also time nightly_refresh under the multiprocess executor (minutes)")
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    server = subprocess.Popen([sys.executable, "-m", "ea_pipelines.devtools.bench_server"],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip() if server.stdout else ""
    results: dict = {"machine": machine(), "tables": {}}
    try:
        for table_id in args.tables.split(","):
            r: dict = {}
            with tempfile.TemporaryDirectory(prefix="ea-bench-") as tmp:
                for api in ("v4", "v3"):
                    work = Path(tmp) / api
                    work.mkdir()
                    r[f"floor_{api}"] = measure("floor", url, table_id, api)
                    r[f"ours_{api}"] = measure("ours", url, table_id, api, str(work))
                    r[f"noop_{api}"] = measure("ours", url, table_id, api, str(work))
                if TABLES[table_id] <= args.naive_max:
                    r["naive_v3"] = measure("naive", url, table_id, tmp)
                else:
                    r["naive_v3"] = {"skipped": f"not run above --naive-max={args.naive_max:,} values"}
            results["tables"][table_id] = r
            print(f"{table_id}: " + json.dumps(r), file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="ea-bench-") as tmp:
            results["nightly_replay"] = measure("nightly", tmp)
        if args.multiprocess:
            with tempfile.TemporaryDirectory(prefix="ea-bench-") as tmp:
                results["nightly_replay_multiprocess"] = measure("nightly_multiprocess", tmp)
    finally:
        server.terminate()
        server.wait(timeout=10)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=1))
    print(render(results))
    return 0


def render(results: dict) -> str:
    m = results["machine"]
    lines = [f"Machine: {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}", "",
             "| table | approach | values | seconds | values/s | peak RSS MB | vs floor | ours vs it |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for table_id, r in results["tables"].items():
        for name, res in r.items():
            if "seconds" not in res:
                lines.append(f"| {table_id} | {name} | | | | | | {res.get('skipped') or res.get('error')} |")
                continue
            api = name.rsplit("_", 1)[-1]
            fl = r.get(f"floor_{api}", {}).get("seconds")
            ours_s = r.get(f"ours_{api}", {}).get("seconds")
            vs_floor = f"{res['seconds'] / fl:.2f}x" if fl and not name.startswith("floor") else ""
            speed = rate(res)
            ours_rate = rate(r.get(f"ours_{api}", {}))
            vs = ""
            if name.startswith("naive") and ours_rate and speed:
                vs = f"{ours_rate / speed:.1f}x faster"
            elif name.startswith("noop") and ours_s:
                vs = f"{100 * res['seconds'] / ours_s:.1f}% of a full load"
            lines.append(f"| {table_id} | {name} | {res.get('values', 0):,} | {res['seconds']:.2f} | "
                         f"{f'{speed:,.0f}' if speed else ''} | {res['peak_rss_mb']:.0f} | {vs_floor} | {vs} |")
    n = results.get("nightly_replay", {})
    if "full" in n:
        lines += ["", "nightly_refresh in replay (in-process executor):",
                  f"- import and definitions: {n['import_and_definitions_s']} s"]
        for run in ("full", "noop"):
            x = n[run]
            lines.append(f"- {run}: {x['wall_s']} s wall ({x.get('cpu_s')} s CPU), {x['steps']} steps, "
                         f"{x['sum_step_s']} s inside steps, "
                         f"{x['dagster_outside_steps_s']} s Dagster outside steps; slowest {x['slowest']}; "
                         f"work done {x.get('work', {})}")
        if "noop_percent_of_full" in n:
            lines.append(f"- no-op run: {n['noop_percent_of_full']} % of a full run's wall time, "
                         f"{n.get('noop_cpu_percent_of_full')} % of its CPU time (target: at most 10 %)")
    mp = results.get("nightly_replay_multiprocess", {})
    if "full" in mp:
        lines.append(f"- multiprocess executor (one step at a time): full {mp['full']['wall_s']} s, "
                     f"no-op {mp['noop']['wall_s']} s wall")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
