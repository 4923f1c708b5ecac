"""Apologies: issued in one transaction with the new due date, its history and its messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.apologies import Apology, ApologyRefused, ensure_extension_allowed, ensure_running
from core.dossiers import Dossier, EventDraft, EventKind, Status
from core.outbox import OutboxKind
from storage.base import ApologyDraft, ChatRef, IssuedApology, OutboxMessage
from storage.sql.outbox import insert_outbox
from storage.sql.rows import (
    APOLOGY_COLUMNS,
    DOSSIER_COLUMNS,
    DOSSIER_WIDTH,
    FINISHED,
    INSERT_EVENT,
    day_range,
    event_row,
    prefixed,
    to_apology,
    to_dossier,
)
from storage.sql.session import Database, Session


def apology_message(apology_id: int, code_key: str, chat: ChatRef) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=f"apology:{apology_id}:{chat.channel}:{chat.chat_id}",
        channel=chat.channel,
        chat_id=chat.chat_id,
        kind=OutboxKind.APOLOGY,
        payload={"apology_id": apology_id, "code_key": code_key},
    )


async def issue_in(
    session: Session, draft: ApologyDraft, now: dt.datetime, max_extensions: int
) -> IssuedApology:
    """Inside the caller's transaction (an officer's apology, or a row of an import): checks
    again (another officer may have been quicker), numbers the apology within the year, moves
    the due date, records history, queues messages."""
    await session.serialize_writes("apologies")  # the count and the number below stay true
    row = await session.fetch_one(
        f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE code_key = ?", (draft.code_key,)
    )
    if row is None:
        raise ApologyRefused("Không tìm thấy hồ sơ này trong dữ liệu của bot.")
    dossier = to_dossier(row)
    ensure_running(dossier)
    done = await session.fetch_one(
        "SELECT COUNT(*) FROM apologies WHERE code_key = ?", (draft.code_key,)
    )
    ensure_extension_allowed(dossier.code, int(done[0]) if done else 0, max_extensions)
    stamp = now.isoformat()
    seq_row = await session.fetch_one(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM apologies WHERE year = ?", (now.year,)
    )
    seq = int(seq_row[0]) if seq_row else 1
    number = f"{seq:02d}/{draft.number_suffix}"
    inserted = await session.fetch_one(
        "INSERT INTO apologies (code_key, year, seq, number, issued_at, issued_by,"
        " issuer_name, reason, old_due, new_due, law_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            draft.code_key,
            now.year,
            seq,
            number,
            stamp,
            draft.issued_by,
            draft.issuer_name,
            draft.reason,
            dossier.due_date.isoformat(),
            draft.new_due.isoformat(),
            draft.law_version.value,
        ),
    )
    assert inserted is not None
    apology_id = int(inserted[0])
    await session.execute(
        "UPDATE dossiers SET due_date = ?, updated_at = ? WHERE code_key = ?",
        (draft.new_due.isoformat(), stamp, draft.code_key),
    )
    event = EventDraft(
        EventKind.DUE, old_due=dossier.due_date, new_due=draft.new_due, note=draft.reason
    )
    await session.execute(
        INSERT_EVENT, event_row(draft.code_key, event, stamp, f"xin-loi:{number}")
    )
    followers = [
        ChatRef(channel, chat_id)
        for channel, chat_id in await session.fetch_all(
            "SELECT channel, chat_id FROM follows WHERE code_key = ? AND active = 1",
            (draft.code_key,),
        )
    ]
    await insert_outbox(
        session, [apology_message(apology_id, draft.code_key, chat) for chat in followers], stamp
    )
    apology = Apology(
        apology_id,
        draft.code_key,
        number,
        now,
        draft.issued_by,
        draft.issuer_name,
        draft.reason,
        dossier.due_date,
        draft.new_due,
        draft.law_version,
    )
    return IssuedApology(apology, dossier, len(followers))


# Issue 19: apologies of one commune's dossiers.
_OF_COMMUNE = " AND code_key IN (SELECT code_key FROM dossiers WHERE commune_id = ?)"


class SqlApologies:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue_apology(
        self, draft: ApologyDraft, now: dt.datetime, max_extensions: int
    ) -> IssuedApology:
        async with self.db.transaction() as session:
            return await issue_in(session, draft, now, max_extensions)

    async def get_apology(self, apology_id: int) -> Apology | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {APOLOGY_COLUMNS} FROM apologies WHERE id = ?", (apology_id,)
            )
        return to_apology(row) if row else None

    async def apologies_for(self, code_key: str) -> list[Apology]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {APOLOGY_COLUMNS} FROM apologies WHERE code_key = ? ORDER BY id",
                (code_key,),
            )
        return [to_apology(row) for row in rows]

    async def apologies_between(
        self, first: dt.date, last: dt.date, commune_id: str | None = None
    ) -> list[Apology]:
        where, params = ("", ()) if commune_id is None else (_OF_COMMUNE, (commune_id,))
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {APOLOGY_COLUMNS} FROM apologies"
                f" WHERE issued_at >= ? AND issued_at < ?{where} ORDER BY issued_at, id",
                (*day_range(first, last), *params),
            )
        return [to_apology(row) for row in rows]

    async def running_dossiers_due_by(
        self, day: dt.date, statuses: Sequence[Status], commune_id: str | None = None
    ) -> list[tuple[Dossier, int]]:
        """Dossiers in these statuses due on or before `day`, with their number of apologies."""
        sql, params = running_due_sql(len(statuses)), [*(s.value for s in statuses)]
        params.append(day.isoformat())
        if commune_id is not None:  # issue 19: one commune's
            sql = sql.replace(" ORDER BY", " AND d.commune_id = ? ORDER BY")
            params.append(commune_id)
        async with self.db.connection() as session:
            rows = await session.fetch_all(sql, params)
        return [(to_dossier(row[:DOSSIER_WIDTH]), int(row[DOSSIER_WIDTH])) for row in rows]

    async def repeated_supplements(
        self, more_than: int, limit: int, commune_id: str | None = None
    ) -> list[Dossier]:
        sql = REPEATED_SUPPLEMENTS
        params: tuple[object, ...] = (more_than, limit)
        if commune_id is not None:  # issue 19: one commune's
            sql = sql.replace(" AND status NOT IN", " AND commune_id = ? AND status NOT IN")
            params = (more_than, commune_id, limit)
        async with self.db.connection() as session:
            rows = await session.fetch_all(sql, params)
        return [to_dossier(row) for row in rows]


# The daily apology watch's queries (tests/test_chores.py reads their plans): running dossiers
# through (status, due_date); the few asked to supplement again through (supplements).
def running_due_sql(statuses: int) -> str:
    return (
        f"SELECT {prefixed(DOSSIER_COLUMNS, 'd')}, (SELECT COUNT(*) FROM apologies a"
        "  WHERE a.code_key = d.code_key)"
        f" FROM dossiers d WHERE d.status IN ({','.join('?' * statuses)}) AND d.due_date <= ?"
        " ORDER BY d.due_date, d.code_key"
    )


# MATERIALIZED: found first, then sorted (left to itself, SQLite walks every dossier in order of
# receipt to spare the sort of the few found).
REPEATED_SUPPLEMENTS = (
    f"WITH found AS MATERIALIZED (SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE supplements > ?"
    f" AND status NOT IN ({FINISHED}))"
    " SELECT * FROM found ORDER BY received_at, code_key LIMIT ?"
)
