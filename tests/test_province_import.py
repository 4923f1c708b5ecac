"""Issue 19 point 5: a province-wide export is split by agency code; a commune's own export
refuses another commune's rows; dossiers keep their commune (both backends through the CLI)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot import cli
from bot.settings import KNOWLEDGE_DIR
from core.dossier_import import CommuneRule, parse_export
from core.province import Province, load_province
from core.receipt_codes import code_key
from core.workdays import WorkingCalendar
from storage.backends import open_storage
from tests.conftest import make_settings
from tests.test_dossier_import import row, write_csv

EXAMPLE = Path(__file__).parent / "data" / "province" / "province.yaml"
NOW = dt.datetime(2026, 1, 6, 9, 0)


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(EXAMPLE, KNOWLEDGE_DIR / "procedures.yaml", KNOWLEDGE_DIR / "commune.yaml")


def export(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "tinh.csv",
        [
            row(**{"Mã hồ sơ": "000.00.19.H47-260105-0001"}),
            row(**{"Mã hồ sơ": "000.00.20.H47-260105-0001"}),
            row(**{"Mã hồ sơ": "H57.132-260105-0002"}),
            row(**{"Mã hồ sơ": "000.00.21.H47-260105-0003"}),
            row(**{"Mã hồ sơ": "000.00.99.H47-260105-0004"}),
        ],
    )


def test_a_province_wide_export_is_split_by_agency_code(tmp_path: Path, province: Province) -> None:
    parsed = parse_export(
        export(tmp_path), province.first.catalogue, WorkingCalendar(), now=NOW,
        communes=CommuneRule(province),
    )  # fmt: skip
    assert [(r.dossier.code, r.dossier.commune_id) for r in parsed.rows] == [
        ("000.00.19.H47-260105-0001", "binh-an"),
        ("000.00.20.H47-260105-0001", "dong-hoa"),
        ("H57.132-260105-0002", "dong-hoa"),
        ("000.00.21.H47-260105-0003", "tan-phu"),
    ]
    assert [str(e) for e in parsed.errors] == [
        "dòng 6, cột «Mã hồ sơ»: mã cơ quan «000.00.99.H47» không thuộc xã, phường nào của"
        " tỉnh Ví Dụ (tệp province.yaml, agency_codes)"
    ]


def test_a_communes_own_export_refuses_another_communes_rows(
    tmp_path: Path, province: Province
) -> None:
    parsed = parse_export(
        export(tmp_path), province.first.catalogue, WorkingCalendar(), now=NOW,
        communes=CommuneRule(province, "dong-hoa"),
    )  # fmt: skip
    assert [r.dossier.code for r in parsed.rows] == [
        "000.00.20.H47-260105-0001",
        "H57.132-260105-0002",
    ]
    messages = [str(e) for e in parsed.errors]
    assert messages[0] == (
        "dòng 2, cột «Mã hồ sơ»: hồ sơ của xã Bình An, không phải của phường Đông Hòa: tệp của"
        " xã chỉ nhập hồ sơ của xã mình"
    )
    assert len(messages) == 3 and "xã Tân Phú" in messages[1] and "000.00.99.H47" in messages[2]


def test_a_province_of_one_takes_every_code_as_before(tmp_path: Path) -> None:
    one = load_province(None, KNOWLEDGE_DIR / "procedures.yaml", KNOWLEDGE_DIR / "commune.yaml")
    parsed = parse_export(
        export(tmp_path), one.first.catalogue, WorkingCalendar(), now=NOW,
        communes=CommuneRule(one),
    )  # fmt: skip
    assert not parsed.errors and {r.dossier.commune_id for r in parsed.rows} == {"binh-an"}


def test_an_overlay_procedure_is_read_in_its_communes_rows(
    tmp_path: Path, province: Province
) -> None:
    """Đông Hòa hides hòa giải đất đai: its rows naming it are errors, Bình An's are not."""
    land = "hoa-giai-tranh-chap-dat-dai"
    rows = [
        row(**{"Mã hồ sơ": f"000.00.{agency}.H47-260105-0001", "Thủ tục": land})
        for agency in ("19", "20")
    ]
    path = write_csv(tmp_path / "tinh.csv", rows)
    parsed = parse_export(
        path, province.first.catalogue, WorkingCalendar(), now=NOW,
        communes=CommuneRule(province),
    )  # fmt: skip
    assert [r.dossier.commune_id for r in parsed.rows] == ["binh-an"]
    assert [e.row_number for e in parsed.errors] == [3]


async def test_import_dossiers_command_keeps_the_commune(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, province_file=EXAMPLE)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MOTCUA_PROVINCE_FILE", str(EXAMPLE))
    path = export(tmp_path)

    def run(*argv: str) -> int:
        return cli.main(["import-dossiers", str(path), *argv])

    assert await asyncio.to_thread(run, "--commune", "nowhere") == 2
    assert "Không có xã «nowhere»" in capsys.readouterr().err
    assert await asyncio.to_thread(run, "--commune", "dong-hoa", "--skip-bad") == 0
    assert await asyncio.to_thread(run) == 1  # the unknown agency: nothing imported
    assert "000.00.99.H47" in capsys.readouterr().err
    storage = await open_storage(settings.database_url, settings.database_file)
    try:
        found = await storage.dossiers.get_dossiers(
            [code_key("H57.132-260105-0002"), code_key("000.00.19.H47-260105-0001")]
        )
    finally:
        await storage.close()
    assert list(found) == [code_key("H57.132-260105-0002")]
    assert found[code_key("H57.132-260105-0002")].commune_id == "dong-hoa"
