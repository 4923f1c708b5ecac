"""The commands menu, in Vietnamese, for channels that show one (Telegram's "/" menu).

Officers see their commands only in their own chats (Telegram's BotCommandScopeChat).
"""

from __future__ import annotations

CITIZEN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Bắt đầu"),
    ("thutuc", "Hỏi thủ tục"),
    ("linhvuc", "Xem thủ tục theo lĩnh vực"),
    ("tracuu", "Tra cứu hồ sơ"),
    ("hoso", "Hồ sơ đang theo dõi"),
    ("huytheodoi", "Dừng theo dõi hồ sơ"),
    ("xoadulieu", "Xóa dữ liệu của tôi"),
    ("lienhe", "Số điện thoại, giờ làm việc"),
    ("trogiup", "Hướng dẫn"),
)

OFFICER_COMMANDS: tuple[tuple[str, str], ...] = (
    *CITIZEN_COMMANDS,
    ("trehan", "Hồ sơ sắp đến hạn, quá hạn"),
    ("xinloi", "Lập văn bản xin lỗi (kèm mã hồ sơ)"),
    ("xinloi_ds", "Danh sách văn bản xin lỗi"),
)
