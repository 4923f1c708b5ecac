"""The province file and the communes' catalogue overlays, as typed models (issue 19).

Since 1 July 2025 there is no district level: one province runs one bot for all its communes and
wards (xã, phường, đặc khu). `province.yaml` lists them; each commune's office record (the
`CommuneFile` of `commune.yaml`: name, address, hours, phones, fees set by the province…) is the
province's `defaults` with the commune's own values over them. A commune's overlay file adds,
hides or overrides procedures of the shared catalogue.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from core.catalogue.models import NonEmpty, ProcedureId, Strict

# Ids travel in button data and in the database: the same shape as procedure ids, short.
CommuneId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40),
]
# The receipt code's first segment (QĐ 20/2020/QĐ-TTg: up to 35 characters of digits, A–Z and
# dots), e.g. "000.00.19.H47".
AgencyCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*$", max_length=35
    ),
]

# Keys of a commune's entry that are about the commune itself, not its office record.
IDENTITY_KEYS = ("id", "name", "former_names", "agency_codes", "overlay")


class CommuneIdentity(Strict):
    """What names a commune: checked on its own, the rest of the entry is its office record."""

    id: CommuneId
    name: NonEmpty  # the official name, "xã Bình An", "phường Đông Hòa"
    # Names before the 2025 merger, which people still use ("xã Bình Hòa", "thị trấn An Lạc").
    former_names: list[NonEmpty] = Field(default_factory=list)
    agency_codes: Annotated[list[AgencyCode], Field(min_length=1)]
    overlay: NonEmpty | None = None  # the overlay file, relative to the province file


class ProvinceHead(Strict):
    """The province file's top level; `defaults` and `communes` are validated piece by piece."""

    version: Annotated[int, Field(ge=1)]
    province: NonEmpty
    defaults: dict[str, Any] = Field(default_factory=dict)
    communes: Annotated[list[Any], Field(min_length=1)]


class OverlayFile(Strict):
    """A commune's differences from the province's catalogue. `add` holds whole procedures;
    each `override` item names a shared procedure by `id` and gives the fields replaced for this
    commune (a whole field: a list of fees or documents is replaced, not merged). Items are
    validated one by one (`core.province.loader`), so every error has its line."""

    version: Annotated[int, Field(ge=1)]
    add: list[Any] = Field(default_factory=list)
    hide: list[ProcedureId] = Field(default_factory=list)
    override: list[Any] = Field(default_factory=list)
