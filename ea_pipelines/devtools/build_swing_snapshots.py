"""Build the bundled SYNTHETIC replay snapshots of the Swing ODS variables (``ea_pipelines/snapshots/swing/``).

Each catalogue variable is fetched live, through the real client, from the fake Swing ODS
(:mod:`ea_pipelines.devtools.fake_swing_server`) serving synthetic values; the landed responses are copied next
to a manifest that says ``"synthetic": true``. The values are INVENTED (deterministic from a hash), never
Kennispunt figures; every load from these snapshots has provenance ``synthetic``.

    python -m ea_pipelines.devtools.build_swing_snapshots [--out DIR] [--catalogue FILE]

(defaults: EA_SWING_SNAPSHOT_DIR and EA_SWING_CATALOGUE, themselves defaulting to the bundled ones)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from ea_pipelines.catalogue.swing import SwingCatalogue, load_swing_catalogue
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.transport import MANIFEST
from ea_pipelines.devtools.fake_swing_server import FakeSwingServer, FakeVariable, synthetic_values
from ea_pipelines.files import write_atomic
from ea_pipelines.settings import Settings
from ea_pipelines.swing.source import SwingSource

NOTE = ("SYNTHETIC snapshot: invented values in the response format of a Swing Open Data Service, built by "
        "ea_pipelines.devtools.build_swing_snapshots against the fake ODS; NOT Kennispunt Twente figures. The "
        "variable code is a placeholder (see swing_variables.yaml).")
#: The last year in the snapshots; each variable's first is its catalogue's ``periods.from`` (else FALLBACK_FROM):
#: a snapshot covers the periods its catalogue entry declares.
UNTIL = 2025
FALLBACK_FROM = 2021
#: the root the snapshot bodies name: a reserved .invalid host, so that no one mistakes them for a real site's
PUBLIC_ROOT = "https://synthetic-swing-ods.invalid/jiveservices/odata"


def declared_periods(period_from: str | None, until: int = UNTIL) -> tuple[str, ...]:
    """The years a variable's snapshot holds: from its catalogue's ``periods.from`` up to ``until``."""
    first = int(period_from) if period_from else FALLBACK_FROM
    return tuple(str(y) for y in range(first, until + 1))


def all_periods(catalogue: SwingCatalogue) -> tuple[str, ...]:
    """Every year some variable's snapshot holds (the fake ODS serves one period list for all variables)."""
    return tuple(sorted({p for v in catalogue.variables for p in declared_periods(v.period_from)}))


def fake_variables(catalogue: SwingCatalogue) -> list[FakeVariable]:
    out = []
    for v in catalogue.variables:
        low, high = v.value_range
        low = 0.0 if low is None else float(low)
        high = low + 100.0 if high is None else float(high)
        out.append(FakeVariable(v.variable, v.title, synthetic_values(v.variable, low, high,
                                                                      periods=declared_periods(v.period_from))))
    return out


def build(out: Path, catalogue: SwingCatalogue) -> list[Path]:
    written = []
    periods = all_periods(catalogue)
    with tempfile.TemporaryDirectory() as tmp, FakeSwingServer(fake_variables(catalogue), periods=periods,
                                                               page_size=20, public_root=PUBLIC_ROOT) as ods:
        catalogue = SwingCatalogue(catalogue.site, tuple(
            type(v)(**{**v.__dict__, "period_from": None}) for v in catalogue.variables), catalogue.path)
        source = SwingSource.create("live", ods.ods_url, Path(tmp) / "snapshots", Path(tmp) / "landing", catalogue,
                                    policy=RetryPolicy(max_attempts=1))
        for var in catalogue.variables:
            result = source.fetch(var.table(), batch_id="snapshot")
            manifest = json.loads(result.manifest.read_text())
            target = out / var.variable
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            responses = {}
            for number, (key, entry) in enumerate(sorted(manifest["responses"].items()), start=1):
                name = f"response-{number:02d}.json"
                shutil.copyfile(result.manifest.parent / entry["file"], target / name)
                responses[key] = {"file": name, "sha256": entry["sha256"]}
            snapshot = {"table_id": var.variable, "api": "swing", "synthetic": True, "note": NOTE,
                        # the root the bodies' nextLinks name: replay resolves them under it, whatever root
                        # EA_SWING_ODS_URL names (an ODS 2.0 /ods/odata root included)
                        "source": PUBLIC_ROOT, "responses": responses}
            write_atomic(target / MANIFEST, json.dumps(snapshot, indent=1, sort_keys=True).encode())
            written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = Settings.from_env()  # the catalogue and snapshot folder of EA_SWING_CATALOGUE, EA_SWING_SNAPSHOT_DIR
    parser.add_argument("--out", type=Path, default=settings.swing_snapshot_dir)
    parser.add_argument("--catalogue", type=Path, default=settings.swing_catalogue_path)
    args = parser.parse_args()
    for path in build(args.out, load_swing_catalogue(args.catalogue)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
