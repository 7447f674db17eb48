"""What is wrong with a delivery, in words a partner can act on (Dutch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    row: int | None = None  # row number as the partner sees it in the spreadsheet (1 = first row)
    column: str | None = None  # the column header as written in the file

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"rij {self.row}")
        if self.column is not None:
            where.append(f"kolom '{self.column}'")
        if not where:
            return self.message[:1].upper() + self.message[1:]
        place = ", ".join(where)  # the header as written: only the first letter is raised
        return place[:1].upper() + place[1:] + ": " + self.message


class Rejected(Exception):
    """The delivery is refused as a whole; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems
