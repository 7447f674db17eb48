"""The corpus of bad CBS responses: one declarative row per defect, with the precise reason it is refused.

Each case serves one catalogue table through the fake CBS server with the defect applied (a rewrite of
the answers, a fault, or a table that changed at CBS) and names what the load must end in: an exception
of an exact type and message, or a block by the named quality checks. ``{v4}`` and ``{v3}`` in a message
stand for the fake server's base URLs. The delivery half of the corpus is ``REFUSALS`` in
``ea_pipelines_tests/deliveries/test_validate.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ea_pipelines.cbs.errors import (
    CbsAccessDenied,
    CbsBadResponse,
    CbsError,
    CbsHttpError,
    CbsIncompleteLoad,
    CbsMeasureMissing,
    CbsNotANumber,
    CbsNotJsonError,
    CbsTableDiscontinued,
    CbsTableIdCaseError,
    CbsTableNotFound,
    CbsTransientError,
)
from ea_pipelines.devtools.fake_cbs_server import Fault, Tamper
from ea_pipelines_tests.conftest import snapshot_rows
from ea_pipelines_tests.corpus import numbers

Json = Callable[[Any, dict[str, str]], Any]


def as_json(change: Json) -> Tamper:
    """A body rewrite that edits the parsed JSON (``change`` may edit in place and return None)."""
    def rewrite(path: str, params: dict[str, str], body: bytes) -> bytes:
        payload = json.loads(body)
        changed = change(payload, params)
        return json.dumps(payload if changed is None else changed).encode()
    return rewrite


def text(body: str) -> Tamper:
    return lambda path, params, _: body.encode()


def rows(change: Callable[[list[dict]], None], page: str | None = None) -> Json:
    """Edit the ``value`` rows of an observation page (every page, or the one at ``$skip`` = ``page``)."""
    def edit(payload: dict, params: dict[str, str]) -> None:
        if page is None or params.get("$skip", "0") == page:
            change(payload["value"])
    return edit


def almelo_2024(rows_: list[dict]) -> dict | None:
    """Bevolking op 1 januari, Almelo, 2024 (74,317), if it is on this page (it is on the first, row 475)."""
    return next((r for r in rows_ if r.get("RegioS") == "GM0141" and r.get("Perioden") == "2024JJ00"
                 and r.get("Measure") == "M000352"), None)


def _set(key: str, value: Any) -> Callable[[list[dict]], None]:
    def edit(rs: list[dict]) -> None:
        if (row := almelo_2024(rs)) is not None:
            row[key] = value
    return edit


def _drop(key: str) -> Callable[[list[dict]], None]:
    def edit(rs: list[dict]) -> None:
        if (row := almelo_2024(rs)) is not None:
            del row[key]
    return edit


def _measures_without(code: str) -> Json:
    return lambda p, _: {**p, "value": [m for m in p["value"] if m["Identifier"] != code]}


def _rename_measure(old: str, new: str) -> Json:
    def edit(p: dict, _: dict) -> None:
        for m in p["value"]:
            if m["Identifier"] == old:
                m["Identifier"] = new
    return edit


def _v3_without_topic(key: str) -> Json:
    return lambda p, _: {**p, "value": [d for d in p["value"] if d.get("Key") != key]}


def _codes_without(code: str) -> Json:
    return lambda p, _: {**p, "value": [c for c in p["value"] if c["Identifier"] != code]}


def _break_next_link(p: dict, params: dict) -> None:
    if "@odata.nextLink" in p and params.get("$skip", "0") == "5000":
        p["@odata.nextLink"] = p["@odata.nextLink"].replace("/Observations?", "/Observationz?")


def _loop_next_link(p: dict, params: dict) -> None:
    if "@odata.nextLink" in p and params.get("$skip", "0") == "5000":
        p["@odata.nextLink"] = p["@odata.nextLink"].replace("%24skip=6000", "%24skip=0")


@dataclass(frozen=True)
class CbsCase:
    name: str
    table: str  # catalogue name: bevolking (03759ned, v4, the real capture), regionale_kerncijfers (70072ned, v4),
    #             arbeidsdeelname_regionaal (85969NED, v3)
    error: type[Exception] | None  # None: the quality gate blocks the load
    message: str  # the exception's exact text, or the load_log message of the block
    tamper: tuple[tuple[str, Tamper], ...] = ()
    faults: tuple[tuple[str, Fault], ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)  # changes to the catalogue entry (a table renamed at CBS)


POP = "/03759ned/Observations$"
#: wide rows of the synthetic 85969NED as served (one per region, period and kept code; four measures each)
WIDE_85969 = snapshot_rows("85969NED") // 4
KEEP = "; staging keeps load {previous}"

CBS_CASES: list[CbsCase] = [
    # -- the table itself ------------------------------------------------------------------------------------
    CbsCase("v4 table discontinued", "bevolking", CbsTableDiscontinued,
            "03759ned: CBS reports this table as 'Gediscontinueerd'; find its successor on the CBS open data portal "
            "and update the catalogue entry 'bevolking'",
            tamper=(("/03759ned/Properties$", as_json(lambda p, _: {**p, "Status": "Gediscontinueerd"})),)),
    CbsCase("v3 table stopped", "arbeidsdeelname_regionaal", CbsTableDiscontinued,
            "85969NED: CBS reports this table as 'Stopgezet'; find its successor on the CBS open data portal "
            "and update the catalogue entry 'arbeidsdeelname_regionaal'",
            tamper=(("/85969NED/TableInfos$", as_json(
                lambda p, _: {**p, "value": [{**p["value"][0], "Frequency": "Stopgezet", "OutputStatus": None}]})),)),
    CbsCase("empty Properties", "bevolking", CbsTableNotFound,
            "03759ned: CBS has no table with this id (03759ned: Properties is empty); check the id and its case in "
            "the catalogue entry 'bevolking'",
            tamper=(("/03759ned/Properties$", text("{}")),)),
    CbsCase("empty v3 TableInfos", "arbeidsdeelname_regionaal", CbsTableNotFound,
            "85969NED: CBS has no table with this id (85969NED: TableInfos is empty); check the id and its case in "
            "the catalogue entry 'arbeidsdeelname_regionaal'",
            tamper=(("/85969NED/TableInfos$", as_json(lambda p, _: {**p, "value": []})),)),
    CbsCase("table id in the wrong case", "bevolking", CbsTableIdCaseError,
            "03759NED: no such table, but CBS has '03759ned'. Table ids are case-sensitive and the wrong case "
            "returns nothing: fix table_id in the catalogue entry 'bevolking'",
            spec={"table_id": "03759NED"}),
    CbsCase("unknown table", "bevolking", CbsTableNotFound,
            "99999ned: CBS has no table with this id (HTTP 404 for {v4}/99999ned/Properties); check the id and its "
            "case in the catalogue entry 'bevolking'",
            spec={"table_id": "99999ned"}),
    CbsCase("access refused (403)", "bevolking", CbsAccessDenied,
            "HTTP 403 for {v4}/03759ned/MeasureCodes: {{\"error\": \"injected\"}}",
            faults=(("/03759ned/MeasureCodes$", Fault("status", 403)),)),
    # -- measures and dimensions ---------------------------------------------------------------------------------
    CbsCase("table withdrawn (410 Gone)", "regionale_kerncijfers", CbsHttpError,
            "HTTP 410 for {v4}/70072ned/Properties: {{\"error\": \"injected\"}}",
            faults=(("/70072ned/Properties$", Fault("status", 410)),)),
    CbsCase("measure renamed between editions", "regionale_kerncijfers", CbsMeasureMissing,
            "70072ned: expected measure(s) missing: 90210_3 (the table now has 90210_1, 90210_2, 90210_4); nearest: "
            "90210_4 'Bijstand tot de AOW-leeftijd', 90210_2 'Bijstand(gerelateerd) tot AOW-leeftijd', 90210_1 'Tot "
            "de AOW- leeftijd'. CBS renames measures between "
            "editions; update the catalogue entry 'regionale_kerncijfers' after checking the definitions",
            tamper=(("/70072ned/MeasureCodes$", as_json(_rename_measure("90210_3", "90210_4"))),)),
    CbsCase("measure gone", "bevolking", CbsMeasureMissing,
            "03759ned: expected measure(s) missing: M000352; nearest: M000365 'Gemiddelde bevolking'. CBS renames "
            "measures between editions; update the "
            "catalogue entry 'bevolking' after checking the definitions",
            tamper=(("/03759ned/MeasureCodes$", as_json(_measures_without("M000352"))),)),
    CbsCase("v3 topic gone", "arbeidsdeelname_regionaal", CbsMeasureMissing,
            "85969NED: expected measure(s) missing: WerklozeBeroepsbevolking_3; nearest: WerkzameBeroepsbevolking_2 "
            "'Werkzame beroepsbevolking', NietBeroepsbevolking_4 'Niet-beroepsbevolking', "
            "BeroepsEnNietBeroepsbevolking_1 'Bevolking 15 tot 75 jaar'. CBS renames measures between "
            "editions; update the catalogue entry 'arbeidsdeelname_regionaal' after checking the definitions",
            tamper=(("/85969NED/DataProperties$", as_json(_v3_without_topic("WerklozeBeroepsbevolking_3"))),)),
    CbsCase("filter code gone from a dimension", "bevolking", CbsError,
            "03759ned: dimension Geslacht has no code(s) T001038 (catalogue entry 'bevolking')",
            tamper=(("/03759ned/GeslachtCodes$", as_json(_codes_without("T001038"))),)),
    CbsCase("MeasureCodes without a value list", "bevolking", CbsBadResponse,
            "03759ned: the response to MeasureCodes is not shaped as CBS documents it (KeyError: 'value'); "
            "nothing was loaded",
            tamper=(("/03759ned/MeasureCodes$", as_json(lambda p, _: {"@odata.context": "x"})),)),
    CbsCase("Dimensions value is null", "bevolking", CbsBadResponse,
            "03759ned: the response to Dimensions is not shaped as CBS documents it (TypeError: 'NoneType' object "
            "is not iterable); nothing was loaded",
            tamper=(("/03759ned/Dimensions$", as_json(lambda p, _: {**p, "value": None})),)),
    CbsCase("dimension identifier that would inject into the filter", "bevolking", CbsBadResponse,
            "03759ned: dimension identifier \"RegioS eq 'x') or (1 eq 1\" is not a plain identifier "
            "(pattern ^[A-Za-z][A-Za-z0-9_]{{0,63}}$); refusing the load",
            tamper=(("/03759ned/Dimensions$", as_json(lambda p, _: {**p, "value": [
                {**d, "Identifier": "RegioS eq 'x') or (1 eq 1"} if d["Identifier"] == "RegioS" else d
                for d in p["value"]]})),)),
    CbsCase("v3 dimension key that would reach a path", "arbeidsdeelname_regionaal", CbsBadResponse,
            "85969NED: dimension identifier '../../etc' is not a plain identifier "
            "(pattern ^[A-Za-z][A-Za-z0-9_]{{0,63}}$); refusing the load",
            tamper=(("/85969NED/DataProperties$", as_json(lambda p, _: {**p, "value": [
                {**d, "Key": "../../etc"} if d.get("Type") == "GeoDimension" else d for d in p["value"]]})),)),
    # -- counting and paging -----------------------------------------------------------------------------------------
    CbsCase("fewer rows than announced", "bevolking", CbsIncompleteLoad,
            "03759ned: the API announced 13568 rows for the filter but 13565 arrived; refusing a partial load",
            tamper=((POP, as_json(rows(lambda rs: rs.__delitem__(slice(-3, None)), page="13000"))),)),
    CbsCase("more rows than announced", "bevolking", CbsIncompleteLoad,
            "03759ned: the API announced 13000 rows for the filter but page 14 brings the total to 13568; refusing "
            "the load",
            tamper=(("/03759ned/Observations/\\$count$", text("13000")),)),
    CbsCase("v3 wide rows fewer than announced", "arbeidsdeelname_regionaal", CbsIncompleteLoad,
            f"85969NED: the API announced {WIDE_85969 + 96} rows for the filter but {WIDE_85969} arrived; "
            "refusing a partial load",
            tamper=(("/85969NED/TypedDataSet/\\$count$", text(str(WIDE_85969 + 96))),)),
    CbsCase("row count is not a number", "bevolking", CbsNotJsonError,
            "{v4}/03759ned/Observations/$count?{filter}: expected a row count, got 'onbekend'",
            tamper=(("/03759ned/Observations/\\$count$", text("onbekend")),)),
    CbsCase("page without its value list", "bevolking", CbsBadResponse,
            "03759ned: the response to {filter_key}&$skip=2000 is not shaped as CBS documents it "
            "(ValueError: the answer has no 'value' list); nothing was loaded",
            tamper=((POP, as_json(lambda p, params: {} if params.get("$skip") == "2000" else p)),)),
    CbsCase("next page link leads nowhere", "bevolking", CbsBadResponse,
            "03759ned: HTTP 404 for {v4}/03759ned/Observationz?{filter}&%24skip=6000, although the table exists: a "
            "page link or entity set the API itself points to is missing; nothing was loaded",
            tamper=((POP, as_json(_break_next_link)),)),
    CbsCase("next page link loops back to the first page", "bevolking", CbsIncompleteLoad,
            "03759ned: the API announced 13568 rows for the filter but page 14 brings the total to 14000; refusing "
            "the load",
            tamper=((POP, as_json(_loop_next_link)),)),
    CbsCase("observation without its region", "bevolking", CbsBadResponse,
            "03759ned: the response to {filter_key} is not shaped as CBS documents it "
            '(ValueError: row 475 lacks RegioS: {{"Id":5265,"Measure":"M000352","ValueAttribute":"None","Value":'
            '74317,"StringValu…); nothing was loaded',
            tamper=((POP, as_json(rows(_drop("RegioS")))),)),
    CbsCase("value that is no number", "bevolking", CbsNotANumber,
            "03759ned: 1 value in the response to {filter_key} is not a finite number (NaN, infinities, overflowing "
            "exponents such as 1e999, true/false and spellings such as 1_0, 0x10 or inf are refused); the first: "
            "'74.317,0' for measure M000352, region GM0141, period 2024JJ00, {{\"BurgerlijkeStaat\": \"T001019\", "
            "\"Geslacht\": \"T001038\", \"Leeftijd\": \"10000\"}}; refusing the load",
            tamper=((POP, as_json(rows(_set("Value", "74.317,0")))),)),
    # -- bodies that are not JSON -----------------------------------------------------------------------------------
    CbsCase("truncated JSON on every attempt", "bevolking", CbsTransientError,
            "GET {v4}/03759ned/MeasureCodes failed 4 times; last problem: truncated or malformed JSON "
            "(Unterminated string starting at: byte 1338 of 1343)",
            faults=(("/03759ned/MeasureCodes$", Fault("truncate_json")),) * 4),
    CbsCase("HTML error page with status 200", "bevolking", CbsNotJsonError,
            "{v4}/03759ned/Properties: the body is not JSON (Content-Type 'text/html'): "
            "'<html><body><h1>Onderhoud</h1>Probeer het later.</body></html>'",
            faults=(("/03759ned/Properties$", Fault("html")),)),
    CbsCase("plain text with status 200", "regionale_kerncijfers", CbsNotJsonError,
            "{v4}/70072ned/Dimensions: the body is not JSON (Content-Type 'text/plain'): "
            "'Service temporarily unavailable'",
            faults=(("/70072ned/Dimensions$", Fault("text")),)),
    CbsCase("v3 Atom XML instead of JSON", "arbeidsdeelname_regionaal", CbsNotJsonError,
            "{v3}/85969NED/DataProperties?%24format=json: the body is not JSON (Content-Type "
            "'application/atom+xml;charset=utf-8'): '<?xml version=\"1.0\" encoding=\"utf-8\"?><feed "
            "xmlns=\"http://www.w3.org/2005/Atom\"><title>TypedDataSet</title></feed>'",
            faults=(("/85969NED/DataProperties$", Fault("atom")),)),
    CbsCase("error status on every attempt", "regionale_kerncijfers", CbsTransientError,
            "GET {v4}/70072ned/Observations failed 4 times; last problem: HTTP 503",
            faults=(("/70072ned/Observations$", Fault("status", 503)),) * 4),
    # -- content the quality gate refuses (each costs a Great Expectations run, ~2 s; negative values, unknown
    #    regions and duplicate keys are also in defs/test_quality_gate.py, through Dagster) ---------------------------
    CbsCase("unknown region code", "bevolking", None, "blocked by failed checks: regions_known" + KEEP,
            tamper=((POP, as_json(rows(_set("RegioS", "GM9999")))),)),
    CbsCase("period in the future", "bevolking", None, "blocked by failed checks: periods_valid" + KEEP,
            tamper=((POP, as_json(rows(_set("Perioden", "2099JJ00")))),)),
    CbsCase("table shrank by half", "bevolking", None, "blocked by failed checks: row_count_plausible" + KEEP,
            tamper=((POP, as_json(lambda p, _: {**p, "value": [r for r in p["value"] if r["Id"] % 2]})),
                    (r"/03759ned/Observations/\$count$", text("6784")))),
]


# -- numbers that are not finite, or only Python's float() reads (the generated corpus, ``numbers``) ----------------

#: a string the rewrite replaces with a raw JSON token (NaN, 1e999), which json.dumps never writes
RAW = "@raw-json-token@"


def raw_json(change: Json, token: str) -> Tamper:
    """``as_json(change)``, then every ``RAW`` string in the body replaced by ``token`` as written."""
    inner = as_json(change)
    return lambda path, params, body: inner(path, params, body).replace(json.dumps(RAW).encode(), token.encode())


def nl_2014(rows_: list[dict]) -> dict | None:
    """Nederland, 2014, in the synthetic 85969NED (a wide v3 row, on the first page)."""
    return next((r for r in rows_ if r.get("RegioS", "").strip() == "NL01" and r.get("Perioden") == "2014JJ00"), None)


def _set_v3(key: str, value: Any) -> Callable[[list[dict]], None]:
    def edit(rs: list[dict]) -> None:
        if (row := nl_2014(rs)) is not None:
            row[key] = value
    return edit


NOT_FINITE = ("not a finite number (NaN, infinities, overflowing exponents such as 1e999, true/false and spellings "
              "such as 1_0, 0x10 or inf are refused)")
#: where the tampered value is, as the refusal names it (braces doubled: the messages are format strings)
V4_WHERE = ('measure M000352, region GM0141, period 2024JJ00, {{"BurgerlijkeStaat": "T001019", "Geslacht": "T001038", '
            '"Leeftijd": "10000"}}')
V3_WHERE = 'measure WerklozeBeroepsbevolking_3, region NL01, period 2014JJ00, {{"Geslacht": "T001038"}}'
V3_OBS = "/85969NED/TypedDataSet$"


def _message(table_id: str, response: str, shown: str, where: str) -> str:
    return (f"{table_id}: 1 value in the response to {response} is {NOT_FINITE}; the first: {shown} for {where}; "
            "refusing the load")


def number_cases() -> list[CbsCase]:
    """Every text and raw JSON token of the number corpus as a CBS Value, on v4 (03759ned) and v3 (85969NED)."""
    out = []
    for api, table, table_id, pattern, setter, where, page in (
            ("v4", "bevolking", "03759ned", POP, lambda v: rows(_set("Value", v)), V4_WHERE, "{filter_key}"),
            ("v3", "arbeidsdeelname_regionaal", "85969NED", V3_OBS,
             lambda v: rows(_set_v3("WerklozeBeroepsbevolking_3", v)), V3_WHERE, "{v3_filter_key}")):
        for text_ in numbers.texts(sample=True):
            shown = repr(text_).replace("{", "{{").replace("}", "}}")
            out.append(CbsCase(f"{api} value text {text_!r}", table, CbsNotANumber,
                               _message(table_id, page, shown, where), tamper=((pattern, as_json(setter(text_))),)))
        for token, shown in numbers.LITERALS.items():
            out.append(CbsCase(f"{api} value literal {token}", table, CbsNotANumber,
                               _message(table_id, page, shown, where),
                               tamper=((pattern, raw_json(setter(RAW), token)),)))
    return out


CBS_CASES += number_cases()
