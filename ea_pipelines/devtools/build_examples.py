"""Build the bundled example deliveries (``ea_pipelines/deliveries/examples/<type>/``).

ILLUSTRATIVE values, not real figures; every file says so in a title row above the header. The files
also show the variety the parser accepts: csv with ';' and Windows-1252, csv with ',' and a BOM,
decimal commas, xlsx with a title row, municipality names as well as codes.

    python -m ea_pipelines.devtools.build_examples
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import Settings

OUT = Path(__file__).resolve().parents[1] / "deliveries" / "examples"
TITLE = "VOORBEELD - illustratieve waarden, geen echte cijfers (ea-pipelines)"


def _csv(path: Path, rows: list[list[object]], sep: str, encoding: str, bom: bool = False,
         title: str = TITLE) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow([title])
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode(encoding))


def _xlsx(path: Path, rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "gegevens"
    ws.append([TITLE])
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def build() -> None:
    """Examples for the programme's own municipality and its peers, as configured in the catalogue
    (EA_CBS_CATALOGUE)."""
    prog = load_cbs_catalogue(Settings.from_env().catalogue_path).programme
    names = RegionIndex.from_code_list().names
    home, home_name = prog.municipality_code, prog.municipality_name
    peers = [c for c in prog.peer_municipalities if c != home][:4]
    # codes and names mixed, as partners do; a larger peer shows the Dutch thousands dot
    mixed = [home, names[peers[0]], names[peers[1]], names[peers[2]].split(" (")[0], peers[3]]
    vouchers = [["Periode", "Gemeente", "Aantal scholingscheques"]]
    for i, year in enumerate(range(2021, 2026)):
        for j, gm in enumerate(mixed):
            count = (60 + 14 * i) * (1 + j % 3) * (8 if j == 2 else 1)
            vouchers.append([str(year), gm, f"{count:,}".replace(",", ".")])  # Dutch thousands dot: 1.120
    _csv(OUT / "twents_fonds_vouchers" / "voorbeeld_scholingscheques.csv", vouchers, ";", "cp1252",
         title="VOORBEELD – illustratieve waarden, één regel per gemeente en jaar (geen echte cijfers)")

    labels = [["peildatum", "gemeente", "aantal_bedrijven_met_label"]]
    for k, day in enumerate([dt.date(2023, 12, 31), dt.date(2024, 12, 31), dt.date(2025, 6, 30)]):
        labels += [[day, home_name, 31 + 6 * k], [day, names[peers[1]], 64 + 9 * k]]
    _xlsx(OUT / "ikbindr_labels" / "voorbeeld_ikbindr.xlsx", labels)

    mkb = [["editie", "gemeente", "positie", "aantal_gemeenten", "score_tevredenheid", "score_imago",
            "score_communicatie_en_beleid", "score_prijs_kwaliteit_lasten", "tevredenheid_dienstverlening"]]
    for edition, rank, base in [(2020, 112, 5.9), (2022, 86, 6.1), (2024, 57, 6.3)]:
        scores = [f"{base + d:.1f}".replace(".", ",") for d in (0.1, -0.2, -0.3, 0.0, 0.3)]
        mkb.append([edition, home, rank, 300, *scores])
    _csv(OUT / "mkb_ranking" / "voorbeeld_mkb_ranking.csv", mkb, ";", "utf-8")

    uwv = [["kwartaal", "gebied", "spanningsindicator", "vacatures", "kortdurende_ww"]]
    for year in range(2019, 2026):
        for q in range(1, 5):
            if (year, q) > (2025, 2):
                break
            t = (year - 2019) * 4 + q
            tension = 0.9 + 0.05 * t if year != 2020 else 0.7
            vacancies = int(4200 + 40 * t)
            uwv.append([f"{year}-K{q}", prog.peer_group_name, round(tension, 2), vacancies, int(vacancies / tension)])
            uwv.append([f"{year}-K{q}", "Nederland", round(tension * 1.1, 2), None, None])
    _xlsx(OUT / "uwv_spanningsindicator" / "voorbeeld_spanningsindicator.xlsx", uwv)

    kp = [["Indicator", "Regio", "Periode", "Waarde", "Eenheid", "Bron"]]
    note = "Voorbeeld, illustratief"
    for year, rating in zip(range(2021, 2026), [7.0, 7.1, 6.9, 7.2, 7.3], strict=True):
        kp.append(["groenblauw_waardering", home, year, rating, "cijfer", f"{note}: inwonerspanel"])
    kp += [["llo_ondernemers", home, 2023, 48, "aantal", f"{note}: LLO-enquete"],
           ["llo_ondernemers", home, 2025, 61, "aantal", f"{note}: LLO-enquete"]]
    for year, pct, ha in [(2022, 38.5, 6.2), (2023, 41.0, 5.1), (2024, 44.5, 4.4), (2025, 47.0, 3.8)]:
        kp += [["bedrijventerrein_actieve_vereniging", home_name, year, pct, "procent", note],
               ["grond_lokaal_mkb", home_name, year, ha, "hectare", note]]
    _csv(OUT / "kennispunt_twente" / "voorbeeld_kennispunt.csv", kp, ",", "utf-8", bom=True)
    build_programme_examples(home_name)


#: Efforts of plan section 5.1 (names as in the plan) with ILLUSTRATIVE statuses, per goal and quarter;
#: ``{m}`` is the programme's municipality.
EFFORTS = [
    (1, "Vertaling van de economisch-ruimtelijke visie naar een uitvoeringsagenda",
     [("2025-K4", "lopend", "Onderzoek afgerond, concept-uitvoeringsagenda in bespreking.", None, None),
      ("2026-K2", "afgerond", "Uitvoeringsagenda vastgesteld.", None, None)]),
    (1, "Ontwikkelen van fiches/projectvoorstellen/lobbydossiers",
     [("2026-K2", "lopend", "Lobbydossier XL-2 ingediend bij de regio.", 3, "dossiers")]),
    (2, "Organiseren van netwerkbijeenkomsten",
     [("2025-K4", "lopend", "Eerste bijeenkomsten met ondernemers gehouden.", 2, "bijeenkomsten"),
      ("2026-K2", "lopend", "Bijeenkomsten op bedrijventerreinen, samen met de ondernemersvereniging.", 5,
       "bijeenkomsten")]),
    (2, "Aanjagen samenwerking/BIZ-vorming",
     [("2026-K2", "vertraagd", "Draagvlakmeting verschoven naar het najaar.", None, None)]),
    (2, "Uitvoeren van een marketing- en communicatieplan Ondernemersloket",
     [("2026-K1", "gepland", "Start na vaststelling van het plan.", None, None)]),
    (3, "Het uitrollen van de LLO-aanpak (Leven Lang Ontwikkelen) in {m}",
     [("2026-K2", "lopend", "Online vindplaats voor leren en ontwikkelen in de lucht.", 140, "bezoekers")]),
    (3, "Het doorontwikkelen van het Twents Fonds voor Vakmanschap",
     [("2026-K2", "lopend", "Scholingsvouchers verstrekt aan werkenden uit {m}.", 48, "vouchers")]),
    (4, "Ontwikkelen arbeidsmarktstrategie",
     [("2026-K2", "lopend", "Strategie in voorbereiding met Stedelijke Ontwikkeling.", None, None)]),
    (5, "We werken aan het (meer) bevaarbaar maken van het water in {m}",
     [("2026-K2", "gepland", "Verkenning met provincie en waterschap Vechtstromen.", None, None)]),
]

#: ILLUSTRATIVE qualitative contributions (no real person): goal, title, text, author, date, image.
CONTRIBUTIONS = [
    (3, "Voorbeeld: van magazijn naar CNC-operator",
     "\"Met de scholingscheque kon ik naast mijn werk de opleiding volgen. Mijn werkgever zag dat ik meer wilde "
     "en nu draai ik zelf de machines.\" (illustratief interviewfragment, geen echte deelnemer)",
     "Programmateam EA (voorbeeld)", "14-10-2025", ""),
    (2, "Voorbeeld: ondernemers aan tafel op het bedrijventerrein",
     "Tijdens de netwerkbijeenkomst spraken twintig ondernemers over samenwerking bij energie-inkoop en "
     "beveiliging. (illustratief voorbeeld)", "Ondernemersloket (voorbeeld)", "12-03-2026",
     "voorbeeld_netwerkbijeenkomst.jpg"),
    (3, "Voorbeeld: leren en ontwikkelen op de werkvloer",
     "\"De online vindplaats hielp ons de juiste cursus te vinden voor drie medewerkers.\" (illustratief "
     "interviewfragment, geen echte ondernemer)", "Programmateam EA (voorbeeld)", "18-06-2026", ""),
    (5, "Voorbeeld: varen tot in de binnenstad",
     "Een eerste proefvaart van de havenkom naar het Westerdok liet zien wat bevaarbaar water de stad kan "
     "brengen. (illustratief voorbeeld)", "Programmateam EA (voorbeeld)", "02-07-2026", ""),
]


def build_programme_examples(municipality: str) -> None:
    """The programme team's own deliveries for the report moments: efforts (xlsx) and contributions (csv)."""
    efforts = [["doel", "inspanning", "status", "periode", "toelichting", "aantal", "eenheid_aantal"]]
    for goal, effort, updates in EFFORTS:
        for period, status, note, count, unit in updates:
            efforts.append([goal, effort.format(m=municipality), status, period,
                            f"Voorbeeld: {note.format(m=municipality)}", count, unit])
    _xlsx(OUT / "programme_efforts" / "voorbeeld_inzet.xlsx", efforts)
    rows = [["doel", "titel", "tekst", "auteur", "datum", "afbeelding"], *[list(c) for c in CONTRIBUTIONS]]
    _csv(OUT / "qualitative_contributions" / "voorbeeld_rijker_verantwoorden.csv", rows, ";", "utf-8")


if __name__ == "__main__":
    build()
    for p in sorted(OUT.rglob("*.*")):
        print(p.relative_to(OUT))
