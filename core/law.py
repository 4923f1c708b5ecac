"""The one-stop decree and forms circular in force: ONE setting (`law_version` in commune.yaml)
that every citation the bot prints follows — the morning list, refusals, the letter, the report.

- `TT-03-2025-TT-VPCP` (default): Nghị định 118/2025/NĐ-CP (in force 01/07/2025, amended by
  NĐ 367/2025 and NĐ 309/2026) with Thông tư 03/2025/TT-VPCP (forms: Mẫu 04 "Văn bản xin lỗi và đề
  nghị gia hạn thời gian giải quyết", Phụ lục I).
- `TT-01-2018-TT-VPCP`: Nghị định 61/2018/NĐ-CP (amended by NĐ 107/2021) with Thông tư
  01/2018/TT-VPCP (Mẫu 04 "Phiếu xin lỗi và hẹn lại ngày trả kết quả"), which the source reports
  cite.

The article of NĐ 118/2025 that carries the apology rule (NĐ 61/2018 Điều 19 khoản 9) could not be
confirmed from a copy of the decree (see docs/law.md): it is not printed unless the commune sets it
(`apology_article` in commune.yaml) after checking the text; never invented here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.catalogue.models import CommuneFile, LawVersion


@dataclass(frozen=True)
class OneStopLaw:
    version: LawVersion
    decree: str  # "Nghị định 118/2025/NĐ-CP"
    circular: str  # "Thông tư 03/2025/TT-VPCP"
    # The decree's article on late dossiers and apologies; None when unconfirmed (not printed).
    apology_article: str | None
    form_title: str  # Mẫu 04's name under the circular
    form_basis: str  # where Mẫu 04 is

    @property
    def apology_rule(self) -> str:
        """'Nghị định 61/2018/NĐ-CP Điều 19 khoản 9', or the decree alone when the article is not
        confirmed."""
        return f"{self.decree} {self.apology_article}" if self.apology_article else self.decree

    @property
    def short_apology_rule(self) -> str:
        """'NĐ 61/2018/NĐ-CP Điều 19 khoản 9': for footnotes."""
        return self.apology_rule.replace("Nghị định ", "NĐ ")


LAWS = {
    LawVersion.TT_03_2025: OneStopLaw(
        LawVersion.TT_03_2025,
        "Nghị định 118/2025/NĐ-CP",
        "Thông tư 03/2025/TT-VPCP",
        None,
        "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
        "Mẫu số 04, Phụ lục I Thông tư 03/2025/TT-VPCP",
    ),
    LawVersion.TT_01_2018: OneStopLaw(
        LawVersion.TT_01_2018,
        "Nghị định 61/2018/NĐ-CP",
        "Thông tư 01/2018/TT-VPCP",
        "Điều 19 khoản 9",
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "Mẫu số 04, Thông tư 01/2018/TT-VPCP",
    ),
}


def law_of(version: LawVersion, apology_article: str | None = None) -> OneStopLaw:
    """The law of `version`; `apology_article` fills in an article the code does not know (it
    never overrides a confirmed one)."""
    law = LAWS[version]
    if apology_article and law.apology_article is None:
        return OneStopLaw(
            law.version, law.decree, law.circular, apology_article, law.form_title, law.form_basis
        )
    return law


def law_in_force(commune: CommuneFile) -> OneStopLaw:
    return law_of(commune.law_version, commune.apology_article)
