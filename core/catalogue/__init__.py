"""The procedure catalogue: models, loading with officer-readable errors, and lookups."""

from core.catalogue.catalogue import Catalogue, FeeLine
from core.catalogue.errors import CatalogueError, CatalogueInvalid
from core.catalogue.loader import check_catalogue, load_catalogue

__all__ = [
    "Catalogue",
    "CatalogueError",
    "CatalogueInvalid",
    "FeeLine",
    "check_catalogue",
    "load_catalogue",
]
