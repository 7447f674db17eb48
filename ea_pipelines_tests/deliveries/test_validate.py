"""Real-world spreadsheets: every accepted variant and every refusal, with its precise reason."""

from __future__ import annotations

import datetime as dt

import pytest

from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, load_delivery_catalogue
from ea_pipelines.deliveries.problems import Rejected
from ea_pipelines.deliveries.reading import Limits
from ea_pipelines.deliveries.validate import Parsed, parse_delivery
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines_tests.deliveries.helpers import csv_bytes, with_cached_formula, xlsx_bytes, zip_bomb

TODAY = dt.date(2026, 11, 26)
VOUCHER_HEADER = ["periode", "gemeente", "aantal_scholingscheques"]


@pytest.fixture(scope="module")
def catalogue() -> DeliveryCatalogue:
    return load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    return RegionIndex.from_code_list(preferred=frozenset({"GM0164"}))


def parse(catalogue, regions, dtype: str, name: str, data: bytes, limits: Limits | None = None) -> Parsed:
    return parse_delivery(catalogue.get(dtype), name, data, regions, today=TODAY, limits=limits)


def refusal(catalogue, regions, dtype: str, name: str, data: bytes, limits: Limits | None = None) -> list[str]:
    with pytest.raises(Rejected) as err:
        parse(catalogue, regions, dtype, name, data, limits)
    return [str(p) for p in err.value.problems]


def vouchers(frame) -> list[tuple]:
    return list(frame[["period", "municipality_code", "vouchers_issued"]].itertuples(index=False, name=None))


# -- accepted variants ------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data", [
    ("semicolon.csv", csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;1.118\n2024-K3;Hengelo;12\n")),
    ("comma.csv", csv_bytes("periode,gemeente,aantal_scholingscheques\n2024,GM0141,1118\n2024 Q3,Hengelo (O.),12\n")),
    ("bom.csv", csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;1118\n2024KW03;GM0164;12\n",
                          bom=True)),
    ("cp1252.csv", csv_bytes("Overzicht scholingscheques – één regel per gemeente\n"
                             "periode;gemeente;aantal_scholingscheques\n2024;Almelo;1.118\n2024-K3;GM0164;12\n",
                             encoding="cp1252")),
    ("messy_header.csv", csv_bytes("  PERIODE ;Gemeente  ; Aantal Scholingscheques;;\n2024;almelo;1118;;\n"
                                   "2024-K3;GM0164;12;;\n;;;;\n;;;;\n")),
    ("book.xlsx", xlsx_bytes([["Scholingscheques 2024 (titel)"], [], VOUCHER_HEADER + [None, None],
                              [2024, "GM0141", 1118], ["2024-K3", "Hengelo", 12.0], [None, None, None]])),
])
def test_accepted_variants(catalogue, regions, name: str, data: bytes) -> None:
    parsed = parse(catalogue, regions, "twents_fonds_vouchers", name, data)
    assert vouchers(parsed.frame) == [("2024JJ00", "GM0141", 1118), ("2024KW03", "GM0164", 12)]


def test_decimal_comma_and_point_in_scores(catalogue, regions) -> None:
    head = ("editie;gemeente;positie;aantal_gemeenten;score_tevredenheid;score_imago;"
            "score_communicatie_en_beleid;score_prijs_kwaliteit_lasten;tevredenheid_dienstverlening\n")
    data = csv_bytes(head + "2024;GM0141;57;300;6,4;6.1;5,9;6;10\n")
    parsed = parse(catalogue, regions, "mkb_ranking", "mkb.csv", data)
    row = parsed.frame.iloc[0]
    assert (row.score_satisfaction_pillar, row.score_image, row.score_price_quality, row.satisfaction_score) == (
        6.4, 6.1, 6.0, 10.0)


def test_formula_cells_give_their_cached_value_and_are_never_evaluated(catalogue, regions) -> None:
    book = xlsx_bytes([VOUCHER_HEADER, [2024, "GM0141", 0]])
    data = with_cached_formula(book, "C2", "SUM(1,2)*1000", "1118")  # Excel stored 1118; evaluating gives 3000
    assert vouchers(parse(catalogue, regions, "twents_fonds_vouchers", "f.xlsx", data).frame) == [
        ("2024JJ00", "GM0141", 1118)]


def test_formula_without_cached_value_says_so(catalogue, regions) -> None:
    book = with_cached_formula(xlsx_bytes([VOUCHER_HEADER, [2024, "GM0141", 0]]), "C2", "SUM(1,2)", None)
    assert refusal(catalogue, regions, "twents_fonds_vouchers", "f.xlsx", book) == [
        "Rij 2, kolom 'aantal_scholingscheques': formule zonder opgeslagen uitkomst: Excel toont hier een waarde, "
        "maar het bestand bevat die niet. Open het bestand in Excel of LibreOffice, laat het herberekenen en sla "
        "het opnieuw op"]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+31 6 123", "-geen-", "@bron"])
