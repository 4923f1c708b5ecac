"""Every button and route name of issue 21 (questions handed to an officer), in one place.

Button data is "ht:<action>[:<ticket id>[:<more>]]", read back with `routing.button_action`.
Other conversations put `ask_button()` on their replies (not-found answers, the contact card)
without importing the ticket conversation itself.
"""

from __future__ import annotations

from core.messages import Button
from core.tickets import OfficerRef, Ticket

PREFIX = "ht"
ASK_COMMAND = "hoicanbo"  # a person asks for an officer
DESK_COMMAND = "hotro"  # officers: the open questions, oldest first

# Actions
ASK = "ask"  # a person: "💬 Hỏi cán bộ"
CANCEL = "n"  # a person stops writing the question
END = "end"  # a person: "Kết thúc hỏi cán bộ" (ticket id)
CLAIM = "c"  # an officer: "Nhận trả lời" / "Trả lời tiếp" (ticket id)
PASS = "p"  # the holder: choose whom to pass it to (ticket id)
PASS_TO = "pt"  # the holder: pass it (ticket id, channel, user id)
CLOSE = "x"  # the holder: close it (ticket id)
PAUSE = "z"  # the holder: stop relaying what they type (the ticket stays theirs)
DESK = "l"  # the list, as /hotro


def ask_button() -> Button:
    return Button("💬 Hỏi cán bộ", f"{PREFIX}:{ASK}")


def cancel_button() -> Button:
    return Button("Hủy", f"{PREFIX}:{CANCEL}")


def end_button(ticket: Ticket) -> Button:
    return Button("✅ Kết thúc hỏi cán bộ", f"{PREFIX}:{END}:{ticket.id}")


def claim_button(ticket: Ticket, *, resume: bool = False) -> Button:
    label = f"✍️ Trả lời tiếp {ticket.number}" if resume else f"🙋 Nhận trả lời {ticket.number}"
    return Button(label, f"{PREFIX}:{CLAIM}:{ticket.id}")


def pass_button(ticket: Ticket) -> Button:
    return Button("↪️ Chuyển cán bộ khác", f"{PREFIX}:{PASS}:{ticket.id}")


def pass_to_button(ticket: Ticket, officer: OfficerRef) -> Button:
    return Button(
        f"↪️ {officer.label}", f"{PREFIX}:{PASS_TO}:{ticket.id}:{officer.channel}:{officer.user_id}"
    )


def close_button(ticket: Ticket) -> Button:
    return Button("✅ Kết thúc câu hỏi", f"{PREFIX}:{CLOSE}:{ticket.id}")


def pause_button() -> Button:
    return Button("⏸ Tạm dừng", f"{PREFIX}:{PAUSE}")


def desk_button() -> Button:
    return Button("📋 Câu hỏi đang chờ", f"{PREFIX}:{DESK}")
