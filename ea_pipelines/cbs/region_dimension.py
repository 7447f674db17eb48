"""Which dimension of a CBS table holds its regions, by what it is rather than by one field.

A dimension is the region dimension when the catalogue entry names it (``region_dimension:``), when its Kind
(v4) or Type (v3) is ``GeoDimension``, when its identifier is ``RegioS`` (85792NED types it as a plain
``Dimension``), or when its codes are CBS region codes (NL01, LD01, PV23, CR12, GM0363, WK036300, BU03630000).
A table whose entry selects regions (``regions:``) but where no region dimension is found is refused: its
region filter would otherwise be ignored without a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.errors import CbsError
from ea_pipelines.cbs.readers import GEO, OTHER, TIME, Code, Dimension

#: CBS region codes of every level (land, landsdeel, provincie, COROP, gemeente, wijk, buurt)
CBS_REGION_CODE = re.compile(r"^(NL\d{2}|LD\d{2}|PV\d{2}|CR\d{2}|GM\d{4}|WK\d{6}|BU\d{8})$")


def looks_like_regions(codes: list[Code]) -> bool:
    """Every code of the dimension is a CBS region code (and there is at least one)."""
    return bool(codes) and all(CBS_REGION_CODE.match(c.code) for c in codes)


def resolve(spec: CbsTable, dims: list[Dimension], codes_of: Callable[[Dimension], list[Code]]) -> list[Dimension]:
    """``dims`` with the region dimension marked GEO (and no other); ``codes_of`` reads a dimension's codes, asked
    only of the further dimensions, and only when neither the entry nor the metadata says which one it is."""
    ids = [d.id for d in dims]
    named = spec.region_dimension
    if named is not None and named not in ids:
        raise CbsError(f"{spec.table_id}: the catalogue entry {spec.name!r} names region_dimension {named!r}, which "
                       f"the table does not have (it has {', '.join(ids)})")
    geo = named or next((d.id for d in dims if d.kind == GEO), None)
    if geo is None:
        candidates = [d for d in dims if d.kind == OTHER and d.id not in spec.filters]
        found = [d.id for d in candidates if looks_like_regions(codes_of(d))]
        geo = found[0] if len(found) == 1 else None
    if geo is None and spec.regions_explicit:
        raise CbsError(f"{spec.table_id}: the catalogue entry {spec.name!r} selects regions, but the table has no "
                       f"region dimension (dimensions: {', '.join(ids) or 'none'}; none is a GeoDimension, is "
                       "called RegioS or holds CBS region codes); remove regions from the entry, or name the "
                       "dimension with region_dimension")
    return [Dimension(d.id, GEO if d.id == geo else (TIME if d.kind == TIME else OTHER)) for d in dims]