def test_formula_like_text_is_stored_as_text(catalogue, regions, text: str) -> None:
    quoted = '"' + text.replace('"', '""') + '"'
    head = "indicator;regio;periode;waarde;eenheid;bron\n"
    data = csv_bytes(f"{head}grond_lokaal_mkb;GM0141;2024;3,5;hectare;{quoted}\n")
    parsed = parse(catalogue, regions, "kennispunt_twente", "k.csv", data)
    assert parsed.frame.source_note.tolist() == [text]


def test_optional_columns_may_be_missing_or_empty(catalogue, regions) -> None:
    data = csv_bytes("kwartaal;gebied;spanningsindicator\n2024-K3;Twente;1,35\n2024-K3;nederland;1,2\n")
    frame = parse(catalogue, regions, "uwv_spanningsindicator", "u.csv", data).frame
    assert frame.area.tolist() == ["Twente", "Nederland"] and frame.vacancies.isna().all()


def test_bundled_examples_are_accepted(catalogue, regions) -> None:
    from ea_pipelines.cli import EXAMPLES_DIR

    files = sorted(EXAMPLES_DIR.glob("*/*.*"))
    assert {f.parent.name for f in files} == {t.name for t in catalogue.types}
    for f in files:
        parsed = parse_delivery(catalogue.get(f.parent.name), f.name, f.read_bytes(), regions)
        assert len(parsed.frame) > 0
        assert b"VOORBEELD" in f.read_bytes() or f.suffix == ".xlsx"


# -- refusals -------------------------------------------------------------------------------------------

REFUSALS = [
    ("missing column", "twents_fonds_vouchers", "a.csv", csv_bytes("periode;gemeente\n2024;GM0141\n"),
     ["Kolom 'aantal_scholingscheques' ontbreekt"]),
    ("unknown column", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques;opmerking\n2024;GM0141;3;x\n"),
     ["Onbekende kolom 'opmerking'. Toegestane kolommen: periode, gemeente, aantal_scholingscheques"]),
    ("text in a number column", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;twaalf\n"),
     ["Rij 2, kolom 'aantal_scholingscheques': 'twaalf' is geen getal"]),
    ("duplicate key", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;3\n2023;GM0141;4\n2024;Almelo;5\n"),
     ["Rij 4: dubbele regel: rij 2 heeft dezelfde periode 2024JJ00, gemeente GM0141"]),
    ("unknown municipality", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;Almeloo;3\n"),
     ["Rij 2, kolom 'gemeente': 'Almeloo' is geen bekende gemeente (gebruik de CBS-gemeentecode, bijv. GM0363)"]),
    ("future period", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques\n2027;GM0141;3\n"),
     ["Rij 2, kolom 'periode': periode '2027' ligt in de toekomst"]),
    ("future quarter", "uwv_spanningsindicator", "a.csv",
     csv_bytes("kwartaal;gebied;spanningsindicator\n2027-K1;Twente;1\n"),
     ["Rij 2, kolom 'kwartaal': periode '2027-K1' ligt in de toekomst"]),
    ("future date", "ikbindr_labels", "a.csv",
     csv_bytes("peildatum;gemeente;aantal_bedrijven_met_label\n31-12-2026;GM0141;3\n"),
     ["Rij 2, kolom 'peildatum': datum 31-12-2026 ligt in de toekomst"]),
    ("negative count", "ikbindr_labels", "a.csv",
     csv_bytes("peildatum;gemeente;aantal_bedrijven_met_label\n31-12-2024;GM0141;-3\n"),
     ["Rij 2, kolom 'aantal_bedrijven_met_label': -3 is negatief; alleen 0 of meer is toegestaan"]),
    ("score above 10", "mkb_ranking", "a.csv", csv_bytes(
        "editie;gemeente;positie;aantal_gemeenten;score_tevredenheid;score_imago;score_communicatie_en_beleid;"
        "score_prijs_kwaliteit_lasten;tevredenheid_dienstverlening\n2024;GM0141;57;300;6,4;6,1;5,9;6,0;10,5\n"),
     ["Rij 2, kolom 'tevredenheid_dienstverlening': 10,5 is hoger dan toegestaan (maximaal 10)"]),
    ("score below 1", "kennispunt_twente", "a.csv",
     csv_bytes("indicator;regio;periode;waarde;eenheid\ngroenblauw_waardering;GM0141;2024;0,5;cijfer\n"),
     ["Rij 2, kolom 'waarde': 0,5 is lager dan toegestaan voor groenblauw_waardering (minimaal 1)"]),
    ("rank beyond the ranked", "mkb_ranking", "a.csv", csv_bytes(
        "editie;gemeente;positie;aantal_gemeenten;score_tevredenheid;score_imago;score_communicatie_en_beleid;"
        "score_prijs_kwaliteit_lasten;tevredenheid_dienstverlening\n2024;GM0141;301;300;6,4;6,1;5,9;6,0;6\n"),
     ["Rij 2, kolom 'positie': 301 is groter dan 'aantal_gemeenten' (300)"]),
    ("wrong unit", "kennispunt_twente", "a.csv",
     csv_bytes("indicator;regio;periode;waarde;eenheid\ngrond_lokaal_mkb;GM0141;2024;3;procent\n"),
     ["Rij 2, kolom 'eenheid': eenheid 'procent' past niet bij grond_lokaal_mkb; verwacht 'hectare'"]),
    ("value not allowed", "uwv_spanningsindicator", "a.csv",
     csv_bytes("kwartaal;gebied;spanningsindicator\n2024-K1;Achterhoek;1\n"),
     ["Rij 2, kolom 'gebied': 'Achterhoek' is geen toegestane waarde; kies uit: Twente, Nederland"]),
    ("empty required cell", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;;3\n"),
     ["Rij 2, kolom 'gemeente': lege cel; hier is een waarde verplicht"]),
    ("empty file", "twents_fonds_vouchers", "a.csv", b"", ["Het bestand is leeg."]),
    ("only whitespace", "twents_fonds_vouchers", "a.csv", b"\r\n \r\n", ["Het bestand is leeg."]),
    ("header only", "twents_fonds_vouchers", "a.csv", csv_bytes("periode;gemeente;aantal_scholingscheques\n"),
     ["Het bestand bevat een kopregel maar geen gegevens"]),
    ("no header", "twents_fonds_vouchers", "a.csv", csv_bytes("2024;GM0141;3\n"),
     ["Geen kopregel gevonden. Verwacht een regel met de kolommen: periode, gemeente, aantal_scholingscheques "
      "(gebruik het sjabloon)"]),
    ("not a zip", "twents_fonds_vouchers", "a.xlsx", b"PK\x03\x04 this is not really a zip archive",
     ["Het bestand heet .xlsx maar is geen geldig Excel-bestand (geen zip-archief). "
      "Sla het opnieuw op als Excel-werkmap (.xlsx)."]),
    ("xls", "twents_fonds_vouchers", "a.xls", b"\xd0\xcf\x11\xe0 old excel",
     ["Bestandstype '.xls' wordt niet ondersteund; lever een .xlsx- of .csv-bestand aan (gebruik het sjabloon)."]),
    ("path components", "twents_fonds_vouchers", "../../etc/a.csv", csv_bytes("periode\n"),
     ["De bestandsnaam '../../etc/a.csv' bevat een map of pad; lever het bestand aan met alleen een bestandsnaam."]),
    ("windows path", "twents_fonds_vouchers", "map\\a.csv", csv_bytes("periode\n"),
     ["De bestandsnaam 'map\\a.csv' bevat een map of pad; lever het bestand aan met alleen een bestandsnaam."]),
    ("data without a header", "twents_fonds_vouchers", "a.csv",
     csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;3;extra\n"),
     ["Rij 2: gegevens in kolom 4, die geen kopnaam heeft"]),
]


