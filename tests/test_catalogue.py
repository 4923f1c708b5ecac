"""The shipped catalogue is complete and valid; a broken one is reported line by line."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import KNOWLEDGE_DIR
from core.catalogue import CatalogueInvalid, check_catalogue, load_catalogue
from core.catalogue.models import MAX_PROCEDURE_ID, FeeSetBy, TimeKind
from core.catalogue.placeholders import placeholder_warnings
from core.messages import Button

DATA = Path(__file__).parent / "data"
PROCEDURES = KNOWLEDGE_DIR / "procedures.yaml"
COMMUNE = KNOWLEDGE_DIR / "commune.yaml"

MINIMAL = """\
version: 1
procedures:
  - id: dang-ky-ket-hon
    name: Đăng ký kết hôn
    field: Hộ tịch
    summary: |-
      Dòng một.
      Dòng hai.
    applicants: Hai bên nam, nữ.
    documents:
      - name: Tờ khai đăng ký kết hôn
        kind: to-khai
    fees:
      - key: trong-nuoc
        label: Công dân Việt Nam cư trú trong nước
        amount: 0
        basis: Luật Hộ tịch 2014 Điều 11
    processing_time:
      kind: ngay-khi-nhan
      basis: Luật Hộ tịch 2014 Điều 18
    where: UBND xã
    filing:
      - method: truc-tiep
    steps:
      - Nộp hồ sơ.
    legal_basis:
      - Luật Hộ tịch 2014
    last_reviewed: 2026-11-23
