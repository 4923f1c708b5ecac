"""Dossiers for tests, as the one-stop software would export them."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

from core.dossiers import Dossier, ReturnMethod, Status
from core.receipt_codes import code_key

CODE = "000.00.19.H47-261116-0007"
OTHER_CODE = "H57.132-261118-0583"
NO_PHONE_CODE = "000.00.19.H47-261119-0002"


def dossier(
    code: str = CODE,
    *,
    status: Status = Status.PROCESSING,
    phone: str | None = "0912 345 678",
    name: str = "Nguyễn Văn An",
    procedure_id: str = "xac-nhan-tinh-trang-hon-nhan",
    received: dt.datetime = dt.datetime(2026, 11, 16, 9, 30),
    due: dt.date = dt.date(2026, 11, 19),
    note: str | None = None,
) -> Dossier:
    return Dossier(
        code=code,
        code_key=code_key(code),
        procedure_id=procedure_id,
        applicant_name=name,
        phone=phone,
        received_at=received,
        due_date=due,
        status=status,
        return_method=ReturnMethod.DESK,
        note=note,
    )


def with_hash(item: Dossier) -> tuple[Dossier, str]:
    """The pair `apply_dossiers` takes: same data, same hash."""
    fields = (item.code_key, item.procedure_id, item.applicant_name, item.phone,
              item.received_at.isoformat(), item.due_date.isoformat(), item.status.value,
              item.note)  # fmt: skip
    return item, hashlib.sha256(repr(fields).encode()).hexdigest()


def changed(item: Dossier, **changes: object) -> Dossier:
    return replace(item, **changes)  # type: ignore[arg-type]
