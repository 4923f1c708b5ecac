"""The SQLite backend, through aiosqlite: one file in the data folder, WAL, foreign keys.

Queries stay portable (standard types, `INSERT … ON CONFLICT … DO UPDATE/NOTHING`, no
SQLite-only functions) so that a PostgreSQL backend can reuse their shape.
"""

from storage.sqlite.apologies import ApologiesMixin
from storage.sqlite.conversations import ConversationsMixin
from storage.sqlite.dossiers import DossiersMixin


class SqliteStorage(ConversationsMixin, DossiersMixin, ApologiesMixin):
    """Implements `storage.base.Storage`."""


__all__ = ["SqliteStorage"]