"""


def write(tmp_path: Path, text: str, name: str = "procedures.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_for(tmp_path: Path, text: str, commune: Path = COMMUNE) -> list[str]:
    return [str(e) for e in check_catalogue(write(tmp_path, text), commune)]


def test_shipped_catalogue_is_valid() -> None:
    assert check_catalogue(PROCEDURES, COMMUNE) == []


def test_every_required_procedure_is_in_the_catalogue_with_its_field() -> None:
    catalogue = load_catalogue(PROCEDURES, COMMUNE)
    with (DATA / "procedures.tsv").open(encoding="utf-8") as handle:
        required = list(csv.DictReader(handle, delimiter="\t"))
    assert len(required) == 33
    for row in required:
        procedure = catalogue.get(row["id"])
        assert procedure is not None, f"{row['id']} is missing"
        assert procedure.field == row["field"], row["id"]
        assert procedure.name == row["name"], row["id"]


def test_every_procedure_is_complete_for_a_citizen() -> None:
    catalogue = load_catalogue(PROCEDURES, COMMUNE)
    for p in catalogue:
        assert len(p.summary.splitlines()) == 2, f"{p.id}: the summary must be two lines"
        assert p.documents and p.fees and p.steps and p.legal_basis, p.id
        assert len(p.aliases) >= 5, f"{p.id}: people need everyday names to find it"
        if p.processing_time.kind is TimeKind.WORKING_DAYS:
            assert p.processing_time.working_days >= 1, p.id
        for fee in p.fees:
            if fee.set_by is FeeSetBy.NATIONAL:
                assert fee.amount is not None, f"{p.id}/{fee.key}"
    assert catalogue.referrals, "requests handled elsewhere (passports…) must be known"


def test_province_fee_not_filled_in_reads_as_not_updated(tmp_path: Path) -> None:
    text = MINIMAL.replace("        amount: 0\n", "        set_by: tinh\n")
    catalogue = load_catalogue(write(tmp_path, text), COMMUNE)
    [line] = catalogue.fee_lines(catalogue.get("dang-ky-ket-hon"))  # type: ignore[arg-type]
    assert line.unknown

    commune = COMMUNE.read_text(encoding="utf-8").replace(
        "local_fees: {}", 'local_fees:\n  "dang-ky-ket-hon/trong-nuoc": 8000'
    )
    catalogue = load_catalogue(tmp_path / "procedures.yaml", write(tmp_path, commune, "c.yaml"))
    [line] = catalogue.fee_lines(catalogue.get("dang-ky-ket-hon"))  # type: ignore[arg-type]
    assert line.amount == 8000


def test_negative_amount_names_file_line_procedure_and_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("amount: 0", "amount: -5")
    assert errors_for(tmp_path, text) == [
        'procedures.yaml dòng 16, thủ tục "dang-ky-ket-hon", trường fees[0].amount: '
        "phải là số tiền (đồng) không âm, viết liền không dấu chấm (ví dụ 50000)"
    ]


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("amount: 0", "amount: nhiều")
        .replace("    field: Hộ tịch\n", "    feild: Hộ tịch\n")
        .replace("last_reviewed: 2026-11-23", "last_reviewed: hôm qua")
        .replace("kind: to-khai", "kind: photo")
    )
    errors = errors_for(tmp_path, text)
    joined = "\n".join(errors)
    assert len(errors) == 5, joined
    assert "dòng 5" in joined and "trường field: thiếu trường bắt buộc này" in joined
    assert "trường feild: trường này không có trong mẫu" in joined
    assert "trường fees[0].amount: phải là số tiền" in joined
    assert "trường last_reviewed: phải là ngày dạng NNNN-TT-NN" in joined
    assert "trường documents[0].kind: phải là một trong các giá trị" in joined


def test_duplicate_ids_and_unknown_related(tmp_path: Path) -> None:
    body = MINIMAL.split("procedures:\n", 1)[1]
    text = MINIMAL + body.replace("    last_reviewed", "    related: [khong-co]\n    last_reviewed")
    errors = errors_for(tmp_path, text)
    assert any("dòng 29" in e and "mã thủ tục bị trùng với mục ở dòng 3" in e for e in errors)
    assert any('thủ tục liên quan "khong-co" không có trong danh mục' in e for e in errors)


def test_took_over_from_names_another_procedure_of_the_catalogue(tmp_path: Path) -> None:
    """A procedure that took over another's people names a procedure of this catalogue, not
    itself nor one that is missing."""
    move = (
        "    took_over_from:\n      - procedure: {}\n        since: 2025-07-01\n"
        "        who: người từ đủ 75 tuổi\n        basis: Luật Bảo hiểm xã hội 2024, Điều 21\n"
    )
    for source, problem in [
        ("khong-co", 'thủ tục "khong-co" (nơi đối tượng chuyển đi) không có trong danh mục'),
        ("dang-ky-ket-hon", "không thể nhận lại đối tượng của chính nó"),
    ]:
        text = MINIMAL.replace("    last_reviewed", move.format(source) + "    last_reviewed")
        [error] = errors_for(tmp_path, text)
        assert problem in error and "took_over_from[0].procedure" in error, error
    text = MINIMAL.replace("    last_reviewed", move.format("x") + "    last_reviewed")
    text = text.replace("        since: 2025-07-01\n", "        since: sau này\n")
    assert any("took_over_from[0].since: phải là ngày" in e for e in errors_for(tmp_path, text))


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("    where: UBND xã\n", "    where: UBND xã\n    where: Ở nhà\n")
    [error] = errors_for(tmp_path, text)
    assert "dòng 22" in error and "trường where: trường này bị lặp lại (đã có ở dòng 21)" in error


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("    where: UBND xã", "    where: [UBND xã")
    [error] = errors_for(tmp_path, text)
    assert error.startswith("procedures.yaml dòng") and "sai cú pháp YAML" in error


@pytest.mark.parametrize(
    ("broken", "line", "meaning"),
    [
        # An unclosed quote is noticed far below; the line to fix is where it was opened.
        (("    name: Đăng ký kết hôn", '    name: "Đăng ký kết hôn'), 4, "chưa được đóng"),
        (("    field: Hộ tịch", "\tfield: Hộ tịch"), 5, "Tab"),
        (("    field: Hộ tịch", "   field: Hộ tịch"), 5, "thụt lề"),
        (("    where: UBND xã", "    where: UBND xã: trụ sở"), 21, "dấu “:” không đúng chỗ"),
    ],
)
def test_yaml_mistakes_are_explained_in_vietnamese_at_the_broken_line(
    tmp_path: Path, broken: tuple[str, str], line: int, meaning: str
) -> None:
    """Issue 14: the officer reads what is wrong and the line to fix, not PyYAML's English."""
    [error] = errors_for(tmp_path, MINIMAL.replace(*broken))
    assert error.startswith(f"procedures.yaml dòng {line}:") and meaning in error, error
    assert not any(word in error for word in ("expected", "found", "while", "scanning"))


def test_a_yaml_mistake_in_the_communes_file_too(tmp_path: Path) -> None:
    commune = tmp_path / "commune.yaml"
    text = COMMUNE.read_text(encoding="utf-8")
    commune.write_text(text.replace('"0200 3 000 000"', '"0200 3 000 000', 1), encoding="utf-8")
    [error] = errors_for(tmp_path, MINIMAL, commune)
    assert error.startswith("commune.yaml dòng 9:") and "chưa được đóng" in error, error


