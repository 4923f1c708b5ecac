"""Spreadsheets the bot writes are safe to open (issue 15; OWASP "CSV Injection").

Text that comes from imports and officers (a reason, a name, a procedure) may start with a
character a spreadsheet reads as a formula: `=HYPERLINK(…)`, `+cmd|' /C calc'!A0`, `@SUM(…)`,
`-2+3`. OWASP's rule: no cell may begin with `=`, `+`, `-`, `@`, tab or carriage return; such a
cell is prefixed with a single quote, which the spreadsheet shows as text. Numbers stay numbers.
Every CSV and XLSX the bot writes goes through here: CSV rows through `SafeCsvWriter`, a finished
workbook through `neutralise_workbook` (which also turns any formula cell back into text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose every text cell is neutralised."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def neutralise_workbook(workbook: Any) -> None:
    """Every text cell of every sheet (openpyxl stores a text starting with '=' as a formula:
    it becomes text again, quoted)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type in ("s", "f"):
                    value = neutralise(cell.value)
                    if value != cell.value or cell.data_type == "f":
                        cell.value = value
                        cell.data_type = "s"
