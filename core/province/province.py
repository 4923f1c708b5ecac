"""A province's communes and each one's effective catalogue (issue 19).

One deployment serves every commune of a province; a single commune is a province of one (the
shipped default, built from `commune.yaml`). A commune is found by id, by the agency segment of
a receipt code (`000.00.19.H47-260105-0001` → `000.00.19.H47`), or by its name as people type it:
with or without diacritics, with or without "xã"/"phường", or a name from before the 2025 merger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from core.catalogue import Catalogue
from core.catalogue.models import Procedure
from core.receipt_codes import agency_key, code_key
from core.text import fold

# Words in front of a commune's name that people may or may not type.
_KINDS = ("dac khu", "thi tran", "phuong", "xa", "tt", "p")


def name_key(name: str) -> str:
    """ "Xã Bình An", "xa binh an", "BÌNH AN" → "binh an"."""
    folded = fold(name)
    for kind in _KINDS:
        if folded.startswith(kind + " ") and len(folded) > len(kind) + 1:
            return folded[len(kind) + 1 :]
    return folded


def short_name(name: str) -> str:
    """ "xã Bình An" → "Bình An" (the kind of commune dropped, diacritics kept)."""
    words = name.split()
    for kind in ("đặc khu", "thị trấn", "phường", "xã"):
        size = len(kind.split())
        if len(words) > size and " ".join(words[:size]).casefold() == kind:
            return " ".join(words[size:])
    return name.strip()


def slug(name: str) -> str:
    """An id made from a name: "xã Bình An" → "binh-an"."""
    return "-".join(name_key(name).split()) or "xa"


@dataclass(frozen=True)
class Commune:
    """One commune (xã, phường, đặc khu) of the province: its office record and catalogue."""

    id: str
    catalogue: Catalogue  # the commune's effective catalogue; `.commune` is its office record
    # True when the commune's overlay changes the shared procedures (its own search index).
    overlay: bool = False
    # Shared procedures the overlay hides: still recognised in questions, to say honestly that
    # this commune does not handle them (instead of a wrong guess among the others).
    hidden: tuple[Procedure, ...] = ()

    def hidden_procedure(self, procedure_id: str) -> Procedure | None:
        return next((p for p in self.hidden if p.id == procedure_id), None)

    @property
    def name(self) -> str:
        return self.catalogue.commune.commune_name

    @property
    def former_names(self) -> list[str]:
        return list(self.catalogue.commune.former_names)

    @property
    def agency_codes(self) -> list[str]:
        return list(self.catalogue.commune.agency_codes)


@dataclass
class Province:
    name: str
    communes: tuple[Commune, ...]
    # The province's own catalogue, before any overlay, in its file's order.
    shared: tuple[Procedure, ...] = ()
    # Agency key (core.receipt_codes.code_key of the agency segment) → commune id.
    _by_agency: dict[str, str] = field(default_factory=dict, repr=False)
    _by_id: dict[str, Commune] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.communes}
        self._by_agency = {code_key(a): c.id for c in self.communes for a in c.agency_codes}

    @classmethod
    def of_one(cls, catalogue: Catalogue) -> Province:
        """The shipped default: today's `commune.yaml` as a province with one commune."""
        office = catalogue.commune
        commune_id = office.id or slug(office.commune_name)
        return cls(office.province, (Commune(commune_id, catalogue),), tuple(catalogue))

    def __len__(self) -> int:
        return len(self.communes)

    def __iter__(self) -> Iterator[Commune]:
        return iter(self.communes)

    @property
    def single(self) -> bool:
        return len(self.communes) == 1

    @property
    def first(self) -> Commune:
        return self.communes[0]

    def get(self, commune_id: str | None) -> Commune | None:
        return self._by_id.get(commune_id) if commune_id else None

    def for_agency(self, agency: str) -> Commune | None:
        """The commune that owns an agency code ("000.00.19.H47", any spelling)."""
        found = self.get(self._by_agency.get(code_key(agency)))
        if found is None and self.single and not self.first.agency_codes:
            return self.first  # a province of one without agency codes owns every code
        return found

    def for_code(self, code: str) -> Commune | None:
        """The commune a receipt code belongs to, from its agency segment; None if unknown."""
        agency = agency_key(code)
        if agency is None:
            return self.first if self.single and not self.first.agency_codes else None
        return self.for_agency(agency)

    def indexed(self, commune: Commune) -> list[Procedure]:
        """What a commune's search indexes: the shared procedures in the province's order, each
        as the commune's overlay has it (a hidden one as the province has it, to be recognised
        and answered "not here"), then the commune's own. The same places as in the shared
        index, so most of the two indexes' postings are alike (core.search.index's pool)."""
        own = commune.catalogue
        shared_ids = {p.id for p in self.shared}
        return [own.get(p.id) or p for p in self.shared] + [
            p for p in own if p.id not in shared_ids
        ]

    def find(self, text: str) -> list[Commune]:
        """Communes a person may mean by `text`: an exact name (now or former) first; else the
        communes with a name that holds the words typed, in order. Empty when nothing matches."""
        key = name_key(text)
        if not key:
            return []
        exact = [c for c in self.communes if key in _keys(c)]
        if exact:
            return exact
        return [c for c in self.communes if any(f" {key} " in f" {k} " for k in _keys(c))]


def _keys(commune: Commune) -> list[str]:
    return [name_key(n) for n in (commune.name, *commune.former_names)]
