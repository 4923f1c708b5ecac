"""Issue 19 point 6: the province's figures, one line per commune, and the lateness chart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import cli
from tests.test_dossier_import import row, write_csv

EXAMPLE = Path(__file__).parent / "data" / "province" / "province.yaml"


def province_export(tmp_path: Path) -> Path:
    """Bình An: 2 on time; Đông Hòa: 1 late of 2; Tân Phú: nothing (Q1/2026)."""
    lines = [
        ("000.00.19.H47-260105-0001", "05/01/2026 09:30", "09/01/2026", "08/01/2026 10:00"),
        ("000.00.19.H47-260106-0001", "06/01/2026 09:30", "09/01/2026", "09/01/2026 10:00"),
        ("000.00.20.H47-260105-0001", "05/01/2026 09:30", "07/01/2026", "12/01/2026 10:00"),
        ("H57.132-260105-0002", "05/01/2026 09:30", "09/01/2026", "07/01/2026 10:00"),
    ]
    return write_csv(
        tmp_path / "tinh.csv",
        [
            row(**{"Mã hồ sơ": code, "Ngày tiếp nhận": received, "Ngày hẹn trả": due,
                   "Trạng thái": "Đã trả kết quả", "Ngày có kết quả": resolved})
            for code, received, due, resolved in lines
        ],
    )  # fmt: skip


async def test_the_province_report_has_a_line_per_commune_and_ranks_lateness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MOTCUA_PROVINCE_FILE", str(EXAMPLE))
    export = province_export(tmp_path)
    xlsx, png, pdf = tmp_path / "t.xlsx", tmp_path / "t.png", tmp_path / "t.pdf"

    def run(*argv: str) -> int:
        return cli.main(list(argv))

    assert await asyncio.to_thread(run, "import-dossiers", str(export)) == 0
    args = ["report", "--quarter", "2026-Q1", "--xlsx", str(xlsx), "--png", str(png)]
    assert await asyncio.to_thread(run, *args, "--pdf", str(pdf)) == 0
    out = capsys.readouterr().out
    assert "Theo xã, phường (quá hạn nhiều nhất trước):" in out
    lines = [line for line in out.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert lines[0].startswith("1. phường Đông Hòa: 2 hồ sơ; đã giải quyết 2"), lines
    assert "(trước hạn và đúng hạn 50" in lines[0]
    assert lines[1].startswith("2. xã Bình An: 2 hồ sơ") and "100" in lines[1]
    assert lines[2].startswith("3. xã Tân Phú: 0 hồ sơ")
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert any(cell == "Xã, phường" for r in values for cell in r)
    names = [r[1] for r in values if r[0] in (1, 2, 3)]
    assert names == ["xã Bình An", "phường Đông Hòa", "xã Tân Phú"]  # the province file's order
    total = next(r for r in values if r[1] == "Tổng cộng")
    assert total[2] == 4 and total[12] == 1  # received, late
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pdf.read_bytes()[:5] == b"%PDF-"

    # One commune's own figures.
    assert (
        await asyncio.to_thread(run, "report", "--quarter", "2026-Q1", "--commune", "binh-an") == 0
    )
    out = capsys.readouterr().out
    assert "Theo lĩnh vực:" in out and "Hộ tịch: 2 hồ sơ" in out
    assert await asyncio.to_thread(run, "report", "--commune", "khong-co") == 2
