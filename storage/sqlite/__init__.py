"""The SQLite backend, through aiosqlite: one file in the data folder, WAL, foreign keys.

Queries stay portable (standard types, `INSERT … ON CONFLICT … DO UPDATE/NOTHING`, no
SQLite-only functions) so that a PostgreSQL backend can reuse their shape.
"""

from storage.sqlite.apologies import ApologiesMixin
from storage.sqlite.broadcasts import BroadcastsMixin
from storage.sqlite.care import CareMixin
from storage.sqlite.conversations import ConversationsMixin
from storage.sqlite.dossiers import DossiersMixin
from storage.sqlite.links import LinksMixin
from storage.sqlite.reports import ReportsMixin
from storage.sqlite.tickets import TicketsMixin
from storage.sqlite.zalo import ZaloMixin


# TicketsMixin, CareMixin and ZaloMixin before DossiersMixin: their forget_chat extends
# DossiersMixin's (tickets; ratings, feedback, volunteers; the Zalo follower and its events).
class SqliteStorage(
    TicketsMixin,
    CareMixin,
    ZaloMixin,
    ConversationsMixin,
    DossiersMixin,
    ApologiesMixin,
    BroadcastsMixin,
    ReportsMixin,
    LinksMixin,
):
    """Implements `storage.base.Storage` (with `ZaloStore` and `TicketStore`)."""


__all__ = ["SqliteStorage"]
