"""The storage areas written once in SQL, over any `storage.sql.session.Database`."""

from __future__ import annotations

from typing import Generic, TypeVar

from storage.base import (
    ApologyStore,
    BroadcastStore,
    CareStore,
    ChatStore,
    ConversationStore,
    DossierStore,
    FollowStore,
    JobStore,
    LinkStore,
    OfficerStore,
    OutboxStore,
    ReportStore,
    TicketStore,
    WorkerStore,
    ZaloStore,
)
from storage.sql.apologies import SqlApologies
from storage.sql.broadcasts import SqlBroadcasts
from storage.sql.care import SqlCare
from storage.sql.chats import SqlChats
from storage.sql.conversations import SqlConversations
from storage.sql.dossiers import SqlDossiers
from storage.sql.follows import SqlFollows
from storage.sql.jobs import SqlJobs
from storage.sql.links import SqlLinks
from storage.sql.officers import SqlOfficers
from storage.sql.outbox import SqlOutbox
from storage.sql.reports import SqlReports
from storage.sql.session import Database
from storage.sql.tickets import SqlTickets
from storage.sql.workers import SqlWorkers
from storage.sql.zalo import SqlZalo

DB = TypeVar("DB", bound=Database)


class SqlStorage(Generic[DB]):
    """Implements `storage.base.Storage`: one object per area, all over the same database."""

    def __init__(self, db: DB) -> None:
        self.db = db
        self.conversations: ConversationStore = SqlConversations(db)
        self.chats: ChatStore = SqlChats(db)
        self.dossiers: DossierStore = SqlDossiers(db)
        self.follows: FollowStore = SqlFollows(db)
        self.apologies: ApologyStore = SqlApologies(db)
        self.outbox: OutboxStore = SqlOutbox(db)
        self.officers: OfficerStore = SqlOfficers(db)
        self.broadcasts: BroadcastStore = SqlBroadcasts(db)
        self.care: CareStore = SqlCare(db)
        self.reports: ReportStore = SqlReports(db)
        self.jobs: JobStore = SqlJobs(db)
        self.zalo: ZaloStore = SqlZalo(db)
        self.links: LinkStore = SqlLinks(db)
        self.tickets: TicketStore = SqlTickets(db)
        self.workers: WorkerStore = SqlWorkers(db)

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def close(self) -> None:
        await self.db.close()


__all__ = ["SqlStorage"]
