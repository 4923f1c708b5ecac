"""Moving a commune to PostgreSQL (`motcua migrate-db`) and backups (`motcua backup`), issue 18
point 6: every table copied with its counts checked, a non-empty target refused, consistent
copies on both backends."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.app import Dispatcher, running_services
from bot.database_cli import _backup_sqlite, backup_postgres, migrate_db
from core.apologies import ApologyRefused
from core.catalogue.models import LawVersion
from core.clock import FixedClock
from core.dossiers import Status
from core.officers import AuditAction, AuditEntry
from core.tickets import Photo, TicketContext
from handlers.context import Knowledge
from storage.base import ApologyDraft, ChatRef, ConversationKey, OutboxStatus
from storage.postgres import PostgresStorage
from storage.sqlite import SqliteStorage
from tests.conftest import make_settings
from tests.dossier_fixtures import OTHER_CODE, dossier, with_hash
from tests.storage_backends import PostgresServer, database_url
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CHAT = ChatRef("zalo", "8756412398745612301")
PHOTO = Photo("giay-hen.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 not really a jpeg \x00\x01")


async def _fill(storage: SqliteStorage) -> int:
    """A commune's data in most tables; returns the apology's id."""
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier()), with_hash(dossier(OTHER_CODE))], NOW, "import:a.csv"
    )
    key = dossier().code_key
    await storage.follows.follow(CHAT, key, "Bà Lan", "đồng ý", NOW)
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b.csv"
    )
    draft = ApologyDraft(
        dossier(OTHER_CODE).code_key, "Cần xác minh", dt.date(2026, 12, 1), "900", None,
        LawVersion.TT_03_2025, "VBXL",
    )  # fmt: skip
    issued = await storage.apologies.issue_apology(draft, NOW, 1)
    await storage.tickets.open_ticket(CHAT, "Hỏi về giấy hẹn", PHOTO, TicketContext(), NOW, [])
    await storage.zalo.inbox_add("msg:1", CHAT.chat_id, '{"text": "a"}', NOW)
    await storage.zalo.inbox_add("msg:2", CHAT.chat_id, '{"text": "b"}', NOW)
    await storage.conversations.save_state(
        ConversationKey("zalo", "1", "1"), "x", {"tên": "Lan"}, NOW
    )
    await storage.officers.record_audit(
        AuditEntry(NOW, "telegram", "900", "Chị Lan", AuditAction.APOLOGY_ISSUED, "x")
    )
    return issued.apology.id


async def test_migrate_db_copies_every_table_and_refuses_a_second_time(
    tmp_path: Path, postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    source = await SqliteStorage.open(settings.database_file)
    apology_id = await _fill(source)
    await source.close()
    database = postgres_server.take()
    try:
        url = database_url(database)
        assert await migrate_db(url, settings) == 0
        printed = capsys.readouterr().out
        assert "dossiers" in printed and "ticket_messages" in printed and "= 2" in printed
        target = await PostgresStorage.open(url)
        try:
            [follow] = await target.follows.follows(CHAT)
            assert follow.label == "Bà Lan" and follow.dossier.status is Status.READY
            apology = await target.apologies.get_apology(apology_id)
            assert apology is not None and apology.number == "01/VBXL"
            ticket = await target.tickets.chat_ticket(CHAT)
            assert ticket is not None
            [message] = await target.tickets.ticket_messages(ticket.id)
            assert message.photo == PHOTO  # bytes survive the copy
            pending = await target.zalo.inbox_pending(10)
            assert [e.event_key for e in pending] == ["msg:1", "msg:2"]  # arrival order kept
            assert (await target.outbox.outbox_counts())[OutboxStatus.PENDING] == 1  # READY
            # The copied dossier is READY: the rules still hold on the copy.
            with pytest.raises(ApologyRefused):
                await target.apologies.issue_apology(
                    ApologyDraft(
                        dossier().code_key,
                        "x",
                        dt.date(2026, 12, 2),
                        "900",
                        None,
                        LawVersion.TT_03_2025,
                        "VBXL",
                    ),
                    NOW,
                    1,
                )
            # Ids go on from the copied ones (identities restarted past the largest).
            feedback = await target.care.create_feedback(CHAT, "Góp ý", NOW, [])
            assert feedback.id == 1
            entry = AuditEntry(NOW, "telegram", "900", None, AuditAction.APOLOGY_ISSUED, "y")
            await target.officers.record_audit(entry)
            ids = [e.id for e in await target.officers.audit_entries(5)]
            assert ids == [2, 1]  # the copied line kept its id; the new one follows it
        finally:
            await target.close()
        # A second copy into the same (no longer empty) database is refused, nothing written.
        assert await migrate_db(url, settings) == 2
        assert "đã có dữ liệu" in capsys.readouterr().err
    finally:
        postgres_server.give_back(database)


async def test_migrate_db_needs_a_postgres_url_and_a_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    assert await migrate_db("sqlite:///x", settings) == 2
    assert await migrate_db("postgresql://postgres@127.0.0.1:5432/postgres", settings) == 2
    assert "Không có tệp dữ liệu" in capsys.readouterr().err


async def test_a_sqlite_backup_is_a_consistent_checked_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    source = await SqliteStorage.open(settings.database_file)
    await _fill(source)
    out = tmp_path / "backups" / "copy.sqlite3"
    # The bot keeps the database open (and writing) while the backup runs.
    await source.conversations.first_delivery("telegram", "1", NOW)
    assert await _backup_sqlite(settings.database_file, out) == 0
    await source.close()
    assert "kiểm tra toàn vẹn: ok" in capsys.readouterr().out
    copy = await SqliteStorage.open(out)
    try:
        assert await copy.dossiers.count_dossiers() == 2
        assert await copy.conversations.first_delivery("telegram", "1", NOW) is False
    finally:
        await copy.close()
    assert await _backup_sqlite(settings.database_file, out) == 2  # never overwrites
    assert "đã có" in capsys.readouterr().err


async def test_a_postgres_backup_is_a_pg_dump(
    tmp_path: Path,
    postgres_server: PostgresServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(tmp_path)
    database = postgres_server.take()
    try:
        url = database_url(database)
        out = tmp_path / "motcua.dump"
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed (postgresql-client)")
        assert backup_postgres(url, str(out), settings, dt.datetime(2026, 11, 23)) == 0
        assert out.stat().st_size > 0 and out.read_bytes().startswith(b"PGDMP")
        monkeypatch.setattr(shutil, "which", lambda _name: None)
        assert backup_postgres(url, None, settings, dt.datetime(2026, 11, 23)) == 2
        instructions = capsys.readouterr().err
        assert "pg_dump --format=custom" in instructions and database not in instructions
    finally:
        postgres_server.give_back(database)


async def test_the_bot_runs_on_postgres_when_a_url_is_set(
    tmp_path: Path, postgres_server: PostgresServer, knowledge: Knowledge
) -> None:
    """MOTCUA_DATABASE_URL: the same conversations, on PostgreSQL (a lookup and a follow)."""
    database = postgres_server.take()
    try:
        url = database_url(database)
        settings = make_settings(tmp_path, database_url=url, OFFICER_IDS="900")
        clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
        async with running_services(settings, clock=clock, knowledge=knowledge) as services:
            assert isinstance(services.storage, PostgresStorage)
            await services.storage.dossiers.apply_dossiers(
                [with_hash(dossier())], NOW, "import:a.csv"
            )
            chat = Transcript(Dispatcher(services), user_id="100")
            await chat.say(dossier().code)
            await chat.say("5678")
            chat.expect(f"Hồ sơ {dossier().code}", "Nguyễn V*** A**")
            await chat.press("Theo dõi hồ sơ này")
            await chat.press("Đồng ý theo dõi")
            [follow] = await services.storage.follows.follows(ChatRef("test", "100"))
            assert follow.dossier.code == dossier().code
        assert not (tmp_path / "data" / "motcua.sqlite3").exists()  # no SQLite file made
    finally:
        postgres_server.give_back(database)
