"""bench/year.py cannot rot: one month of a commune's year, replayed through import, the morning
list, apologies and notifications, with January's figures beside the independent count."""

from __future__ import annotations

from bench.year import replay
from handlers.context import Knowledge


async def test_a_month_replayed_misses_nothing_and_the_figures_match(knowledge: Knowledge) -> None:
    outcome = await replay(knowledge, year=2026, days=31, late_share=0.06, seed=3, quiet=True)
    assert outcome.late >= 3  # enough late dossiers in January for the check to mean something
    assert outcome.flagged_in_time == outcome.apologised_in_time == outcome.late
    assert outcome.missed == [] and outcome.mismatches == []
    assert outcome.undelivered == 0 and outcome.import_errors == []
    assert outcome.ok
