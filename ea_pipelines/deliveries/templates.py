"""Templates for partners: per delivery type an .xlsx (data sheet + explanation sheet) and a .csv
with a Dutch explanation beside it. Generated from the delivery catalogue, so they never drift."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ea_pipelines.catalogue.deliveries import Column, DeliveryCatalogue, DeliveryType
from ea_pipelines.deliveries import values as v

TYPE_WORDS = {"integer": "geheel getal", "decimal": "getal", "score": "cijfer 1-10", "text": "tekst",
              "period": "periode", "date": "datum", "municipality": "gemeente", "region": "regio"}


def _rule(col: Column) -> str:
    parts = [TYPE_WORDS[col.type]]
    low, high = col.bounds
    if col.type != "score" and low is not None and high is not None:
        parts.append(f"van {v.fmt_number(low)} tot en met {v.fmt_number(high)}")
    elif col.type != "score" and low is not None:
        parts.append(f"{v.fmt_number(low)} of meer")
    elif col.type != "score" and high is not None:
        parts.append(f"hoogstens {v.fmt_number(high)}")
    if col.allowed:
        parts.append("een van: " + ", ".join(col.allowed))
    if col.max_length is not None:
        parts.append(f"hoogstens {col.max_length} tekens")
    return "; ".join(parts)


def explanation(dtype: DeliveryType, max_mb: int = 20) -> list[str]:
    lines = [
        f"Sjabloon: {dtype.title}",
        f"Aanleverende partij: {dtype.supplier}",
        "",
        dtype.description,
        "",
        "Zo vult u het in:",
        "- Eén regel per " + " en ".join(dtype.column(k).header for k in dtype.key) + "; geen dubbele regels.",
        "- Laat de kopregel staan. Een titelregel erboven mag; lege regels onderaan ook.",
        "- Getallen met een decimale komma (6,4; duizendtallen met een punt: 1.250) of met een decimale punt",
        "  (6.4; duizendtallen met een komma: 1,250), maar binnen één kolom steeds op dezelfde manier.",
        "  Alleen de gewone cijfers 0-9.",
        "- Gemeente: de CBS-gemeentecode (GMnnnn) of de naam van de gemeente.",
        "- Periodes: jaar 2024, kwartaal 2024-K3, maand 2024-07. Toekomstige periodes worden geweigerd.",
        "- Formules worden niet uitgerekend: alleen de in het bestand opgeslagen uitkomst telt.",
        "- Alleen het werkblad dat zichtbaar is als u het bestand opent, wordt gelezen. Verborgen rijen en",
        "  kolommen met gegevens worden geweigerd: lever alleen wat u ziet.",
        "- Een gecorrigeerde levering voor dezelfde " + " en ".join(dtype.column(k).header for k in dtype.replace_by)
        + " vervangt de vorige.",
        f"- Lever .xlsx of .csv (puntkomma of komma als scheidingsteken) aan, hoogstens {max_mb} MB.",
        "",
        "Kolommen:",
    ]
    for col in dtype.columns:
        lines.append(f"- {col.header} ({'verplicht' if col.required else 'mag leeg'}; {_rule(col)}): "
                     f"{col.description} Voorbeeld: {col.example}")
    if dtype.value_rules:
        lines += ["", f"Per {dtype.column(dtype.value_rules.by).header}:"]
        for code, rule in dtype.value_rules.rules.items():
            rng = (f"van {v.fmt_number(rule.min)} tot en met {v.fmt_number(rule.max)}"
                   if rule.min is not None and rule.max is not None else
                   f"{v.fmt_number(rule.min)} of meer" if rule.min is not None else "")
            lines.append(f"- {code}: eenheid {rule.unit or '-'}" + (f", waarde {rng}" if rng else ""))
    return lines


def _example_cell(col: Column) -> object:
    """The example as a typed Excel value (a number as a number, a date as a date)."""
    if col.type in ("integer", "decimal", "score"):
        return v.to_number(col.example) if col.type != "integer" else v.to_integer(col.example)
    if col.type == "date":
        return v.to_date(col.example)
    return col.example


def write_templates(catalogue: DeliveryCatalogue, out_dir: Path, max_mb: int = 20) -> list[Path]:
    import openpyxl
    from openpyxl.styles import Font

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for dtype in catalogue.types:
        wb = openpyxl.Workbook()
        data = wb.active
        data.title = "gegevens"
        data.append([c.header for c in dtype.columns])
        data.append([_example_cell(c) for c in dtype.columns])
        for cell in data[1]:
            cell.font = Font(bold=True)
        for i, col in enumerate(dtype.columns, start=1):
            data.column_dimensions[openpyxl.utils.get_column_letter(i)].width = max(14, len(col.header) + 2)
            if col.type == "date":
                data.cell(row=2, column=i).number_format = "DD-MM-YYYY"
        notes = wb.create_sheet("toelichting")
        for line in explanation(dtype, max_mb):
            notes.append([line])
        notes.column_dimensions["A"].width = 120
        xlsx = out_dir / f"{dtype.name}.xlsx"
        wb.save(xlsx)
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.header for c in dtype.columns])
        writer.writerow([c.example for c in dtype.columns])
        csv_path = out_dir / f"{dtype.name}.csv"
        csv_path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))  # BOM: Excel opens it as UTF-8
        readme = out_dir / f"{dtype.name}_toelichting.txt"
        readme.write_text("\n".join(explanation(dtype, max_mb)) + "\n", encoding="utf-8")
        written += [xlsx, csv_path, readme]
    return written
