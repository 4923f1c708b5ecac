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
from storage.sqlite.zalo import ZaloMixin


# CareMixin and ZaloMixin before DossiersMixin: their forget_chat extends DossiersMixin's
# (ratings, feedback, volunteers; the Zalo follower and its handled webhook events).
class SqliteStorage(
    CareMixin,
    ZaloMixin,
    ConversationsMixin,
    DossiersMixin,
    ApologiesMixin,
    BroadcastsMixin,
    ReportsMixin,
    LinksMixin,
):
    """Implements `storage.base.Storage` (and `storage.base.ZaloStore`)."""


__all__ = ["SqliteStorage"]
