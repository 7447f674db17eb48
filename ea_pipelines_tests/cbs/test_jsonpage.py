"""The bounded parse of collection answers: generated pages (row shapes, strings that look like row boundaries,
layouts, stretch sizes) give exactly the rows a whole parse gives; cut or hostile answers are refused, naming the
row."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import orjson
import pytest

from ea_pipelines.cbs import jsonpage
from ea_pipelines.cbs.jsonpage import MalformedPage, parse_page

#: texts that look like JSON structure, so that a boundary found by the regular expression may lie inside a string
TRICKY = ['},{"', "}, {", '"}', "]", "[", "{}", "\\", "ü€", "", " ", '},{"Measure":"M1"}']


def generated_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"Measure": rng.choice(["M1", " M2 ", *TRICKY]), "Value": rng.choice(
            [None, i, i / 7, -0.0, 1e300, "12,5"]), "RegioS": f"GM{i % 9999:04d}"}
        if rng.random() < 0.3:
            row["Title"] = "".join(rng.choice(TRICKY) for _ in range(rng.randrange(1, 12)))
        if rng.random() < 0.1:
            row["Nested"] = {"a": [{"b": rng.choice(TRICKY)}, {}], "c": {}}
        rows.append(row)
    return rows


def layouts(payload: dict[str, Any]) -> list[bytes]:
    """The same answer compact, indented, with the value list first or last, and with a BOM-free leading space."""
    value_last = {k: v for k, v in payload.items() if k != "value"} | {"value": payload["value"]}
    return [orjson.dumps(payload), json.dumps(payload, indent=2).encode(), json.dumps(value_last).encode(),
            b" \n" + json.dumps(payload, separators=(" , ", " : ")).encode() + b"\n "]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("chunk", [64, 1024, 2 * jsonpage.MB])
def test_rows_in_stretches_equal_a_whole_parse(seed: int, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonpage, "CHUNK_BYTES", chunk)
    rng = random.Random(seed)
    rows = generated_rows(rng, rng.randrange(0, 400))
    payload = {"@odata.context": "x/$metadata#Observations]", "value": rows,
               "@odata.nextLink": "http://h/Observations?$skip=10&$filter=a eq ']'"}
    for body in layouts(payload):
        page = parse_page(body)
        assert page.envelope == {k: v for k, v in payload.items() if k != "value"}
        chunks = list(page.chunks(("Measure", "RegioS")))
        assert [r for c in chunks for r in c] == rows
        if chunk == 64 and len(rows) > 50:  # small stretches: really parsed a stretch at a time
            assert len(chunks) > len(rows) // 50


def test_an_entity_answer_is_its_envelope() -> None:
    page = parse_page(b'{"Identifier": "03759ned", "Title": "value: [x]"}')
    assert page.envelope == {"Identifier": "03759ned", "Title": "value: [x]"}
    with pytest.raises(ValueError, match="^the answer has no 'value' list$"):
        page.rows()


@pytest.mark.parametrize("seed", range(4))
def test_a_cut_answer_is_refused_wherever_it_is_cut(seed: int) -> None:
    rng = random.Random(seed)
    rows = [{"Measure": f"M{i}", "Title": rng.choice(["a", "}", "{", '},{"x"']), "Value": i} for i in range(50)]
    body = orjson.dumps({"value": rows, "@odata.nextLink": "http://h/x?$skip=50"})
    for cut in sorted(rng.sample(range(1, len(body) - 1), 60)):
        with pytest.raises(ValueError):  # MalformedPage (retried) or a ValueError naming the rows
            page = parse_page(body[:cut])
            page.rows(("Measure",))


@pytest.mark.parametrize(("value", "message"), [
    (b"{},{}", "row 1 lacks Measure, RegioS: {}"),
    (b'{"Measure":"M1","RegioS":"GM0141"},{"Measure":"M1"}', 'row 2 lacks RegioS: {"Measure":"M1"}'),
    (b'{"Measure":"M1","RegioS":"GM0141"},[1]', "row 2 is not an object: [1]"),
    (b"0,0,0", "row 1 is not an object: 0,0,0…"),
    (b'"x"', 'row 1 is not an object: "x"…'),
])
def test_absurd_rows_are_refused_naming_the_row(value: bytes, message: str) -> None:
    page = parse_page(b'{"value":[' + value + b"]}")
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        page.rows(("Measure", "RegioS"))


def test_a_row_without_boundaries_is_refused_at_the_stretch_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonpage, "MAX_STRETCH_BYTES", 4096)
    monkeypatch.setattr(jsonpage, "CHUNK_BYTES", 512)
    body = b'{"value":[{"Measure":"M1","Value":[' + b"[]," * 5000 + b'[]]},{"Measure":"M2"}]}'
    with pytest.raises(ValueError, match=r"^rows 1 on: no row boundary within 0 MB"):
        parse_page(body).rows()


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"value":[{"a":1}]', b'{"value":[{"a":1}', b"{" + b" " * 2**21 + b"}"])
def test_what_is_not_an_odata_answer_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPage):
        parse_page(body)