def test_sample_values_left_in_the_communes_file_are_warned_about(tmp_path: Path) -> None:
    """Issue 14: the shipped commune.yaml is an example; what is still an example is named
    with its line by check-catalogue (a warning: the bot still runs)."""
    fields = {w.field: w.line for w in placeholder_warnings(COMMUNE)}
    assert {"phone", "hotline", "address", "hours.days", "signer.name"} <= set(fields)
    assert fields["phone"] == 9
    filled = tmp_path / "commune.yaml"
    text = COMMUNE.read_text(encoding="utf-8")
    for sample, real in [
        ("tỉnh Ví Dụ", "tỉnh Bắc Ninh"),
        ("Trụ sở UBND xã Bình An (số nhà, thôn, xã, tỉnh — ghi địa chỉ thật của xã)", "Thôn Đông"),
        ("0200 3 000 000", "0222 3 811 222"),
        ("0200 3 000 001", "0222 3 811 223"),
        ("motcua@binhan.example.gov.vn", "motcua@binhan.bacninh.gov.vn"),
        (" (và sáng thứ Bảy nếu xã có lịch trực)", ""),
        ("(ghi họ tên người ký)", "Nguyễn Văn Bình"),
    ]:
        text = text.replace(sample, real)
    filled.write_text(text, encoding="utf-8")
    assert placeholder_warnings(filled) == []
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check-catalogue", "--commune", str(COMMUNE)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    assert "Lưu ý: commune.yaml dòng 9, trường phone: còn là giá trị mẫu «0200 3 000 000»" in (
        run.stderr
    )


def test_unquoted_national_code_is_explained(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "    name: Đăng ký kết hôn", "    code: 1.000894\n    name: Đăng ký kết hôn"
    )
    [error] = errors_for(tmp_path, text)
    assert "trường code" in error and 'ngoặc kép: "1.001193"' in error


def test_local_fee_for_unknown_procedure_is_reported(tmp_path: Path) -> None:
    commune = COMMUNE.read_text(encoding="utf-8").replace(
        "local_fees: {}", 'local_fees:\n  "khong-co/qua-han": 5000'
    )
    errors = errors_for(tmp_path, MINIMAL, write(tmp_path, commune, "commune.yaml"))
    assert len(errors) == 1 and errors[0].startswith("commune.yaml dòng")
    assert "local_fees.khong-co/qua-han" in errors[0]


def test_office_hours_must_be_readable_as_times(tmp_path: Path) -> None:
    """Issue 21: the hours say when an officer's answer can be expected, and count the office
    time to it; a value the bot cannot read is reported with its line."""
    commune = COMMUNE.read_text(encoding="utf-8").replace(
        'morning: "7:30 – 11:30"', "morning: buổi sáng"
    )
    errors = errors_for(tmp_path, MINIMAL, write(tmp_path, commune, "commune.yaml"))
    assert len(errors) == 1 and errors[0].startswith("commune.yaml dòng")
    assert "hours.morning" in errors[0] and '"7:30 – 11:30"' in errors[0]


def test_bad_catalogue_raises_with_every_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueInvalid) as caught:
        load_catalogue(write(tmp_path, MINIMAL.replace("amount: 0", "amount: -1")), COMMUNE)
    assert "Danh mục có 1 lỗi, chưa được áp dụng" in caught.value.report()


