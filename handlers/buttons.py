"""Buttons many conversations end with: every reply leaves a way on (issues 7 and 14)."""

from __future__ import annotations

from handlers.actions import Contact, GoHome, LookupPrompt

HOME_BUTTON = GoHome().button("🏠 Về đầu")
CONTACT_BUTTON = Contact().button("📞 Gọi cho Bộ phận Một cửa")
LOOKUP_BUTTON = LookupPrompt().button("🔎 Tra cứu hồ sơ đã nộp")
