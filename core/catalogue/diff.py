"""What changes between two catalogues: shown to the officer before a new one is applied."""

from __future__ import annotations

from dataclasses import dataclass

from core.catalogue.catalogue import Catalogue
from core.catalogue.models import Procedure


@dataclass(frozen=True)
class ProcedureChange:
    procedure: Procedure  # the new version
    fields: tuple[str, ...]  # top-level fields that differ ("fees", "documents", …)


@dataclass(frozen=True)
class CatalogueDiff:
    added: tuple[Procedure, ...]
    changed: tuple[ProcedureChange, ...]
    removed: tuple[Procedure, ...]
    referrals_changed: bool
    commune_changed: bool

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.changed
            or self.removed
            or self.referrals_changed
            or self.commune_changed
        )


def diff_catalogues(old: Catalogue, new: Catalogue) -> CatalogueDiff:
    added = tuple(p for p in new if p.id not in old)
    removed = tuple(p for p in old if p.id not in new)
    changed = []
    for procedure in new:
        before = old.get(procedure.id)
        if before is None:
            continue
        was, now = before.model_dump(), procedure.model_dump()
        fields = tuple(name for name in now if was.get(name) != now[name])
        # Rereading the date of review alone is not a change the public needs to hear about.
        if fields and fields != ("last_reviewed",):
            changed.append(ProcedureChange(procedure, fields))
    referrals = [r.model_dump() for r in old.referrals] != [r.model_dump() for r in new.referrals]
    return CatalogueDiff(
        added,
        tuple(changed),
        removed,
        referrals,
        old.commune.model_dump() != new.commune.model_dump(),
    )


def history_rows(diff: CatalogueDiff) -> list[tuple[str, str]]:
    """(procedure id, "added" | "changed" | "removed"): what the catalogue's history records."""
    return [
        *((p.id, "added") for p in diff.added),
        *((change.procedure.id, "changed") for change in diff.changed),
        *((p.id, "removed") for p in diff.removed),
    ]


def describe_diff(diff: CatalogueDiff) -> str:
    """What an officer reads before applying a catalogue (command line and chat), in Vietnamese."""
    if diff.empty:
        return "Không có thay đổi so với danh mục đang dùng."
    lines = []
    if diff.added:
        lines.append(f"Thêm {len(diff.added)} thủ tục:")
        lines += [f"  + {p.name} ({p.id})" for p in diff.added]
    if diff.changed:
        lines.append(f"Sửa {len(diff.changed)} thủ tục:")
        lines += [f"  * {c.procedure.name}: {', '.join(c.fields)}" for c in diff.changed]
    if diff.removed:
        lines.append(f"Bỏ {len(diff.removed)} thủ tục:")
        lines += [f"  - {p.name} ({p.id})" for p in diff.removed]
    if diff.referrals_changed:
        lines.append("Sửa danh sách việc không làm tại xã (referrals).")
    if diff.commune_changed:
        lines.append("Sửa thông tin của xã (commune.yaml).")
    return "\n".join(lines)
