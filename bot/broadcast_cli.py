"""`motcua broadcast`: queue a notice for the subscribers from the command line.

The broadcast is queued exactly as an officer's /thongbao queues it (one transaction, audited);
the running bot's outbox worker delivers it at the channel's pace. Nothing is sent from here.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.app import load_knowledge, running_services
from bot.settings import Settings
from core.broadcasts import (
    ALL_TOPICS,
    MAX_TEXT,
    TO_FILL,
    VOLUNTEERS,
    BroadcastDraft,
    NoRecipients,
)
from core.messages import TextFormat
from core.officers import AuditAction, AuditEntry
from handlers.broadcasts import MIN_TEXT, audit_detail, notice_reply
from handlers.subscriptions import field_names, topic_label

CHANNEL = "cli"
YES = ("c", "co", "có", "y", "yes")


def _account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "?"


async def queue_from_command_line(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = load_knowledge(settings)
    names = field_names(knowledge.catalogue)
    text = args.text.strip()
    topic = VOLUNTEERS if getattr(args, "volunteers", False) else args.field or ALL_TOPICS
    if topic not in (ALL_TOPICS, VOLUNTEERS) and topic not in names:
        known = ", ".join(f"{slug} ({name})" for slug, name in names.items())
        print(f"Không có lĩnh vực «{topic}». Các lĩnh vực: {known}.", file=sys.stderr)
        return 2
    if TO_FILL in text:
        print(f"Nội dung còn chỗ «{TO_FILL} …]» cần điền: sửa rồi chạy lại.", file=sys.stderr)
        return 2
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        print(f"Nội dung cần từ {MIN_TEXT} đến {MAX_TEXT} ký tự.", file=sys.stderr)
        return 2
    province = knowledge.province
    asked = list(getattr(args, "commune", None) or [])
    if unknown := [c for c in asked if province.get(c) is None]:
        known = ", ".join(c.id for c in province)
        print(f"Không có xã, phường «{unknown[0]}». Các mã: {known}.", file=sys.stderr)
        return 2
    # Issue 19 point 7: some communes' subscribers, or the whole province (no --commune).
    communes = tuple(c.id for c in province if c.id in asked)
    async with running_services(settings, knowledge=knowledge) as services:
        audience = topic_label(knowledge.catalogue, topic)
        if communes:
            audience += " ở " + ", ".join(c.name for c in province if c.id in communes)
        count = (await services.storage.broadcasts.audience_sizes(communes)).size(topic)
        if count == 0:
            print(f"Chưa có ai trong nhóm nhận «{audience}»: chưa gửi.", file=sys.stderr)
            return 1
        print(notice_reply(services, TextFormat.PLAIN, text, topic, None).text)
        print(f"\nNgười nhận: {audience} – {count} người.")
        if not args.yes:
            if not sys.stdin.isatty():
                print("Thêm --yes để gửi mà không hỏi lại.", file=sys.stderr)
                return 2
            answer = await asyncio.to_thread(input, "Gửi thông báo này? Gõ «c» để gửi: ")
            if answer.strip().lower() not in YES:
                print("Chưa gửi.")
                return 1
        now, actor = services.clock.now(), f"cli:{_account()}"
        draft = BroadcastDraft(text, topic, None, CHANNEL, actor, None, None, communes)
        detail = audit_detail(knowledge.catalogue, topic, text)
        single = communes[0] if len(communes) == 1 else None
        entry = AuditEntry(
            now, CHANNEL, actor, None, AuditAction.BROADCAST_SENT, None, detail, commune_id=single
        )
        try:
            broadcast = await services.storage.broadcasts.create_broadcast(draft, entry, now)
        except NoRecipients:
            print(f"Chưa có ai trong nhóm nhận «{audience}»: chưa gửi.", file=sys.stderr)
            return 1
    print(
        f"Đã xếp hàng thông báo #{broadcast.id} cho {broadcast.recipients} người. Bot đang chạy "
        "sẽ gửi dần theo giới hạn của kênh; cán bộ xem tiến độ bằng /thongbao_ds."
    )
    return 0
