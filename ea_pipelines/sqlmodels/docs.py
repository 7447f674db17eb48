"""Generate ``docs/warehouse.md``, the data dictionary, from the models' YAML docs and the catalogues the
settings name (what the seed, CBS, Swing and delivery tables hold)."""

from __future__ import annotations

from pathlib import Path

from ea_pipelines.catalogue.catalogues import Catalogues
from ea_pipelines.settings import PACKAGE_DIR
from ea_pipelines.sqlmodels.project import LAYERS, Model

INTRO = """# Warehouse data dictionary

Generated from `dbt_like_sql/**/*.yml` and the catalogues by `make docs` (`ea-pipelines docs`); do not edit
by hand.
The `marts` schema is the contract that analysts, Excel, Power BI and the council report read. `staging`
and `intermediate` models are building blocks and may change. Tables loaded by Python (`raw.*`,
`staging.cbs_*`, `staging.<delivery type>`, `meta.*`) are described in the README.

Text is stored exactly as delivered: a partner's text cell may start with `=`, `+`, `-` or `@` (the free-text
columns of `marts.programme_effort` and `marts.qualitative_contribution`, and every `source_file`). A
spreadsheet may run such a cell as a formula when it opens a CSV or pasted text: read the marts through a
database connection, and open exports as described in
[analyst-access.md](analyst-access.md#text-cells-that-look-like-formulas).
"""


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def _shown(path: Path) -> str:
    """A bundled catalogue by its place in the project (the same on every machine); another by its path."""
    try:
        return Path(path).resolve().relative_to(PACKAGE_DIR.parent).as_posix()
    except ValueError:
        return str(path)


def render_catalogues(catalogues: Catalogues) -> list[str]:
    """What the catalogues in use put into the warehouse: indicators, programme regions, CBS tables, Swing
    variables and delivery types, each with the setting and file it comes from."""
    files = {setting: _shown(path) for setting, path in catalogues.files().items()}
    prog = catalogues.programme
    return [
        "## Catalogues\n",
        "The catalogues this dictionary was generated from; each is a setting (README, Settings).\n",
        "| setting | file |\n|---|---|", *(f"| `{s}` | `{f}` |" for s, f in files.items()), "",
        "### Indicators (`staging.seed_indicator`, `marts.dim_indicator`)\n",
        f"From `{files['EA_INDICATOR_CATALOGUE']}`.\n",
        "| code | name | unit | kernindicator |\n|---|---|---|---|",
        *(f"| `{_cell(i['code'])}` | {_cell(i['name'])} | {_cell(i['unit'])} | {'ja' if i.get('kern') else 'nee'} |"
          for i in catalogues.indicators.indicators), "",
        f"### Programme regions (`staging.seed_programme_region`)\n\nFrom `{files['EA_CBS_CATALOGUE']}`: "
        f"{_cell(prog.name)}, municipality {prog.municipality_code} ({_cell(prog.municipality_name)}), peer group "
        f"{_cell(prog.peer_group_name)} ({prog.peer_corop}, {len(prog.peer_municipalities)} municipalities), "
        f"province {prog.province}, country {prog.country}.\n",
        f"### CBS tables (`staging.cbs_observation`)\n\nFrom `{files['EA_CBS_CATALOGUE']}`; `table_id` is the "
        "staging tables' `table_id`.\n",
        "| table_id | asset | title |\n|---|---|---|",
        *(f"| `{t.table_id}` | `cbs/{t.name}` | {_cell(t.title)} |" for t in catalogues.cbs.tables), "",
        f"### Swing variables (`staging.cbs_observation`, source swing)\n\nFrom `{files['EA_SWING_CATALOGUE']}`; the "
        "variable code is the staging tables' `table_id`.\n",
        "| variable | asset | title | indicator |\n|---|---|---|---|",
        *(f"| `{v.variable}` | `kennispunt/{v.name}` | {_cell(v.title)} | "
          f"{f'`{v.indicator}`' if v.indicator else '(context figure)'} |" for v in catalogues.swing.variables), "",
        f"### Delivery types (`raw.<type>`, `staging.<type>`)\n\nFrom `{files['EA_DELIVERY_CATALOGUE']}`.\n",
        "| table | title | supplier | columns |\n|---|---|---|---|",
        *(f"| `staging.{d.name}` | {_cell(d.title)} | {_cell(d.supplier)} | "
          f"{', '.join(f'`{c.name}`' for c in d.columns)} |" for d in catalogues.deliveries.types), "",
    ]


def render_docs(models: list[Model], catalogues: Catalogues) -> str:
    parts = [INTRO]
    for layer in reversed(LAYERS):  # marts first: the contract
        layer_models = sorted((m for m in models if m.layer == layer), key=lambda m: m.name)
        if not layer_models:
            continue
        parts.append(f"## Schema `{layer}`\n")
        for m in layer_models:
            extra = " The previous build is kept as `" + m.relation + "__previous`." if m.keep_previous else ""
            source = m.path.as_posix().split("dbt_like_sql/")[-1]
            parts.append(f"### `{m.relation}`\n\n{m.description or '(no description)'}\n\n"
                         f"Materialised as {m.materialized}; built from `{source}`.{extra}\n")
            parts.append("| column | description |\n|---|---|")
            parts += [f"| `{col}` | {desc.replace('|', '/')} |" for col, desc in m.columns.items()]
            if m.tests:
                parts.append("\nTests: " + ", ".join(f"`{t.name}`" for t in m.tests) + ".")
            parts.append("")
    parts += render_catalogues(catalogues)
    return "\n".join(parts).rstrip() + "\n"
