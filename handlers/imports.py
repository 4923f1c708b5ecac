"""Applying a parsed export of the one-stop software: the rows, and the apologies they carry.

`core.dossier_import` reads and validates the file without touching the database. Here the rows
meet what the database already knows: a row that moves the return date of a dossier near or past
its due date, with a reason ("Lý do trễ hạn"), is the office's late-dossier apology, issued "from
the one-stop software" with the same rules as an officer's (NĐ 61/2018/NĐ-CP Điều 19 khoản 9:
reason and new date required, a working day after the old one, not more than one new date).
A row whose apology the rules refuse is an error on that row, like any other.

The command line (`motcua import-dossiers`) and, later, a file sent in the chat use this.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.apologies import (
    FROM_SOFTWARE,
    ApologyRefused,
    check_new_date,
    classify,
    ensure_running,
)
from core.dossier_import import ParsedExport, ParsedRow, RowError
from core.law import law_in_force
from core.waiting import due_after_change, due_from
from handlers.context import Services
from storage.base import ApologyDraft, ApplyOutcome


@dataclass(frozen=True)
class ImportPlan:
    rows: list[ParsedRow]  # the rows to apply (all of them, unless some were refused)
    apologies: list[ApologyDraft]  # to issue in the same transaction
    errors: list[RowError]  # the file's errors (the first ones) and the refused apologies
    more_errors: int = 0  # errors of the file counted beyond those kept
    more_bad_rows: int = 0

    @property
    def bad_rows(self) -> list[int]:
        """The rows of the kept errors (`bad_row_count` counts them all)."""
        return sorted({error.row_number for error in self.errors})

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    @property
    def bad_row_count(self) -> int:
        return len(self.bad_rows) + self.more_bad_rows


async def plan_import(services: Services, parsed: ParsedExport) -> ImportPlan:
    """Which rows issue an apology, and which the apology rules refuse."""
    knowledge = services.knowledge
    today = services.clock.now().date()
    storage, calendar, rules = services.storage, services.calendar, services.apology_rules
    rows: list[ParsedRow] = []
    drafts: list[ApologyDraft] = []
    refused: list[RowError] = []
    now = services.clock.now()
    for row in parsed.rows:
        new = row.dossier
        catalogue = knowledge.catalogue_of(new.commune_id)  # issue 19: the dossier's commune's
        commune = catalogue.commune
        # The known dossier is needed only to restart a waiting clock (no date in the export)
        # or to issue an apology (a reason in the export).
        wanted = row.delay_reason or not row.due_given
        old = await storage.dossiers.get_dossier(new.code_key) if wanted else None
        if old is not None and not row.due_given:
            procedure = catalogue.get(new.procedure_id)
            due = due_after_change(
                old,
                new,
                now,
                due_given=False,
                due_after_restart=due_from(procedure, calendar) if procedure else None,
            )
            if due != new.due_date:
                new = replace(new, due_date=due)
                row = replace(row, dossier=new)
        # Only a later date for a dossier whose time is running out is an apology; otherwise
        # the reason is kept nowhere and the new date is an ordinary change.
        if (
            old is None
            or row.delay_reason is None
            or new.due_date <= old.due_date
            or classify(old, today, calendar, rules) is None
        ):
            rows.append(row)
            continue
        try:
            # The row's own status counts too: a row that says "returned" with a later date
            # and a reason is not an apology the bot may number and send.
            ensure_running(new)
            extensions = len(await storage.apologies.apologies_for(new.code_key))
            rule = law_in_force(commune).apology_rule
            check_new_date(old, new.due_date, calendar, extensions, rules, rule)
        except ApologyRefused as reason:
            refused.append(RowError(row.row_number, "Ngày hẹn trả", "", str(reason)))
            continue
        # The row goes in with the old date; the apology moves it, with its own history.
        rows.append(replace(row, dossier=replace(new, due_date=old.due_date)))
        drafts.append(
            ApologyDraft(
                code_key=new.code_key,
                reason=row.delay_reason,
                new_due=new.due_date,
                issued_by=FROM_SOFTWARE,
                issuer_name=None,
                law_version=commune.law_version,
                number_suffix=commune.apology_number_suffix,
            )
        )
    errors = sorted([*parsed.errors, *refused], key=lambda error: error.row_number)
    return ImportPlan(rows, drafts, errors, parsed.more_errors, parsed.more_bad_rows)


async def apply_import(services: Services, plan: ImportPlan, source: str) -> ApplyOutcome:
    """The planned rows and apologies, in one transaction."""
    return await services.storage.dossiers.apply_dossiers(
        [(row.dossier, row.row_hash) for row in plan.rows],
        services.clock.now(),
        source,
        plan.apologies,
        services.apology_rules.max_extensions,
    )
