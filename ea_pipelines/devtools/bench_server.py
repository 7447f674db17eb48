"""A fake CBS OData server for the benchmark: synthetic tables of millions of rows, generated page by page.

Run as its own process (``python -m ea_pipelines.devtools.bench_server``; it prints its root URL), so
that the benchmark's clients do not share its interpreter. Tables ``BENCH1M`` and ``BENCH5M`` exist in
both dialects with the same values: OData v4 (long ``Observations``, one row per value, with
``@odata.nextLink``) and the v3 feed (wide ``TypedDataSet``, one row per region x period x age with the
four measures as columns, padded keys, ``odata.nextLink``, ``TableInfos``, ``DataProperties``, the
service document that ``cbsodata`` reads). Rows are deterministic and generated when a page is asked
for, with the standard library's ``json``, as a remote server builds its pages: nothing is held in
memory. ``$filter`` is not evaluated: the benchmark catalogue selects every row (all regions are
municipalities), and ``$count`` answers the table's size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from ea_pipelines.reference.regions import RegionIndex

V4_ROOT = "/odata/v1/CBS"
V3_ROOT = "/ODataFeed/odata"
PAGE = 10_000
MEASURES = ("M900001", "M900002", "M900003", "M900004")
V3_TOPICS = tuple(f"Meting{i}_{i}" for i in range(1, 5))  # v3 keys of the same four measures
AGES = ("10000", "20100", "20200", "20300", "20400")
REGIONS = 400
MODIFIED = "2026-11-01T02:00:00+01:00"
#: table id -> observations (v4 rows); v3 has a quarter as many rows, four values each
TABLES = {"BENCH1M": 1_000_000, "BENCH5M": 5_000_000}


@cache
def regions() -> tuple[str, ...]:
    """Real municipality codes (so the quality gate's region check passes), the first 400."""
    return tuple(sorted(c for c in RegionIndex.from_code_list().names if c.startswith("GM"))[:REGIONS])


def periods(table_id: str) -> list[str]:
    """Monthly periods ending in 2025MM12, as many as the table's size needs."""
    n = TABLES[table_id] // (len(MEASURES) * len(AGES) * REGIONS)
    months = [(2025 - k // 12, 12 - k % 12) for k in range(n)][::-1]
    return [f"{y}MM{m:02d}" for y, m in months]


def value(i: int) -> float:
    return ((i * 2_654_435_761) % 1_000_000) / 10.0


def v4_rows(table_id: str, start: int, stop: int) -> list[dict]:
    regs, pers = regions(), periods(table_id)
    out = []
    for i in range(start, min(stop, TABLES[table_id])):
        out.append({"Id": i, "Measure": MEASURES[i % 4], "ValueAttribute": "None", "Value": value(i),
                    "StringValue": None, "Leeftijd": AGES[(i // 4) % 5], "RegioS": regs[(i // 20) % REGIONS],
                    "Perioden": pers[i // (20 * REGIONS)]})
    return out


def v3_rows(table_id: str, start: int, stop: int) -> list[dict]:
    regs, pers = regions(), periods(table_id)
    out = []
    for j in range(start, min(stop, TABLES[table_id] // 4)):
        row = {"ID": j, "Leeftijd": f"{AGES[j % 5]:<8}", "RegioS": f"{regs[(j // 5) % REGIONS]:<10}",
               "Perioden": pers[j // (5 * REGIONS)]}
        for k, topic in enumerate(V3_TOPICS):
            row[topic] = value(4 * j + k)
        out.append(row)
    return out


def v4_metadata(table_id: str, entity: str, root: str) -> dict | None:
    ctx = {"@odata.context": f"{root}{V4_ROOT}/{table_id}/$metadata#{entity}"}
    if entity == "Properties":
        return {**ctx, "Identifier": table_id, "Title": f"Benchmark table {table_id} (SYNTHETIC)",
                "Modified": MODIFIED, "Status": "Regulier", "ObservationCount": TABLES[table_id]}
    if entity == "MeasureCodes":
        return {**ctx, "value": [{"Identifier": m, "Index": i, "Title": f"Meting {i + 1}", "Unit": "aantal",
                                  "Decimals": 1} for i, m in enumerate(MEASURES)]}
    if entity == "Dimensions":
        return {**ctx, "value": [{"Identifier": "Leeftijd", "Kind": "Dimension"},
                                 {"Identifier": "RegioS", "Kind": "GeoDimension"},
                                 {"Identifier": "Perioden", "Kind": "TimeDimension"}]}
    codes = {"LeeftijdCodes": [(a, a) for a in AGES], "RegioSCodes": [(r, r) for r in regions()],
             "PeriodenCodes": [(p, p) for p in periods(table_id)]}
    if entity in codes:
        return {**ctx, "value": [{"Identifier": c, "Title": t, "Status": "Definitief" if entity == "PeriodenCodes"
                                  else None} for c, t in codes[entity]]}
    return None


def v3_metadata(table_id: str, entity: str, root: str) -> dict | None:
    base = f"{root}{V3_ROOT}/{table_id}"
    meta = {"odata.metadata": f"{base}/$metadata#Cbs.OData.WebAPI.{entity}"}
    if entity == "":
        names = ["TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties", "CategoryGroups",
                 "Leeftijd", "RegioS", "Perioden"]
        return {"odata.metadata": f"{base}/$metadata", "value": [{"name": n, "url": f"{base}/{n}"} for n in names]}
    if entity == "TableInfos":
        return {**meta, "value": [{"ID": 0, "Identifier": table_id, "Title": f"Benchmark {table_id} (SYNTHETIC)",
                                   "Modified": MODIFIED[:19], "Frequency": "Perjaar", "OutputStatus": "Regulier",
                                   "RecordCount": TABLES[table_id] // 4}]}
    if entity == "DataProperties":
        props = [{"ID": 0, "Position": 0, "Type": "Dimension", "Key": "Leeftijd", "Title": "Leeftijd"},
                 {"ID": 1, "Position": 1, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's"},
                 {"ID": 2, "Position": 2, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden"}]
        props += [{"ID": 3 + i, "Position": 3 + i, "Type": "Topic", "Key": t, "Title": f"Meting {i + 1}",
                   "Unit": "aantal", "Decimals": 1} for i, t in enumerate(V3_TOPICS)]
        return {**meta, "value": props}
    if entity == "CategoryGroups":
        return {**meta, "value": []}
    codes = {"Leeftijd": [f"{a:<8}" for a in AGES], "RegioS": [f"{r:<10}" for r in regions()],
             "Perioden": periods(table_id)}
    if entity in codes:
        return {**meta, "value": [{"Key": k, "Title": k.strip(), "Description": "",
                                   "Status": "Definitief" if entity == "Perioden" else None} for k in codes[entity]]}
    return None


def answer(path: str, params: dict[str, str], root: str) -> tuple[int, str, bytes]:
    for api, prefix in (("v4", V4_ROOT), ("v3", V3_ROOT)):
        if not path.startswith(prefix + "/"):
            continue
        table_id, _, entity = path[len(prefix) + 1:].partition("/")
        if table_id not in TABLES:
            return 404, "application/json", b'{"error": "not found"}'
        rows_set, total, gen, link_key = (("Observations", TABLES[table_id], v4_rows, "@odata.nextLink") if api == "v4"
                                          else ("TypedDataSet", TABLES[table_id] // 4, v3_rows, "odata.nextLink"))
        if entity == f"{rows_set}/$count":
            return 200, "text/plain", str(total).encode()
        if entity == rows_set or (api == "v3" and entity == "UntypedDataSet"):  # cbsodata reads the untyped one
            skip = int(params.get("$skip", "0"))
            body = {"@odata.context" if api == "v4" else "odata.metadata": f"{root}{prefix}/{table_id}/{rows_set}",
                    "value": gen(table_id, skip, skip + PAGE)}
            if skip + PAGE < total:
                body[link_key] = f"{root}{prefix}/{table_id}/{rows_set}?{urlencode({**params, '$skip': skip + PAGE})}"
            return 200, "application/json; charset=utf-8", json.dumps(body).encode()
        meta = (v4_metadata if api == "v4" else v3_metadata)(table_id, entity.rstrip("/"), root)
        if meta is None:
            return 404, "application/json", b'{"error": "no such entity set"}'
        return 200, "application/json; charset=utf-8", json.dumps(meta).encode()
    return 404, "text/plain", b"not found"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        root = f"http://{self.headers.get('Host')}"
        status, ctype, body = answer(parts.path, dict(parse_qsl(parts.query)), root)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    print(f"http://127.0.0.1:{httpd.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
