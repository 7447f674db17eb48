"""Build the bundled replay snapshots (``ea_pipelines/snapshots/cbs/<table_id>/``).

For a table with a real capture (a folder of raw CBS v4 bodies, e.g. ``../shared/data/cbs_v4/03759ned``)
the capture files are copied byte for byte. For every other catalogue table a synthetic table is
generated (see :mod:`ea_pipelines.devtools.synthetic`). Either way the real client fetches the table
from the fake server on 127.0.0.1 once, so the manifest holds exactly the requests the pipeline
makes; a replay then needs no network.

    python -m ea_pipelines.devtools.build_snapshots --capture-dir ../shared/data/cbs_v4
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from ea_pipelines.catalogue.cbs import CbsCatalogue, CbsTable, load_cbs_catalogue
from ea_pipelines.cbs.editions import Edition
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.cbs.transport import MANIFEST, sha256
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.devtools.synthetic import REFERENCE_DIR, capture_file_for, capture_table, synthetic_table
from ea_pipelines.files import write_atomic
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_SNAPSHOT_DIR

POPULATION_CAPTURE = "03759ned"
#: when the real capture in the shared reference data was taken (the manifest's captured_at: the report's data date)
POPULATION_CAPTURED_AT = "2026-07-02T00:00:00+00:00"


def _file_name(key: str) -> str:
    path, _, query = key.partition("?")
    name = path.replace("/$count", "-count").replace("/", "-")
    if "$skip=" in query:
        name += "-skip" + query.split("$skip=")[1].split("&")[0]
    return name + (".txt" if path.endswith("$count") else ".json")


def _check_same(served: Path, captured: Path, key: str) -> None:
    """The capture file must hold what the client received (observations are re-serialised by the fake)."""
    a, b = json.loads(served.read_bytes()), json.loads(captured.read_bytes())
    if a != b and a.get("value") != b.get("value"):
        raise SystemExit(f"{key}: the capture file {captured} does not hold the response the client received")


def build(catalogue: CbsCatalogue, out_dir: Path, capture_dir: Path | None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    captured = {p.name for p in capture_dir.iterdir() if p.is_dir()} if capture_dir else set()
    # The population capture is copied first: synthetic tables take their region weights from it.
    population = out_dir / POPULATION_CAPTURE
    if POPULATION_CAPTURE in captured:
        population.mkdir(exist_ok=True)
        for f in (capture_dir / POPULATION_CAPTURE).iterdir():
            shutil.copyfile(f, population / f.name)
    fakes: list[tuple[FakeTable, bool]] = []
    for spec in catalogue.tables:
        if spec.table_id in captured:
            fakes.append((capture_table(out_dir / spec.table_id if spec.table_id == POPULATION_CAPTURE
                                        else capture_dir / spec.table_id), False))
        else:
            fakes.append((synthetic_table(spec, catalogue, population), True))
    written = []
    with FakeCbsServer([f for f, _ in fakes], page_size=1_000_000) as server, tempfile.TemporaryDirectory() as tmp:
        source = CbsSource("live", server.v4_url, server.v3_url, out_dir, Path(tmp),
                           RetryPolicy(timeout=10, max_attempts=1))
        for spec, (_, synthetic) in zip(catalogue.tables, fakes, strict=True):
            result = source.fetch(spec, batch_id="snapshot")
            target = out_dir / spec.table_id
            target.mkdir(exist_ok=True)
            responses = {}
            for f in result.data.responses:
                landed = Path(tmp) / "cbs" / "objects" / f.sha256[:2] / f"{f.sha256}.json"
                if synthetic:
                    name = _file_name(f.key)
                    shutil.copyfile(landed, target / name)
                elif f.key.split("?")[0].endswith("$count"):
                    # The capture holds no $count response: derived from the rows the capture holds.
                    name = "observations-count.txt"
                    shutil.copyfile(landed, target / name)
                else:
                    name = capture_file_for(f.key.split("?")[0])
                    _check_same(landed, target / name, f.key)
                responses[f.key] = {"file": name, "sha256": sha256((target / name).read_bytes())}
            manifest = {
                "table_id": spec.table_id,
                "api": spec.api,
                "synthetic": synthetic,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "note": (synthetic_note(spec) if synthetic else
                         "Real CBS OData v4 responses captured 2026-07-02, copied as-is. "
                         "observations-count.txt is derived (rows in the capture; the capture has no "
                         "$count response)."),
                "rows": result.data.announced_rows,
                "responses": responses,
            }
            if not synthetic:
                manifest["captured_at"] = POPULATION_CAPTURED_AT
            if spec.has_editions:  # what replay knows of the editions (ea_pipelines.cbs.editions.from_manifests)
                manifest["editions"] = manifest_editions(spec, result.data.properties.status)
            write_atomic(target / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            written.append(target)
            print(f"{spec.table_id}: {len(responses)} responses, {result.data.announced_rows} rows, "
                  f"{'synthetic' if synthetic else 'real capture'}")
    return written


def synthetic_note(spec: CbsTable) -> str:
    """What a synthetic snapshot is: real metadata where ``cbs_reference`` has it, else unverified keys."""
    if (REFERENCE_DIR / spec.table_id).is_dir():
        return ("SYNTHETIC: illustrative values, not CBS figures, served with the real CBS OData v4 metadata of "
                f"{spec.table_id} (Properties, Dimensions, MeasureCodes, PeriodenCodes with their Descriptions; "
                "ea_pipelines/devtools/cbs_reference); its MeasureGroups' titles are inferred.")
    return ("SYNTHETIC: illustrative values in the exact response format of CBS OData "
            f"{spec.api}; measure keys not verified against the live table. Not CBS figures.")


def manifest_editions(spec: CbsTable, status: str) -> list[dict[str, object]]:
    """The entry's editions known when the snapshot is built: the configured chain; title and status of
    the snapshot's own table as its metadata gives them, the others' unknown (empty) until captured."""
    return [Edition(t, spec.title if t == spec.table_id else "", status if t == spec.table_id else "").as_manifest()
            for t in spec.editions or (spec.table_id,)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    parser.add_argument("--out", type=Path, default=DEFAULT_SNAPSHOT_DIR)
    parser.add_argument("--capture-dir", type=Path, default=None,
                        help="folder with one sub-folder of raw CBS v4 bodies per captured table")
    args = parser.parse_args()
    build(load_cbs_catalogue(args.catalogue), args.out, args.capture_dir)


if __name__ == "__main__":
    main()
