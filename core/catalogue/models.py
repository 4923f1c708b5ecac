"""The procedure catalogue as typed models.

`knowledge/procedures.yaml` and `knowledge/commune.yaml` are validated against these models by
`core.catalogue.loader`, which turns every validation error into a Vietnamese message naming the
file, the line, the procedure and the field. Models forbid unknown keys so that a misspelt field
name is reported instead of silently ignored.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from core.office_hours import HoursUnreadable, parse_session

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Ids travel in button data ("b:pp:<id>", "p:g:<id>"), which Telegram caps at 64 bytes
# (core.messages.MAX_BUTTON_DATA): 56 leaves room for the longest prefix.
MAX_PROCEDURE_ID = 56
ProcedureId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=MAX_PROCEDURE_ID
    ),
]
# Mã TTHC on the national database, e.g. "1.001193" or "2.000815".
NationalCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]\.[0-9]{6}$")
]
# A money amount in đồng. Negative amounts make no sense; 0 means "miễn" (exempt).
Amount = Annotated[int, Field(ge=0, le=1_000_000_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DocumentKind(StrEnum):
    """How a document is handed in."""

    ORIGINAL = "ban-chinh"  # bản chính, kept by the office
    COPY = "ban-sao"  # bản sao (chứng thực or photocopy with the original to compare)
    PRESENT = "xuat-trinh"  # shown to the officer and handed back (ID card, household book…)
    FORM = "to-khai"  # a form the person fills in


class Document(Strict):
    name: NonEmpty
    kind: DocumentKind
    copies: Annotated[int, Field(ge=1, le=20)] = 1
    # The form's official name and the text that issues it, only when it is established;
    # never invent a form number.
    form: NonEmpty | None = None
    note: NonEmpty | None = None
    # True when the document is needed only in some cases (the note says which).
    conditional: bool = False


class FeeSetBy(StrEnum):
    NATIONAL = "trung-uong"  # amount fixed by a national text (e.g. TT 226/2016/TT-BTC)
    PROVINCE = "tinh"  # set by the province's HĐND: the commune fills in its own amount


class Fee(Strict):
    # Short stable key, unique within the procedure; `commune.yaml` refers to it as "<id>/<key>".
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    label: NonEmpty
    set_by: FeeSetBy = FeeSetBy.NATIONAL
    # None only when the province sets it and the commune has not filled it in yet.
    amount: Amount | None = None
    unit: NonEmpty | None = None  # "trang", "bản", "hợp đồng", "trường hợp"…
    note: NonEmpty | None = None
    basis: NonEmpty

    @model_validator(mode="after")
    def _national_fees_have_amounts(self) -> Fee:
        if self.set_by is FeeSetBy.NATIONAL and self.amount is None:
            raise ValueError("national_fee_without_amount")
        return self


class TimeKind(StrEnum):
    ON_RECEIPT = "ngay-khi-nhan"  # trong ngày / ngay khi nhận đủ hồ sơ
    WORKING_DAYS = "ngay-lam-viec"
    # Some laws count plain days (Luật Đất đai 2024 Điều 235: hòa giải within 30 days).
    CALENDAR_DAYS = "ngay"


class ProcessingTime(Strict):
    kind: TimeKind
    working_days: Annotated[int, Field(ge=0, le=120)] = 0
    calendar_days: Annotated[int, Field(ge=0, le=365)] = 0
    # Extra working days allowed by law when verification (xác minh) is needed.
    extra_days_if_verification: Annotated[int, Field(ge=0, le=60)] = 0
    # Received after 15:00 → the next working day: hộ tịch, Luật Hộ tịch 2014 Điều 5 k.3 (for
    # civil-status matters without a time limit in the law; NĐ 123/2015 guides that law);
    # chứng thực, NĐ 23/2015 Điều 7. (NĐ 61/2018 Điều 18 k.2 is about passing a dossier on.)
    cutoff_15h: bool = False
    # True while the commune has not confirmed the time: citizens are told to check it.
    unconfirmed: bool = False
    note: NonEmpty | None = None
    basis: NonEmpty

    @model_validator(mode="after")
    def _days_match_kind(self) -> ProcessingTime:
        if self.kind is TimeKind.WORKING_DAYS and (self.working_days < 1 or self.calendar_days):
            raise ValueError("working_days_required")
        if self.kind is TimeKind.CALENDAR_DAYS and (self.calendar_days < 1 or self.working_days):
            raise ValueError("calendar_days_required")
        if self.kind is TimeKind.ON_RECEIPT and (self.working_days or self.calendar_days):
            raise ValueError("on_receipt_has_days")
        return self


class FilingMethod(StrEnum):
    DESK = "truc-tiep"  # at the one-stop desk
    PORTAL = "cong-dvc"  # Cổng Dịch vụ công quốc gia / tỉnh
    VNEID = "vneid"
    POSTAL = "buu-chinh"  # dịch vụ bưu chính công ích


class Filing(Strict):
    method: FilingMethod
    note: NonEmpty | None = None


class TakeOver(Strict):
    """Part of another procedure's people moved to this one by law from a date (the trợ cấp
    hưu trí xã hội took the over-75s without a pension from the monthly social allowance on
    1/7/2025: Luật Bảo hiểm xã hội 2024, Điều 21–22; NĐ 176/2025). People and officers still
    ask by the old procedure's name, so the search keeps the two together and both cards say
    where the people went."""

    procedure: ProcedureId  # the procedure those people were served by before
    since: dt.date
    who: NonEmpty  # the people who moved, as a citizen reads it
    basis: NonEmpty  # the law that moved them, with its article


class Procedure(Strict):
    id: ProcedureId
    code: NationalCode | None = None
    # Set when the national code above still needs to be confirmed by the commune.
    code_unconfirmed: bool = False
    name: NonEmpty
    field: NonEmpty
    summary: NonEmpty
    applicants: NonEmpty
    documents: Annotated[list[Document], Field(min_length=1)]
    fees: Annotated[list[Fee], Field(min_length=1)]
    processing_time: ProcessingTime
    where: NonEmpty
    filing: Annotated[list[Filing], Field(min_length=1)]
    steps: Annotated[list[NonEmpty], Field(min_length=1)]
    legal_basis: Annotated[list[NonEmpty], Field(min_length=1)]
    # Everyday names and phrasings people use; the search weighs them like the name.
    aliases: list[NonEmpty] = []
    # Single words or short ideas that point to this procedure (weaker than aliases).
    keywords: list[NonEmpty] = []
    related: list[ProcedureId] = []
    took_over_from: list[TakeOver] = []
    # Points the commune must confirm before relying on them (shown to officers, not citizens).
    to_confirm: list[NonEmpty] = []
    # Where the facts were checked, as in PROCEDURE-FACTS.md: "fact — text and article, where it
    # was read". Third-party copies say so; a fact that could not be checked goes to to_confirm.
    sources: list[NonEmpty] = []
    law_version: NonEmpty | None = None
    last_reviewed: dt.date

    @model_validator(mode="after")
    def _fee_keys_unique(self) -> Procedure:
        keys = [fee.key for fee in self.fees]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate_fee_key")
        return self


class Referral(Strict):
    """A request the commune does not handle, and where the person should go instead."""

    id: ProcedureId
    name: NonEmpty
    where: NonEmpty
    aliases: Annotated[list[NonEmpty], Field(min_length=1)]
    keywords: list[NonEmpty] = []


class CatalogueFile(Strict):
    version: Annotated[int, Field(ge=1)]
    procedures: list[Procedure]
    referrals: list[Referral] = []


class Hours(Strict):
    days: NonEmpty  # "Thứ Hai – Thứ Sáu" (for people to read)
    # "7:30 – 11:30": also read as times (when an officer's answer can be expected, issue 21)
    morning: NonEmpty
    afternoon: NonEmpty
    note: NonEmpty | None = None

    @field_validator("morning", "afternoon")
    @classmethod
    def _readable_session(cls, value: str) -> str:
        try:
            parse_session(value)
        except HoursUnreadable:
            raise ValueError("office_hours_format") from None
        return value


class Portal(Strict):
    name: NonEmpty
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class LawVersion(StrEnum):
    """The one-stop decree and forms circular in force, named by the circular (core.law)."""

    TT_03_2025 = "TT-03-2025-TT-VPCP"
    TT_01_2018 = "TT-01-2018-TT-VPCP"


class Signer(Strict):
    """Who signs the office's letters (the apology, Mẫu 04)."""

    title: NonEmpty  # "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    name: NonEmpty


