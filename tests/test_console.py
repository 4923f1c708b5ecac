"""The terminal chat, scripted through stdin as a person would type."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.app import Dispatcher
from bot.channels.console import ConsoleChannel
from handlers.context import Services


async def test_numbers_pick_the_choices_of_the_last_reply(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    out = io.StringIO()
    console = ConsoleChannel(
        dispatcher,
        "100",
        files_dir=tmp_path,
        stdin=io.StringIO("đăng ký khai tử\n2\n99\n/thoat\nkhông đọc tới đây\n"),
        stdout=out,
        interactive=False,
    )
    await console.run()
    text = out.getvalue()
    assert "» đăng ký khai tử" in text
    assert "[1] 📄 Giấy tờ cần chuẩn bị" in text
    assert "Lệ phí – Đăng ký khai tử" in text  # "2" pressed the second button
    assert "» 99" in text  # out of range: sent as text, not a crash
    assert "không đọc tới đây" not in text


def test_motcua_chat_runs_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "MOTCUA_DATA_DIR": str(tmp_path / "data"), "OFFICER_IDS": "7"}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user-id", "7"],
        input="/trogiup\nxin giấy xác nhận độc thân\n1\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=True,
    )
    assert "Dành cho cán bộ" in run.stdout  # user 7 is an officer by OFFICER_IDS
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in run.stdout
    assert "Giấy tờ cần chuẩn bị – Cấp Giấy xác nhận tình trạng hôn nhân" in run.stdout
    # The chat kept its state in the same database as every other channel.
    assert (tmp_path / "data" / "motcua.sqlite3").exists()


async def test_console_and_other_channels_share_the_database(
    services: Services, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    out = io.StringIO()
    console = ConsoleChannel(
        dispatcher,
        "5",
        files_dir=tmp_path,
        stdin=io.StringIO("khai tử\n"),
        stdout=out,
        interactive=False,
    )
    await console.run()
    from storage.base import ConversationKey

    state = await services.storage.conversations.load_state(ConversationKey("console", "5", "5"))
    assert state.data["procedure"] == "dang-ky-khai-tu"
    assert state.data["memory"] == {"asked": ["khai tử"], "unanswered": 0}  # issue 21
