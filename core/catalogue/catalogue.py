"""The loaded, validated catalogue: the procedures, the fields and the office."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from core.catalogue.models import CommuneFile, Fee, FeeSetBy, Procedure, Referral, TakeOver


@dataclass(frozen=True)
class FeeLine:
    """A fee as shown to a citizen: the amount is None when the commune has not filled it in."""

    fee: Fee
    amount: int | None

    @property
    def unknown(self) -> bool:
        return self.amount is None


class Catalogue:
    def __init__(
        self,
        procedures: list[Procedure],
        commune: CommuneFile,
        referrals: list[Referral] | None = None,
    ) -> None:
        self._procedures = {procedure.id: procedure for procedure in procedures}
        self.commune = commune
        self.referrals = list(referrals or [])
        fields: dict[str, list[Procedure]] = {}
        for procedure in procedures:
            fields.setdefault(procedure.field, []).append(procedure)
        self._fields = fields
        # Who took over part of whose people (`Procedure.took_over_from`), read from the other end.
        self._successors: dict[str, list[Procedure]] = {}
        for procedure in procedures:
            for move in procedure.took_over_from:
                self._successors.setdefault(move.procedure, []).append(procedure)

    def __len__(self) -> int:
        return len(self._procedures)

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self._procedures.values())

    def __contains__(self, procedure_id: object) -> bool:
        return procedure_id in self._procedures

    def get(self, procedure_id: str) -> Procedure | None:
        return self._procedures.get(procedure_id)

    @property
    def fields(self) -> list[str]:
        """Fields in catalogue order (the order officers wrote them in)."""
        return list(self._fields)

    def in_field(self, field: str) -> list[Procedure]:
        return list(self._fields.get(field, []))

    def fee_lines(self, procedure: Procedure) -> list[FeeLine]:
        lines = []
        for fee in procedure.fees:
            amount = fee.amount
            if fee.set_by is FeeSetBy.PROVINCE:
                amount = self.commune.local_fees.get(f"{procedure.id}/{fee.key}", fee.amount)
            lines.append(FeeLine(fee=fee, amount=amount))
        return lines

    def related(self, procedure: Procedure) -> list[Procedure]:
        return [p for p in (self.get(pid) for pid in procedure.related) if p is not None]

    def took_over_from(self, procedure: Procedure) -> list[tuple[TakeOver, Procedure]]:
        """The procedures whose people this one took over, with the move (`TakeOver`)."""
        found = ((move, self.get(move.procedure)) for move in procedure.took_over_from)
        return [(move, source) for move, source in found if source is not None]

    def taken_over_by(self, procedure: Procedure) -> list[tuple[TakeOver, Procedure]]:
        """The procedures that took over part of this one's people, with the move."""
        return [
            (move, successor)
            for successor in self._successors.get(procedure.id, [])
            for move in successor.took_over_from
            if move.procedure == procedure.id
        ]
