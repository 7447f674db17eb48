"""Templates: one xlsx and one csv per delivery type, with a Dutch explanation, that the parser accepts."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cli import main
from ea_pipelines.deliveries.validate import parse_delivery
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE


def test_templates_for_every_type_parse_back(tmp_path: Path) -> None:
    assert main(["templates", "--out", str(tmp_path)]) == 0
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    regions = RegionIndex.from_code_list()
    for dtype in catalogue.types:
        for suffix in (".xlsx", ".csv"):
            path = tmp_path / f"{dtype.name}{suffix}"
            parsed = parse_delivery(dtype, path.name, path.read_bytes(), regions)
            assert len(parsed.frame) == 1, path  # the example row
        book = openpyxl.load_workbook(tmp_path / f"{dtype.name}.xlsx")
        assert book.sheetnames == ["gegevens", "toelichting"]
        assert [c.value for c in book["gegevens"][1]] == [c.header for c in dtype.columns]
        notes = "\n".join(r[0].value or "" for r in book["toelichting"].iter_rows())
        readme = (tmp_path / f"{dtype.name}_toelichting.txt").read_text(encoding="utf-8")
        assert notes.strip() == readme.strip()
        assert "Zo vult u het in:" in readme and all(c.header in readme for c in dtype.columns)
