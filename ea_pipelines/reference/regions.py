"""CBS region codes and names, read from the real CBS code list bundled with the 03759ned snapshot.

Partners write municipalities as a code (GMnnnn) or a name. Names that CBS qualifies to tell apart
(``Hengelo (O.)``, ``Hengelo (Gld.)``) are also found by their bare name; when a bare name fits more
than one municipality, a preferred one (the programme's own peer group) wins, else the name is
ambiguous and refused with the candidates.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR

DEFAULT_CODE_LIST = DEFAULT_SNAPSHOT_DIR / "03759ned" / "codes-RegioS.json"
REGION_CODE = re.compile(r"^(NL\d{2}|LD\d{2}|PV\d{2}|CR\d{2}|GM\d{4})$")


class RegionLookupError(LookupError):
    """The text names no region, or more than one; the message is Dutch, for partners."""


@functools.lru_cache(maxsize=4)
def _code_list(path: Path) -> tuple[tuple[str, str], ...]:
    """(code, title) pairs of a CBS region code list; read once per process, not once per asset step."""
    rows = json.loads(path.read_text(encoding="utf-8"))["value"]
    return tuple((r["Identifier"].strip(), r["Title"].strip()) for r in rows)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.strip().lower())


def _bare(name: str) -> str:
    return _fold(re.sub(r"\s*\([^)]*\)\s*$", "", name))


@dataclass
class RegionIndex:
    names: dict[str, str]  # code -> CBS title
    preferred: frozenset[str] = frozenset()
    _by_name: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for code, title in self.names.items():
            for key in {_fold(title), _bare(title)}:
                self._by_name.setdefault(key, set()).add(code)

    @classmethod
    def from_code_list(cls, path: Path = DEFAULT_CODE_LIST, preferred: frozenset[str] = frozenset()) -> RegionIndex:
        return cls(dict(_code_list(Path(path))), preferred)

    def region(self, text: str) -> str:
        """Code of any region given as a CBS code, or of a municipality given by name."""
        code = text.strip().upper()
        if REGION_CODE.match(code):
            if code not in self.names:
                raise RegionLookupError(f"'{text}' is geen bekende CBS-regiocode")
            return code
        return self.municipality(text)

    def municipality(self, text: str) -> str:
        code = text.strip().upper()
        if re.match(r"^GM\d{4}$", code):
            if code not in self.names:
                raise RegionLookupError(f"'{text}' is geen bekende CBS-gemeentecode")
            return code
        exact = {c for c in self._by_name.get(_fold(text), set()) if c.startswith("GM")}
        candidates = exact if len(exact) == 1 else exact or {
            c for c in self._by_name.get(_bare(text), set()) if c.startswith("GM")}
        if len(candidates) > 1:
            candidates = (candidates & self.preferred) or candidates
        if len(candidates) == 1:
            return next(iter(candidates))
        if not candidates:
            raise RegionLookupError(f"'{text}' is geen bekende gemeente (gebruik de CBS-gemeentecode, bijv. GM0363)")
        options = ", ".join(f"{self.names[c]} ({c})" for c in sorted(candidates))
        raise RegionLookupError(f"'{text}' is niet eenduidig: bedoelt u {options}? Gebruik de CBS-gemeentecode")