def test_check_catalogue_command_exits_non_zero_with_messages(tmp_path: Path) -> None:
    bad = write(tmp_path, MINIMAL.replace("amount: 0", "amount: -1"))
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check-catalogue", str(bad)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert run.returncode == 1
    assert 'dòng 16, thủ tục "dang-ky-ket-hon", trường fees[0].amount' in run.stderr

    good = subprocess.run(
        [sys.executable, "-m", "bot", "check-catalogue"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert "Danh mục hợp lệ" in good.stdout


def test_an_id_too_long_for_button_data_is_refused(tmp_path: Path) -> None:
    # Ids travel in button data, which Telegram caps at 64 bytes ("b:pp:<id>" is the longest).
    longest = "-".join(["a" * 9] * 5) + "-abcdef"  # 56 characters: allowed
    assert len(longest) == MAX_PROCEDURE_ID
    assert errors_for(tmp_path, MINIMAL.replace("dang-ky-ket-hon", longest)) == []
    for prefix in ("b:pp:", "up:ann:", "p:g:", "p:c:", "ck:"):
        Button("x", f"{prefix}{longest}")  # raises beyond MAX_BUTTON_DATA
    [error] = errors_for(tmp_path, MINIMAL.replace("dang-ky-ket-hon", longest + "x"))
    assert "dòng 3" in error and "trường id:" in error and "56" in error


# -- catalogue facts (issue 16 point 7) ---------------------------------------------------------

CIVIL_STATUS_15H = "Luật Hộ tịch 2014"  # Điều 5 khoản 3
CERTIFICATION_15H = "Nghị định 23/2015/NĐ-CP Điều 7"


def test_the_15_oclock_rule_cites_its_own_article() -> None:
    """A request received after 15:00 goes to the next working day by Luật Hộ tịch 2014 Điều 5
    khoản 3 (civil status) or NĐ 23/2015 Điều 7 (chứng thực) — never by NĐ 61/2018 Điều 18
    khoản 2, which is about passing a dossier on."""
    catalogue = load_catalogue(PROCEDURES, COMMUNE)
    for p in catalogue:
        time = p.processing_time
        assert "61/2018" not in time.basis, p.id
        if not time.cutoff_15h:
            continue
        if p.field in ("Hộ tịch", "Liên thông"):
            assert CIVIL_STATUS_15H in time.basis and "Điều 5 khoản 3" in time.basis, p.id
        else:
            assert CERTIFICATION_15H in time.basis, p.id
    birth = catalogue.get("dang-ky-khai-sinh")
    assert birth is not None and any("Điều 5 khoản 3" in s for s in birth.sources)


def test_marriage_verification_time_and_the_agricultural_credit_exemption() -> None:
    catalogue = load_catalogue(PROCEDURES, COMMUNE)
    marriage = catalogue.get("dang-ky-ket-hon")
    assert marriage is not None
    assert marriage.processing_time.extra_days_if_verification == 5  # Luật Hộ tịch Điều 18 k.2
    assert "Điều 18 khoản 2" in marriage.processing_time.basis
    contracts = catalogue.get("chung-thuc-hop-dong")
    assert contracts is not None
    [exempt] = [fee for fee in contracts.fees if fee.key == "the-chap-nong-nghiep"]
    assert exempt.amount == 0 and exempt.basis.startswith("Thông tư 226/2016/TT-BTC Điều 5")
    assert any("55/2015" in item for item in contracts.to_confirm)  # its decree still in force?


def test_the_social_pension_has_its_own_procedure_and_the_allowance_points_to_it() -> None:
    """Luật BHXH 2024, NĐ 176/2025: from 75 (70 in poor and near-poor households) without a
    pension, "trợ cấp hưu trí xã hội" — its own procedure (1.014027), not the monthly social
    allowance of NĐ 20/2021, whose card points to it."""
    catalogue = load_catalogue(PROCEDURES, COMMUNE)
    pension = catalogue.get("tro-cap-huu-tri-xa-hoi")
    allowance = catalogue.get("tro-cap-xa-hoi-hang-thang")
    assert pension is not None and allowance is not None
    assert pension.code == "1.014027" and "176/2025" in " ".join(pension.legal_basis)
    assert "75 tuổi" in pension.applicants and "70 tuổi" in pension.applicants
    assert pension.sources and pension.to_confirm
    assert allowance.related[0] == pension.id and "hưu trí xã hội" in allowance.summary
    # The move itself, for the search (both listed together) and both cards.
    [move] = pension.took_over_from
    assert move.procedure == allowance.id and move.since.isoformat() == "2025-07-01"
    assert "Điều 21–22" in move.basis and "75 tuổi" in move.who
    assert catalogue.taken_over_by(allowance) == [(move, pension)]
    assert catalogue.took_over_from(pension) == [(move, allowance)]


def test_no_district_level_in_what_citizens_are_told_to_do() -> None:
    """Since 01/7/2025 there is no district level: documents and steps do not send anyone there
    (the law's old wording is quoted in notes, to_confirm and sources, or beside "không còn cấp
    huyện")."""
    catalogue = load_catalogue(PROCEDURES, COMMUNE)
    for p in catalogue:
        for text in [d.name for d in p.documents] + list(p.steps) + [p.where]:
            named = re.search(r"\bhuyện\b", text)
            assert not named or "không còn cấp huyện" in text, (p.id, text)
