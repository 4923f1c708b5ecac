"""The message mix of the load benchmarks (bench/telegram.py, bench/scale.py): commands and
questions that each get exactly one reply, so that replies can be counted."""

MESSAGES = [
    "/start",
    "đăng ký khai tử",
    "/trogiup",
    "chung thuc di chuc",
    "/lienhe",
    "xin giấy xác nhận độc thân",
    "/linhvuc",
    "dang ky tam tru",
]
