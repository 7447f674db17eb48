"""The report's as-of figures run the ``kernindicatoren`` model of the SQL models EA_SQL_DIR names, not the bundled
ones (a setting is honoured by every consumer)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ea_pipelines.report.vintage import VINTAGE, kern_sql
from ea_pipelines.settings import DEFAULT_SQL_DIR, Settings


def test_the_as_of_kernindicatoren_come_from_the_configured_sql_dir(tmp_path: Path) -> None:
    copy = tmp_path / "sql"
    shutil.copytree(DEFAULT_SQL_DIR, copy)
    model = copy / "marts" / "kernindicatoren.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- marker of the configured copy\n", encoding="utf-8")
    assert Settings.from_env({"EA_SQL_DIR": str(copy)}).sql_dir == copy
    mine, bundled = kern_sql(copy), kern_sql(DEFAULT_SQL_DIR)
    assert "marker of the configured copy" in mine and "marker of the configured copy" not in bundled
    assert f"WITH {VINTAGE} AS" in mine  # still run over the vintage, not over marts.fact_indicator_value
