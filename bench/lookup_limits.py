"""How many second-factor guesses an attacker with many chats gets per day (issue 15).

    .venv/bin/python bench/lookup_limits.py [--chats 10000] [--hours 24] [--sample-chats 200]

The attacker owns `--chats` Telegram accounts (chat id = user id) and wants the status card of
any dossier: it sends a guessable code (`000.00.19.H47-YYMMDD-NNNN`, a daily counter from
0001), then 4 digits, and keeps going with the next chat, the next code, the next digits, as fast
as the bot answers. It adapts to every refusal: a chat that is refused rests, a locked code is
dropped, a global pause is waited out (one probe a minute). Everything runs through the real
dispatcher and SQLite with a settable clock stepped a minute at a time over `--hours`.

Printed: guesses whose digits were checked, per day, (1) with the default limits, simulated in
full; (2) with the global limit off (the per-chat, per-user and per-dossier limits only), simulated
for `--sample-chats` chats and scaled to `--chats` (each chat's allowance is independent of the
others'); (3) the limit before issue 15 (5 per chat per 10 minutes, nothing else), computed. And
what that means: the expected number of dossiers whose card the attacker sees per day, when every
guessed code exists (10,000 possible digit strings each).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import itertools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Dispatcher, load_knowledge, running_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from core.dossiers import Dossier, ReturnMethod, Status  # noqa: E402
from core.lookup_limits import LookupLimits  # noqa: E402
from core.messages import IncomingMessage, TextFormat  # noqa: E402
from core.receipt_codes import code_key  # noqa: E402

START = dt.datetime(2026, 11, 23, 0, 0)
DIGIT_SPACE = 10_000


def code(day: int, n: int) -> str:
    return f"000.00.19.H47-{START.date() - dt.timedelta(days=day):%y%m%d}-{n:04d}"


def dossiers(days: int = 30, per_day: int = 50) -> list[tuple[Dossier, str]]:
    """The commune's last month: every code the attacker will try exists (its best case)."""
    out = []
    for day in range(days):
        for n in range(1, per_day + 1):
            text = code(day, n)
            received = START - dt.timedelta(days=day)
            item = Dossier(
                code=text,
                code_key=code_key(text),
                procedure_id="dang-ky-khai-sinh",
                applicant_name="Nguyễn Văn An",
                phone=f"09{day:02d}{n:06d}",
                received_at=received,
                due_date=received.date() + dt.timedelta(days=3),
                status=Status.PROCESSING,
                return_method=ReturnMethod.DESK,
                note=None,
            )
            out.append((item, f"h{day}-{n}"))
    return out


@dataclasses.dataclass
class Outcome:
    guesses: int = 0  # digits the bot compared with a phone number
    cards: int = 0  # times the attacker saw a status card
    messages: int = 0
    seconds: float = 0.0


async def attack(chats: int, hours: int, limits: LookupLimits) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, data_dir=Path(folder))  # type: ignore[call-arg]
        clock = FixedClock(START)
        async with running_services(
            settings, clock=clock, knowledge=load_knowledge(settings)
        ) as services:
            services.lookup = dataclasses.replace(services.lookup, limits=limits)
            await services.storage.dossiers.apply_dossiers(dossiers(), clock.now(), "bench")
            dispatcher = Dispatcher(services)
            outcome = Outcome()
            resting: dict[int, dt.datetime] = {}  # chat → refused until about then
            # Each code 4 times (its 5th wrong guess would lock it), then the next one.
            codes = itertools.cycle(
                [(day, n) for n in range(1, 51) for day in range(30) for _ in range(4)]
            )
            guess = 0
            started = time.perf_counter()

            async def say(chat: int, text: str) -> str:
                outcome.messages += 1
                message = IncomingMessage("telegram", str(chat), str(chat), text=text)
                replies = await dispatcher.handle(message, TextFormat.PLAIN)
                return "\n".join(reply.text for reply in replies)

            for _minute in range(hours * 60):
                now = clock.now()
                for chat in range(chats):
                    if resting.get(chat, now) > now:
                        continue
                    day, n = next(codes)
                    asked = await say(chat, code(day, n))
                    if "tạm dừng kiểm tra" in asked:
                        break  # nobody's digits are checked: wait a minute
                    if "4 chữ số cuối" not in asked:
                        resting[chat] = now + dt.timedelta(minutes=10)
                        continue
                    answer = await say(chat, f"{guess % DIGIT_SPACE:04d}")
                    guess += 7919  # a different guess each time, all 10,000 in turn
                    outcome.guesses += 1
                    if "Đang giải quyết" in answer:
                        outcome.cards += 1
                    if "chưa khớp" not in answer:
                        resting[chat] = now + dt.timedelta(minutes=10)
                    if "tạm dừng kiểm tra" in answer:
                        break
                clock.advance(minutes=1)
            outcome.seconds = time.perf_counter() - started
            return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--sample-chats", type=int, default=200)
    args = parser.parse_args()
    defaults = LookupLimits()
    per_day = 24 / args.hours

    full = asyncio.run(attack(args.chats, args.hours, defaults))
    no_global = dataclasses.replace(defaults, everyone=10**9)
    sample = asyncio.run(attack(args.sample_chats, args.hours, no_global))
    scale = args.chats / args.sample_chats
    before = args.chats * defaults.chat * (24 * 60 // 10)

    print(f"attacker: {args.chats:,} chats, {args.hours} h simulated, every guessed code exists")
    print(
        f"defaults: {defaults.chat} per chat / {defaults.chat_window}, {defaults.user} per user /"
        f" {defaults.user_window}, {defaults.dossier} per code / {defaults.dossier_window},"
        f" {defaults.everyone} overall / {defaults.everyone_window}"
    )
    rows = [
        ("default limits (simulated)", full.guesses * per_day, full.cards * per_day),
        (
            f"global limit off ({args.sample_chats} chats simulated, ×{scale:g})",
            sample.guesses * scale * per_day,
            sample.cards * scale * per_day,
        ),
        ("before issue 15: 5 per chat per 10 min (computed)", before, None),
    ]
    print(f"{'limits':<58} {'guesses/day':>12} {'cards seen/day':>15} {'expected':>9}")
    for name, guesses, cards in rows:
        seen = "-" if cards is None else f"{cards:,.0f}"
        print(f"{name:<58} {guesses:>12,.0f} {seen:>15} {guesses / DIGIT_SPACE:>9.3f}")
    seconds = full.seconds + sample.seconds
    print(
        f"(expected = guesses / 10,000: dossiers revealed per day on average; simulation "
        f"{full.messages:,} + {sample.messages:,} messages in {seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
