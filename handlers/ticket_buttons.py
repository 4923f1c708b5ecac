"""The buttons and command names of issue 21 (questions handed to an officer), in one place.

Their actions are declared in handlers.actions (AskOfficer, ClaimTicket, …). Other conversations
put `ask_button()` on their replies (not-found answers, the contact card) without importing the
ticket conversation itself.
"""

from __future__ import annotations

from core.messages import Button
from core.tickets import OfficerRef, Ticket
from handlers.actions import (
    AskOfficer,
    CancelQuestion,
    ChoosePassTarget,
    ClaimTicket,
    CloseTicket,
    EndQuestion,
    PassTicket,
    PauseTicket,
    TicketDesk,
)

ASK_COMMAND = "hoicanbo"  # a person asks for an officer
DESK_COMMAND = "hotro"  # officers: the open questions, oldest first


def ask_button() -> Button:
    return AskOfficer().button("💬 Hỏi cán bộ")


def cancel_button() -> Button:
    return CancelQuestion().button("Hủy")


def end_button(ticket: Ticket) -> Button:
    return EndQuestion(ticket.id).button("✅ Kết thúc hỏi cán bộ")


def claim_button(ticket: Ticket, *, resume: bool = False) -> Button:
    label = f"✍️ Trả lời tiếp {ticket.number}" if resume else f"🙋 Nhận trả lời {ticket.number}"
    return ClaimTicket(ticket.id).button(label)


def pass_button(ticket: Ticket) -> Button:
    return ChoosePassTarget(ticket.id).button("↪️ Chuyển cán bộ khác")


def pass_to_button(ticket: Ticket, officer: OfficerRef) -> Button:
    return PassTicket(ticket.id, officer.channel, officer.user_id).button(f"↪️ {officer.label}")


def close_button(ticket: Ticket) -> Button:
    return CloseTicket(ticket.id).button("✅ Kết thúc câu hỏi")


def pause_button() -> Button:
    return PauseTicket().button("⏸ Tạm dừng")


def desk_button() -> Button:
    return TicketDesk().button("📋 Câu hỏi đang chờ")
