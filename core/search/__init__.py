"""Vietnamese procedure search: normalisation, typo repair, scoring and the decision."""

from core.search.engine import Candidate, ProcedureSearch, SearchResult
from core.search.lexicon import Aspect, Lexicon, SmallTalk

__all__ = ["Aspect", "Candidate", "Lexicon", "ProcedureSearch", "SearchResult", "SmallTalk"]