class CommuneFile(Strict):
    # Issue 19: the commune within its province (core.province). In `commune.yaml` (a province
    # of one) all three may be left out: the id is then made from the commune's name, and with no
    # agency code every receipt code is this commune's.
    id: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
        | None
    ) = None
    former_names: list[NonEmpty] = []
    agency_codes: list[NonEmpty] = []
    office_name: NonEmpty
    commune_name: NonEmpty
    province: NonEmpty
    address: NonEmpty
    phone: NonEmpty
    hotline: NonEmpty  # đường dây nóng tiếp nhận phản ánh, kiến nghị
    email: NonEmpty | None = None
    hours: Hours
    portals: list[Portal] = []
    law_version: LawVersion = LawVersion.TT_03_2025
    # The article of the decree in force on late dossiers and apologies, once the commune has
    # checked it (NĐ 118/2025's is unconfirmed: core.law); printed after the decree's name.
    apology_article: NonEmpty | None = None
    # The place name on letters ("Bình An, ngày …"), as written; default: the commune's name
    # without "xã"/"phường" in front.
    place_name: NonEmpty | None = None
    # The competent body named at the head of the apology ("ỦY BAN NHÂN DÂN XÃ BÌNH AN").
    authority: NonEmpty | None = None
    signer: Signer | None = None
    # Apologies are numbered "07/VBXL" within the year.
    apology_number_suffix: NonEmpty = "VBXL"
    # Amounts set by the province, filled in by the officer: "<procedure id>/<fee key>": amount.
    local_fees: dict[str, Amount] = {}