@pytest.mark.parametrize("case,dtype,name,data,expected", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(catalogue, regions, case, dtype, name, data, expected) -> None:
    assert refusal(catalogue, regions, dtype, name, data) == expected


def test_all_problems_are_listed_at_once(catalogue, regions) -> None:
    data = csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;Almeloo;-3\n2027;GM0141;twaalf\n")
    assert refusal(catalogue, regions, "twents_fonds_vouchers", "a.csv", data) == [
        "Rij 2, kolom 'gemeente': 'Almeloo' is geen bekende gemeente (gebruik de CBS-gemeentecode, bijv. GM0363)",
        "Rij 2, kolom 'aantal_scholingscheques': -3 is negatief; alleen 0 of meer is toegestaan",
        "Rij 3, kolom 'periode': periode '2027' ligt in de toekomst",
        "Rij 3, kolom 'aantal_scholingscheques': 'twaalf' is geen getal",
    ]


def test_file_over_the_size_limit(catalogue, regions) -> None:
    data = csv_bytes("periode;gemeente;aantal_scholingscheques\n" + "2024;GM0141;3\n" * 100)
    assert refusal(catalogue, regions, "twents_fonds_vouchers", "a.csv", data, Limits(max_bytes=1024)) == [
        "Het bestand is 2 kB; de grens is 1 kB. Lever kleinere bestanden aan."]


def test_zip_bomb_is_not_opened(catalogue, regions) -> None:
    bomb = zip_bomb(5 * 1024 * 1024)
    assert len(bomb) < 50_000
    assert refusal(catalogue, regions, "twents_fonds_vouchers", "a.xlsx", bomb,
                   Limits(max_unzipped_bytes=1024 * 1024)) == [
        "Het Excel-bestand pakt uit tot 5 MB; de grens is 1 MB. Dit bestand wordt niet geopend."]


def test_broken_workbook(catalogue, regions) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    problems = refusal(catalogue, regions, "twents_fonds_vouchers", "a.xlsx", buf.getvalue())
    assert problems == ["Het Excel-bestand kan niet gelezen worden (KeyError). "
                        "Sla het opnieuw op als Excel-werkmap (.xlsx)."]
