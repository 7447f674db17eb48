"""Discover the SQL models in ``dbt_like_sql/``, parse their refs, sources and YAML docs, order them.

Layout: ``dbt_like_sql/<layer>/<model>.sql`` (layer = staging, intermediate or marts = the schema the
model is built in) with an optional ``<model>.yml`` beside it:

    description: ...
    materialized: table            # table (default), view, or append (rows added, never replaced)
    keep_previous: false           # table only: keep the previous build as <model>__previous
    columns: {column: description, ...}
    tests:
      unique: [[col, ...], ...]    # each list is one key
      not_null: [col, ...]
      accepted_values: {col: [v1, v2]}
      relationships: [{column: c, to: model, field: f}]
      sql: {name: "select ... returning failing rows"}
    plot: {label: col, value: col}   # one number per row as UI metadata, which Dagster plots over runs

Besides ``ref``, ``source`` and ``previous``, a model may use ``{{ weakest('a.provenance', 'b.provenance') }}``:
the weakest provenance class of its arguments (SQL expressions), in the order of
:mod:`ea_pipelines.provenance`, for values derived from several parts; ``{{ rounded('expr', 'decimals') }}``:
``expr`` rounded to ``decimals`` (an SQL expression, or ``ratio`` / ``unknown``), and
``{{ precision('ratio') }}`` (or ``'unknown'``): the documented precision of :mod:`ea_pipelines.sqlmodels.precision`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ea_pipelines.provenance import weakest_sql
from ea_pipelines.sqlmodels.precision import PRECISIONS, rounded_sql

LAYERS = ("staging", "intermediate", "marts")
REF = re.compile(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
SOURCE = re.compile(r"\{\{\s*source\(\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]\s*\)\s*\}\}")
PREVIOUS = re.compile(r"\{\{\s*previous\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
WEAKEST = re.compile(r"\{\{\s*weakest\(\s*('[^']+'(?:\s*,\s*'[^']+')*)\s*\)\s*\}\}")
ROUNDED = re.compile(r"\{\{\s*rounded\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}")
PRECISION = re.compile(r"\{\{\s*precision\(\s*'(" + "|".join(PRECISIONS) + r")'\s*\)\s*\}\}")
ANY_TAG = re.compile(r"\{\{.*?\}\}", re.S)
MATERIALIZATIONS = ("table", "view", "append")


class ModelError(ValueError):
    """The SQL project is wrong; the message names the file."""


@dataclass(frozen=True)
class ModelTest:
    name: str
    sql: str  # returns the failing rows; {{ ref() }} tags allowed


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    refs: list[str]
    sources: list[tuple[str, str]]
    previous: list[str]
    description: str = ""
    materialized: str = "table"
    keep_previous: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    tests: list[ModelTest] = field(default_factory=list)
    plot: tuple[str, str] | None = None  # (label column, value column)

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"


def _tests(model: str, raw: dict[str, Any], where: Path) -> list[ModelTest]:
    rel = f"{{{{ ref('{model}') }}}}"
    out = []
    for key in raw.get("unique") or []:
        cols = [key] if isinstance(key, str) else list(key)
        joined = ", ".join(cols)
        out.append(ModelTest(f"unique_{'_'.join(cols)}",
                             f"select {joined}, count(*) as n from {rel} group by {joined} having count(*) > 1"))
    for col in raw.get("not_null") or []:
        out.append(ModelTest(f"not_null_{col}", f"select * from {rel} where {col} is null"))
    for col, values in (raw.get("accepted_values") or {}).items():
        listed = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
        out.append(ModelTest(f"accepted_values_{col}", f"select * from {rel} where {col} is not null "
                                                       f"and {col} not in ({listed})"))
    for rel_test in raw.get("relationships") or []:
        col, to, fld = rel_test["column"], rel_test["to"], rel_test["field"]
        out.append(ModelTest(f"relationships_{col}_{to}",
                             f"select c.* from {rel} c left join {{{{ ref('{to}') }}}} p on c.{col} = p.{fld} "
                             f"where c.{col} is not null and p.{fld} is null"))
    for name, sql in (raw.get("sql") or {}).items():
        out.append(ModelTest(str(name), str(sql)))
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise ModelError(f"{where}: two tests have the same name")
    return out


def _load(path: Path, layer: str) -> Model:
    sql = path.read_text(encoding="utf-8")
    known = (REF, SOURCE, PREVIOUS, WEAKEST, ROUNDED, PRECISION)
    leftover = [t for t in ANY_TAG.findall(sql) if not any(p.fullmatch(t) for p in known)]
    if leftover:
        raise ModelError(f"{path}: unsupported template tag {leftover[0]!r} (use ref, source, previous, weakest, "
                         "rounded or precision)")
    model = Model(name=path.stem, layer=layer, path=path, sql=sql, refs=list(dict.fromkeys(REF.findall(sql))),
                  sources=list(dict.fromkeys(SOURCE.findall(sql))), previous=PREVIOUS.findall(sql))
    docs = path.with_suffix(".yml")
    if docs.exists():
        try:
            raw = yaml.safe_load(docs.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ModelError(f"{docs}: {exc}") from exc
        model.description = " ".join(str(raw.get("description", "")).split())
        model.materialized = str(raw.get("materialized", "table"))
        if model.materialized not in MATERIALIZATIONS:
            raise ModelError(f"{docs}: materialized must be one of {', '.join(MATERIALIZATIONS)}")
        model.keep_previous = bool(raw.get("keep_previous", False))
        model.columns = {str(k): " ".join(str(v).split()) for k, v in (raw.get("columns") or {}).items()}
        model.tests = _tests(model.name, raw.get("tests") or {}, docs)
        if raw.get("plot"):
            plot = raw["plot"]
            cols = (str(plot.get("label")), str(plot.get("value"))) if isinstance(plot, dict) else ("", "")
            if not all(c in model.columns for c in cols):
                raise ModelError(f"{docs}: plot needs label and value, both documented columns of the model")
            model.plot = cols
    return model


def order(models: dict[str, Model]) -> list[Model]:
    """Models in dependency order; an unknown ref or a cycle is an error naming the file."""
    for m in models.values():
        for ref in [*m.refs, *m.previous]:
            if ref not in models:
                raise ModelError(f"{m.path}: ref('{ref}') names no model (known: {', '.join(sorted(models))})")
        for test in m.tests:
            for ref in REF.findall(test.sql):
                if ref not in models:
                    raise ModelError(f"{m.path.with_suffix('.yml')}: test {test.name} refs unknown model '{ref}'")
    done: list[Model] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = chain[chain.index(name):] + [name]
            raise ModelError(f"{models[name].path}: dependency cycle {' -> '.join(cycle)}")
        state[name] = "visiting"
        for ref in models[name].refs:
            visit(ref, [*chain, name])
        state[name] = "done"
        done.append(models[name])

    for name in sorted(models):
        visit(name, [])
    upstream: dict[str, set[str]] = {}
    for m in done:
        upstream[m.name] = {m.name}.union(*(upstream[r] for r in m.refs))
        for test in m.tests:
            late = [r for r in REF.findall(test.sql) if r not in upstream[m.name]]
            if late:
                raise ModelError(f"{m.path.with_suffix('.yml')}: test {test.name} refs {late[0]}, which is not "
                                 f"built before {m.name}; put the test on a model downstream of both")
    return done


def load_project(root: Path) -> list[Model]:
    """Every model under ``root``, in dependency order."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            model = _load(path, layer)
            if model.name in models:
                raise ModelError(f"{path}: a model named {model.name} exists already ({models[model.name].path})")
            models[model.name] = model
    return order(models)


def render(sql: str, relations: dict[str, str]) -> str:
    """Replace ref/source/previous tags by relation names, weakest and rounded tags by their SQL expression."""
    sql = WEAKEST.sub(lambda m: weakest_sql(*re.findall(r"'([^']+)'", m.group(1))), sql)
    sql = PRECISION.sub(lambda m: str(PRECISIONS[m.group(1)]), sql)
    sql = ROUNDED.sub(lambda m: rounded_sql(m.group(1), str(PRECISIONS.get(m.group(2), m.group(2)))), sql)
    sql = REF.sub(lambda m: relations[m.group(1)], sql)
    sql = PREVIOUS.sub(lambda m: relations[m.group(1)] + "__previous", sql)
    return SOURCE.sub(lambda m: f"{m.group(1)}.{m.group(2)}", sql)
