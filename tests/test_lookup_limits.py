"""Issue 15: failed lookups limited per chat, per person, per dossier and overall.

The attack this answers: 1,420 Telegram chats × 4 guesses found the last 4 phone digits of a real
dossier in 5,679 guesses (4.8 s), because failures were counted per chat only.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Dispatcher
from core.clock import FixedClock
from core.lookup_limits import FailureCounts, Limit, LookupLimits
from core.messages import IncomingMessage, Reply, TextFormat
from core.officers import AuditAction
from handlers.context import Services
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, OTHER_CODE, dossier, with_hash
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
CARD = "Đang giải quyết"  # what the fixture dossier's card says, and no refusal does
OWNER_DIGITS = "5678"  # the fixture's phone is 0912 345 678


@pytest.fixture
async def seeded(services: Services) -> Services:
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier()), with_hash(dossier(OTHER_CODE))], NOW, "import:test.csv"
    )
    return services


async def _say(
    dispatcher: Dispatcher, text: str, chat_id: str, user_id: str | None = None
) -> list[Reply]:
    message = IncomingMessage("telegram", chat_id, user_id or chat_id, text=text)
    return await dispatcher.handle(message, TextFormat.PLAIN)


def _text(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


async def test_the_1420_chat_attack_fails(seeded: Services, dispatcher: Dispatcher) -> None:
    """The attack as it was run: chat i sends the code, then guesses 4i … 4i+3 while the bot keeps
    asking for digits. The right digits (5678) are guess number 5,679, chat 1,419's. The
    dossier locks after 5 wrong guesses from any chats: nobody ever sees the card, the right
    digits are never checked, and the audit log shows the burst once."""
    owner = Transcript(dispatcher, user_id="42")  # follows it since before the attack
    await owner.say(CODE)
    await owner.say(OWNER_DIGITS)
    await owner.press("Theo dõi hồ sơ này")
    await owner.press("Đồng ý theo dõi")

    guesses_checked = 0
    answers: set[str] = set()
    for chat in range(1420):
        asked = _text(await _say(dispatcher, CODE, f"9{chat:06d}"))
        for guess in range(4 * chat, 4 * chat + 4):
            if "4 chữ số cuối" not in asked and "chưa khớp" not in asked:
                break  # the bot stopped asking: the attacker moves to the next chat
            asked = _text(await _say(dispatcher, f"{guess:04d}", f"9{chat:06d}"))
            guesses_checked += 1
            answers.add(asked.split("\n")[0])
        assert CARD not in asked and "Nguyễn" not in asked
    assert guesses_checked == 5  # the per-dossier limit: 5 a day, from any number of chats
    assert any("tạm không cho xem hồ sơ này" in a for a in answers)

    # Even the right digits, typed by a fresh chat, get the office, not the card.
    late = Transcript(dispatcher, user_id="31337")
    await late.say(CODE)
    late.expect("tạm không cho xem hồ sơ này", seeded.knowledge.catalogue.commune.phone)
    await late.say(OWNER_DIGITS)
    late.expect_not(CARD)
    # The owner, who proved it before, still follows it.
    await owner.say("/hoso")
    await owner.press(f"Xem {CODE}")
    owner.expect(CARD)
    # The burst is in the audit log once.
    entries = await seeded.storage.officers.audit_entries(50)
    locked = [e for e in entries if e.action is AuditAction.LOOKUP_LOCKED]
    assert [e.target for e in locked] == [CODE]


async def test_an_unknown_code_locks_alike(seeded: Services, dispatcher: Dispatcher) -> None:
    """The per-dossier limit counts codes that do not exist too: the lock says nothing either."""
    for chat in range(5):
        await _say(dispatcher, "000.00.19.H47-261116-0999", f"7{chat}")
        await _say(dispatcher, "0000", f"7{chat}")
    unknown = _text(await _say(dispatcher, "000.00.19.H47-261116-0999", "80"))
    for chat in range(5):
        await _say(dispatcher, CODE, f"6{chat}")
        await _say(dispatcher, "0000", f"6{chat}")
    known = _text(await _say(dispatcher, CODE, "81"))
    assert "tạm không cho xem" in known
    assert unknown.replace("000.00.19.H47-261116-0999", CODE) == known


async def test_a_person_is_limited_across_chats(seeded: Services, dispatcher: Dispatcher) -> None:
    """The same channel user in several chats (groups): 20 failures a day, whatever the chats."""
    for n in range(20):
        chat = f"-100{n // 4}"  # 4 failures per chat: under the chat's own limit of 5
        await _say(dispatcher, f"000.00.19.H47-261116-{n:04d}", chat, user_id="555")
        last = _text(await _say(dispatcher, "0000", chat, user_id="555"))
    assert "tra cứu sai nhiều lần" in last and "24 giờ" in last
    other_chat = _text(await _say(dispatcher, CODE, "-1009", user_id="555"))
    assert "tra cứu sai nhiều lần" in other_chat
    assert "4 chữ số cuối" in _text(await _say(dispatcher, CODE, "-1009", user_id="556"))
    entries = await dispatcher.services.storage.officers.audit_entries(50)
    assert [e.actor for e in entries if e.action is AuditAction.LOOKUP_LIMITED] == ["555"]


async def test_the_global_limit_pauses_everyone_and_alerts_officers(
    seeded: Services, dispatcher: Dispatcher, clock: FixedClock
) -> None:
    """30 failures in an hour from 30 chats on 30 codes (no other limit reached): the digits
    are checked for nobody until the hour's count falls; officers are told once; followers
    still see their dossiers."""
    owner = Transcript(dispatcher, user_id="42")
    await owner.say(CODE)
    await owner.say(OWNER_DIGITS)
    await owner.press("Theo dõi hồ sơ này")
    await owner.press("Đồng ý theo dõi")
    for n in range(30):
        await _say(dispatcher, f"000.00.19.H47-261116-{n + 100:04d}", f"5{n:03d}")
        last = _text(await _say(dispatcher, "1234", f"5{n:03d}"))
    assert "tạm dừng kiểm tra 4 số" in last
    honest = Transcript(dispatcher, user_id="43")
    await honest.say(OTHER_CODE)
    honest.expect("tạm dừng kiểm tra 4 số", "/hoso")
    await owner.say(CODE)
    owner.expect(CARD)

    storage = seeded.storage
    surges = [
        e for e in await storage.officers.audit_entries(50) if e.action is AuditAction.LOOKUP_SURGE
    ]
    assert len(surges) == 1 and "30 lần" in (surges[0].detail or "")
    pending = await storage.outbox.claim_due(clock.now(), 100, channels=["test", "telegram"])
    alerts = [i for i in pending if i.message.kind == "lookup-surge"]
    assert {(i.message.channel, i.message.chat_id) for i in alerts} == {
        ("test", "900"),
        ("telegram", "900"),
    }
    assert (await storage.outbox.outbox_counts())[OutboxStatus.SENDING] == len(pending)

    clock.advance(minutes=61)
    await honest.say(OTHER_CODE)
    await honest.say(OWNER_DIGITS)
    honest.expect(CARD)


async def test_failures_older_than_every_window_are_forgotten(
    seeded: Services, clock: FixedClock
) -> None:
    storage, chat = seeded.storage, ChatRef("telegram", "1")
    for _ in range(3):
        await storage.dossiers.record_lookup_failure(chat, clock.now(), "1", "K")
    clock.advance(hours=25)
    await storage.dossiers.record_lookup_failure(chat, clock.now(), "1", "K")
    assert (
        await storage.dossiers.forget_lookup_failures_before(clock.now() - dt.timedelta(hours=24))
        == 3
    )
    windows = LookupLimits().windows(clock.now())
    assert await storage.dossiers.lookup_failures(chat, "1", "K", windows) == FailureCounts(
        1, 1, 1, 1
    )


def test_each_burst_is_recorded_once_when_it_starts() -> None:
    limits = LookupLimits(chat=5, user=20, dossier=5, everyone=30)
    assert limits.crossed(FailureCounts(4, 4, 4, 4)) == [Limit.CHAT, Limit.DOSSIER]
    assert limits.crossed(FailureCounts(5, 5, 5, 5)) == []
    assert limits.crossed(FailureCounts(4, 4, 0, 0), factor=5) == []  # a volunteer's allowance
    assert limits.reached(FailureCounts(0, 0, 0, 30)) is Limit.EVERYONE
    assert limits.reached(FailureCounts(24, 0, 0, 0), factor=5) is None
