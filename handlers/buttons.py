"""Buttons many conversations end with: every reply leaves a way on (issues 7 and 14)."""

from __future__ import annotations

from core.messages import Button

HOME_BUTTON = Button("🏠 Về đầu", "menu:start")
CONTACT_BUTTON = Button("📞 Gọi cho Bộ phận Một cửa", "menu:contact")
LOOKUP_BUTTON = Button("🔎 Tra cứu hồ sơ đã nộp", "menu:lookup")
