"""Generate ``docs/warehouse.md``, the data dictionary, from the models' YAML docs."""

from __future__ import annotations

from ea_pipelines.sqlmodels.project import LAYERS, Model

INTRO = """# Warehouse data dictionary

Generated from `dbt_like_sql/**/*.yml` by `make docs` (`ea-pipelines docs`); do not edit by hand.
The `marts` schema is the contract that analysts, Excel, Power BI and the council report read. `staging`
and `intermediate` models are building blocks and may change. Tables loaded by Python (`raw.*`,
`staging.cbs_*`, `staging.<delivery type>`, `meta.*`) are described in the README.

Text is stored exactly as delivered: a partner's text cell may start with `=`, `+`, `-` or `@` (the free-text
columns of `marts.programme_effort` and `marts.qualitative_contribution`, and every `source_file`). A
spreadsheet may run such a cell as a formula when it opens a CSV or pasted text: read the marts through a
database connection, and open exports as described in
[analyst-access.md](analyst-access.md#text-cells-that-look-like-formulas).
"""


def render_docs(models: list[Model]) -> str:
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
    return "\n".join(parts).rstrip() + "\n"
