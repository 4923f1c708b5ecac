"""Receipt codes as people type them (TT 01/2018/TT-VPCP Điều 19 layout, DOMAIN.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.receipt_codes import code_key, find_codes, looks_like_code


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("000.00.19.H47-260105-0001", ["000.00.19.H47-260105-0001"]),
        ("H57.132-260804-0583", ["H57.132-260804-0583"]),
        ("mã hồ sơ của tôi là 000.00.19.H47-260105-0001 ạ", ["000.00.19.H47-260105-0001"]),
        ("h57.132-260804-0583", ["H57.132-260804-0583"]),
        ("H57.132 – 260804 – 0583", ["H57.132-260804-0583"]),
        ("000 00 19 H47 260105 0001", ["000.00.19.H47-260105-0001"]),
        ("000.00.19.h47—260105—0001, con của tôi", ["000.00.19.H47-260105-0001"]),
        (
            "hai mã H57.132-260804-0583 và H57.132-260804-0584",
            ["H57.132-260804-0583", "H57.132-260804-0584"],
        ),
        ("số 260105-0001", ["260105-0001"]),
        # Issue 14: typed with no separators, or some of them missing.
        ("00000019H472601050002", ["00000019H47-260105-0002"]),
        ("0000019h472601050002", ["0000019H47-260105-0002"]),
        ("000.00.19.H47-2601050002", ["000.00.19.H47-260105-0002"]),
        ("000 00 19 h47 260105 0002", ["000.00.19.H47-260105-0002"]),
        ("000.00.19.H47260105-0002", ["000.00.19.H47-260105-0002"]),
        ("H571322608040583", ["H57132-260804-0583"]),
    ],
)
def test_codes_are_found_however_typed(message: str, expected: list[str]) -> None:
    assert find_codes(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "sdt 0912345678",
        "ngày 12/05/2026",
        "khai sinh",
        "2026-11-23",
        "năm 2026 0001",
        "",
        "0701234567",  # a phone number whose digits happen to read as a date and a sequence
        "cccd 001203012345",  # an identity card number, likewise
    ],
)
def test_other_numbers_are_not_codes(message: str) -> None:
    assert find_codes(message) == []


@pytest.mark.parametrize(
    ("message", "shaped"),
    [
        ("000.00.19.H47-260105-0001", True),
        ("0912345678", True),  # long enough to be a code: looked up, and counted if unknown
        ("hs 2026 abc 77", True),  # another software's code: never refused for its shape
        ("1", False),
        ("12", False),
        ("0912", False),
        ("không nhớ mã", False),
        ("tôi không nhớ mã 123", False),
    ],
)
def test_code_shaped_input(message: str, shaped: bool) -> None:
    """Only code-shaped input is looked up, and only it can count as a failed lookup."""
    assert looks_like_code(message) is shaped


def test_every_spelling_of_a_code_has_one_key() -> None:
    spellings = [
        "000.00.19.H47-260105-0001",
        "000.00.19.h47 – 260105 – 0001",
        "000 00 19 H47 260105 0001",
        "０００.００.１９.Ｈ４７-２６０１０５-０００１",
    ]
    assert {code_key(s) for s in spellings} == {"0000019H472601050001"}


@given(st.text(max_size=200))
def test_any_text_is_handled(text: str) -> None:
    for code in find_codes(text):
        assert code_key(code)
