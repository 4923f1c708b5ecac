"""The catalogue on disk: load and validate it, and replace it safely while the bot runs.

Officers send a new `procedures.yaml` in the chat or run `motcua reload`; the file is validated
first (every error reported, nothing changed), and only a valid file replaces the one in use. The
old file is kept next to it as `procedures.yaml.bak-YYYYmmdd-HHMMSS`, and the replacement is an
atomic rename, so a crash leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
from functools import cached_property
from pathlib import Path

from bot.settings import Settings
from core.catalogue import Catalogue
from core.province import Province, load_province
from core.search import Lexicon, ProcedureSearch
from core.search.examples import AnalysisCache, Examples, load_examples
from core.search.index import PostingsPool
from handlers.context import Knowledge

PID_FILE = "motcua.pid"  # in the data folder, while `motcua run` serves a channel
EXAMPLES_CACHE = "examples-analysed.json"  # in the cache folder (Settings.cache_dir)


class KnowledgeFiles:
    """Implements handlers.context.CatalogueFiles for the files named in the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def max_bytes(self) -> int:
        return self.settings.catalogue_max_bytes

    @cached_property
    def lexicon(self) -> Lexicon:
        return Lexicon.load(self.settings.lexicon_file)

    @property
    def examples_cache(self) -> AnalysisCache:
        folder = self.settings.cache_dir or self.settings.data_dir / "cache"
        return AnalysisCache(folder / EXAMPLES_CACHE)

    def load(self, procedures: Path | None = None) -> Knowledge:
        """The shared catalogue with every commune's office and overlay (issue 19): one error
        anywhere and nothing is replaced."""
        path = procedures or self.settings.catalogue_file
        province = load_province(
            self.settings.province_file,
            path,
            self.settings.commune_file,
            self.settings.catalogue_max_bytes,
        )
        catalogue = province.first.catalogue
        # The province's index: the shared catalogue (a province of one's is its catalogue).
        shared = Catalogue(list(province.shared), catalogue.commune, catalogue.referrals)
        postings: PostingsPool = {}
        examples = examples_of(self.settings, province)
        search = ProcedureSearch(
            shared, self.lexicon, postings, examples=examples, examples_cache=self.examples_cache
        )
        return Knowledge(catalogue, search, version_of(path), province, postings=postings)

    def install(self, procedures: Path) -> None:
        target = self.settings.catalogue_file
        if procedures.resolve() == target.resolve():
            return
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        if target.exists():
            shutil.copy2(target, target.with_name(f"{target.name}.bak-{stamp}"))
        staging = target.with_name(f".{target.name}.new")
        shutil.copyfile(procedures, staging)
        os.replace(staging, target)


def examples_of(settings: Settings, province: Province) -> Examples | None:
    """The questions of `knowledge/examples.yaml`, each group checked against the ids of the
    province's procedures and referrals (raises CatalogueInvalid, with file and line)."""
    if settings.examples_file is None:
        return None
    ids = {p.id for p in province.shared} | {r.id for r in province.first.catalogue.referrals}
    ids |= {p.id for commune in province for p in commune.catalogue}
    return load_examples(settings.examples_file, ids, settings.catalogue_max_bytes)


def version_of(path: Path) -> str:
    """The catalogue's version as /metrics shows it: the first 12 hex digits of its SHA-256."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""


def write_pid_file(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / PID_FILE
    path.write_text(str(os.getpid()))
    return path


def signal_running_bot(settings: Settings) -> int | None:
    """Ask a running `motcua run` to reload its catalogue (SIGHUP); its pid, or None if none."""
    path = settings.data_dir / PID_FILE
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return None
    return pid
