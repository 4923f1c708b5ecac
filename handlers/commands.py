"""The commands menu, in Vietnamese, for channels that show one (Telegram's "/" menu).

Officers see their commands only in their own chats (Telegram's BotCommandScopeChat): the
channel sets them at start-up for the admins and the officers stored, and at once when an admin
adds or removes an officer in the chat (`CommandMenus`, registered in `Services.menus`).
"""

from __future__ import annotations

from typing import Protocol


class CommandMenus(Protocol):
    """A channel that shows a command menu per chat."""

    async def officer_menu(self, user_id: str, officer: bool) -> None:
        """Show the officers' menu in this user's chat (or, `officer` False, the citizens')."""
        ...


CITIZEN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Bắt đầu"),
    ("thutuc", "Hỏi thủ tục"),
    ("linhvuc", "Xem thủ tục theo lĩnh vực"),
    ("tracuu", "Tra cứu hồ sơ"),
    ("hoso", "Hồ sơ đang theo dõi"),
    ("huytheodoi", "Dừng theo dõi hồ sơ"),
    ("dangkythongbao", "Nhận thông báo của xã"),
    ("huythongbao", "Dừng nhận thông báo"),
    ("hoicanbo", "Hỏi cán bộ Bộ phận Một cửa"),
    ("phananh", "Gửi phản ánh, kiến nghị"),
    ("tinhnguyenvien", "Tình nguyện viên giúp người dân"),
    ("xoadulieu", "Xóa dữ liệu của tôi"),
    ("lienhe", "Số điện thoại, giờ làm việc"),
    ("trogiup", "Hướng dẫn"),
)

OFFICER_COMMANDS: tuple[tuple[str, str], ...] = (
    *CITIZEN_COMMANDS,
    ("trehan", "Hồ sơ sắp đến hạn, quá hạn"),
    ("xinloi", "Lập văn bản xin lỗi (kèm mã hồ sơ)"),
    ("xinloi_ds", "Danh sách văn bản xin lỗi"),
    ("baocao", "Số liệu báo cáo quý"),
    ("capnhat", "Cập nhật trạng thái hồ sơ (kèm mã)"),
    ("phieuqr", "In phiếu QR: hồ sơ hôm nay, hoặc kèm mã"),
    ("apphich", "Áp phích đặt tại quầy (PDF)"),
    ("thuhoiqr", "Hủy phiếu QR của một hồ sơ (kèm mã)"),
    ("thongbao", "Gửi thông báo cho người đăng ký"),
    ("thongbao_ds", "Tiến độ các thông báo đã gửi"),
    ("hotro", "Câu hỏi của người dân chờ cán bộ"),
    ("phananh_ds", "Phản ánh, kiến nghị: trả lời"),
    ("tinhnguyenvien_ds", "Duyệt tình nguyện viên"),
    ("canbo", "Quản lý cán bộ (quản trị)"),
    ("nhatky", "Nhật ký thao tác (quản trị)"),
)

# Only admins (OFFICER_IDS) may use these; officers added in the chat see the rest.
ADMIN_COMMANDS = frozenset({"canbo", "nhatky"})


def officer_commands(*, admin: bool) -> list[tuple[str, str]]:
    """The officers' own commands, for /trogiup: the same list as their command menu."""
    citizen = {name for name, _ in CITIZEN_COMMANDS}
    return [
        (name, text)
        for name, text in OFFICER_COMMANDS
        if name not in citizen and (admin or name not in ADMIN_COMMANDS)
    ]
