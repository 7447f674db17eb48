"""Which CBS municipality a Swing ``GeoItem`` is.

Swing sites spell a municipality's ``ExternalCode`` in several ways; these are read as CBS code ``GMnnnn``
(upper or lower case, with or without leading zeros, 1 to 4 digits, never 0):

- ``GM0106`` (the CBS code itself);
- ``106`` or ``0106`` (the bare CBS number);
- ``gemeente_106`` (level, underscore, number: Klimaatmonitor and other ABF sites);
- ``gemeente2024_106`` or ``gemeente16_106`` (the level with its vintage, as PinC Vlaanderen writes it).

A code in the ``<level>_<number>`` form of another level (``provincie_23``, ``res_17``, ``regio_5``,
``provincie2024_10000``) is never a municipality, whatever its name says: Utrecht and Groningen are both a
province and a municipality. Any other code (an internal id of the site) is matched by the item's ``Name`` to a
CBS municipality name, from the CBS region code list bundled with the 03759ned snapshot
(:mod:`ea_pipelines.reference.regions`: qualified names such as ``Hengelo (O.)`` are also found by their bare
name; of several candidates the municipality that still exists wins). The warehouse is not consulted: the
mapping depends only on the site's answer and the bundled reference data. What cannot be mapped fails the load
with :class:`~ea_pipelines.swing.errors.SwingGeoCodeError`, naming a few of the codes seen and their count.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

from ea_pipelines.reference.region_history import parse_validity
from ea_pipelines.reference.regions import DEFAULT_CODE_LIST, RegionIndex, RegionLookupError
from ea_pipelines.swing.errors import SwingGeoCodeError

_MUNICIPALITY = re.compile(r"^(?:GM(?=\d{4}$)|gemeente(?:\d{2}|\d{4})?_)?(?P<n>\d{1,4})$", re.IGNORECASE | re.ASCII)
#: ``<level>_<number>`` with a level other than gemeente: another kind of region, never a municipality
_OTHER_LEVEL = re.compile(r"^(?P<level>[a-z]+\d*)_\d+$", re.IGNORECASE | re.ASCII)
#: the forms a message lists
FORMS = "GM0106, 106, 0106, gemeente_106, gemeente2024_106, or a GeoItem Name that is a CBS municipality name"
#: how many unmapped codes a message names
EXAMPLES = 5


def municipality_code(external_code: object) -> str | None:
    """The CBS code (``GMnnnn``) an ExternalCode spells, or None when it spells none of the municipal forms.

    Digits beyond four (``gemeente2024_44021``, a Belgian NIS code) and 0 are no CBS municipality number."""
    code = str(external_code).strip()
    m = _MUNICIPALITY.match(code)
    if not m or int(m["n"]) == 0:
        return None
    return f"GM{int(m['n']):04d}"


@functools.lru_cache(maxsize=2)
def _municipality_names(path: Path = DEFAULT_CODE_LIST) -> RegionIndex:
    """The CBS municipalities by name; the ones that still exist are preferred among equal names."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["value"]
    municipalities = {r["Identifier"].strip(): r["Title"].strip() for r in rows
                      if r["Identifier"].strip().startswith("GM")}
    existing = frozenset(r["Identifier"].strip() for r in rows if r["Identifier"].strip() in municipalities
                         and parse_validity(r.get("Description")).valid_to is None)
    return RegionIndex(municipalities, existing)


def map_geo_items(geo_level: str, items: Iterable[tuple[str, str]], *, where: str,
                  code_list: Path = DEFAULT_CODE_LIST) -> dict[str, str]:
    """``{ExternalCode: GMnnnn}`` for the ``(ExternalCode, Name)`` GeoItems of a municipal ``geo_level``.

    Raises :class:`SwingGeoCodeError` (naming ``where``) when items cannot be mapped, or when two map to the
    same municipality (their values would be counted twice)."""
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    names: RegionIndex | None = None
    for code, name in items:
        code = str(code).strip()
        cbs = municipality_code(code)
        if cbs is None and not _OTHER_LEVEL.match(code) and name.strip():
            names = names or _municipality_names(code_list)
            try:
                cbs = names.municipality(name)
            except RegionLookupError:
                cbs = None
        if cbs is None:
            unmapped.append(f"{code[:40]!r} ({name.strip()[:40]})" if name.strip() else repr(code[:40]))
            continue
        if code in mapping:
            raise SwingGeoCodeError(f"{where}: GeoItem {code[:40]!r} of geo level {geo_level!r} appears twice")
        mapping[code] = cbs
    if unmapped:
        raise SwingGeoCodeError(
            f"{where}: {len(unmapped)} of the {len(unmapped) + len(mapping)} GeoItems of geo level {geo_level!r} "
            f"are no CBS municipality, e.g. {', '.join(unmapped[:EXAMPLES])}. Read as municipalities: {FORMS}; "
            f"a code of another level (provincie_23, res_17) never is. Check the entry's geo_level in the Swing "
            f"catalogue (EA_SWING_CATALOGUE)")
    seen: dict[str, str] = {}
    for code, cbs in mapping.items():
        if cbs in seen:
            raise SwingGeoCodeError(f"{where}: GeoItems {seen[cbs]!r} and {code!r} of geo level {geo_level!r} "
                                    f"are both municipality {cbs}; their values would be counted twice")
        seen[cbs] = code
    return mapping
