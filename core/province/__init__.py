"""A province's communes as tenants of one bot (issue 19): the province file, each commune's
office record and catalogue overlay, and finding a commune by code or by name."""

from core.province.loader import check_province, load_province
from core.province.province import Commune, Province, name_key, short_name, slug

__all__ = [
    "Commune",
    "Province",
    "check_province",
    "load_province",
    "name_key",
    "short_name",
    "slug",
]
