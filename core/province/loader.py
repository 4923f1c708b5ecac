"""Load and validate a province: the shared catalogue, `province.yaml` and every commune's
overlay, every problem reported at once with its file and line (issue 19).

All or nothing: one error anywhere raises `CatalogueInvalid` with the full list, and the caller
keeps the province it was serving. Without a province file the province is the one commune of
`commune.yaml` (the shipped default), loaded exactly as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.catalogue import Catalogue, CatalogueError, CatalogueInvalid, load_catalogue
from core.catalogue.errors import describe_validation_error, format_field_path
from core.catalogue.loader import (
    _parse_procedures,
    local_fee_problem,
    located_errors,
    read_located,
)
from core.catalogue.models import CatalogueFile, CommuneFile, Procedure
from core.catalogue.yaml_lines import DEFAULT_MAX_BYTES, LocatedYaml, Path_
from core.province.models import IDENTITY_KEYS, CommuneIdentity, OverlayFile, ProvinceHead
from core.province.province import Commune, Province, name_key
from core.receipt_codes import code_key


def load_province(
    province_path: Path | None,
    procedures_path: Path,
    commune_path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Province:
    if province_path is None:
        return Province.of_one(load_catalogue(procedures_path, commune_path, max_bytes))
    errors: list[CatalogueError] = []
    shared = _parse_procedures(procedures_path, errors, max_bytes)
    located = read_located(province_path, errors, max_bytes)
    province = None
    if located is not None:
        province = _ProvinceReader(province_path, located, shared, errors, max_bytes).read()
    if errors or province is None:
        unique = list(dict.fromkeys(errors))
        raise CatalogueInvalid(sorted(unique, key=lambda e: (e.file, e.line or 0)))
    return province


def check_province(
    province_path: Path | None,
    procedures_path: Path,
    commune_path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[CatalogueError]:
    try:
        load_province(province_path, procedures_path, commune_path, max_bytes)
    except CatalogueInvalid as invalid:
        return invalid.errors
    return []


class _ProvinceReader:
    def __init__(
        self,
        path: Path,
        located: LocatedYaml,
        shared: CatalogueFile | None,
        errors: list[CatalogueError],
        max_bytes: int,
    ) -> None:
        self.path, self.name, self.located = path, path.name, located
        self.shared, self.errors, self.max_bytes = shared, errors, max_bytes

    def error(self, where: Path_, message: str, field: str | None = None) -> None:
        self.errors.append(
            CatalogueError(self.name, self.located.line_of(where), message, None, field)
        )

    def read(self) -> Province | None:
        try:
            head = ProvinceHead.model_validate(self.located.data)
        except ValidationError as exc:
            self.errors.extend(located_errors(exc, self.located, self.name))
            return None
        communes = []
        seen_ids: dict[str, int] = {}
        seen_agencies: dict[str, tuple[str, int]] = {}
        seen_names: dict[str, int] = {}
        for index, raw in enumerate(head.communes):
            identity, commune = self._commune(head, index, raw)
            if identity is None:
                continue
            at = ("communes", index)
            line = self.located.line_of((*at, "id")) or 0
            if identity.id in seen_ids:
                self.error(
                    (*at, "id"), f"mã xã bị trùng với xã ở dòng {seen_ids[identity.id]}", "id"
                )
            seen_ids.setdefault(identity.id, line)
            for position, agency in enumerate(identity.agency_codes):
                key = code_key(agency)
                if key in seen_agencies and seen_agencies[key][0] != identity.id:
                    other, other_line = seen_agencies[key]
                    self.error(
                        (*at, "agency_codes", position),
                        f'mã cơ quan "{agency}" đã thuộc xã "{other}" (dòng {other_line})',
                        f"agency_codes[{position}]",
                    )
                seen_agencies.setdefault(key, (identity.id, line))
            key = name_key(identity.name)
            if key in seen_names:
                self.error(
                    (*at, "name"),
                    f"tên xã trùng với xã ở dòng {seen_names[key]}"
                    " (người dân không phân biệt được)",
                    "name",
                )
            seen_names.setdefault(key, line)
            if commune is not None:
                communes.append(commune)
        if self.shared is None or len(communes) != len(head.communes):
            return None
        return Province(head.province, tuple(communes), tuple(self.shared.procedures))

    def _commune(
        self, head: ProvinceHead, index: int, raw: Any
    ) -> tuple[CommuneIdentity | None, Commune | None]:
        at: Path_ = ("communes", index)
        if not isinstance(raw, dict):
            self.error(at, "mỗi xã phải là một nhóm trường dạng “tên: giá trị”")
            return None, None
        identity_raw = {k: v for k, v in raw.items() if k in IDENTITY_KEYS}
        try:
            identity = CommuneIdentity.model_validate(identity_raw)
        except ValidationError as exc:
            self._located(exc, at)
            identity = None
        office = self._office(head, index, raw, identity)
        if identity is None or office is None or self.shared is None:
            return identity, None
        procedures: list[Procedure] | None = list(self.shared.procedures)
        overlay = identity.overlay is not None
        if identity.overlay is not None and procedures is not None:
            procedures = self._overlay(identity.overlay, (*at, "overlay"), procedures)
        if procedures is None:
            return identity, None
        self._check_local_fees(procedures, office, raw, at)
        catalogue = Catalogue(procedures, office, self.shared.referrals)
        kept = {p.id for p in procedures}
        hidden = tuple(p for p in self.shared.procedures if p.id not in kept)
        return identity, Commune(identity.id, catalogue, overlay, hidden)

    def _office(
        self, head: ProvinceHead, index: int, raw: dict[str, Any], identity: CommuneIdentity | None
    ) -> CommuneFile | None:
        """The province's defaults with the commune's own values over them; `local_fees` merge
        key by key (a commune with no amount of its own inherits the province's)."""
        at: Path_ = ("communes", index)
        own = {k: v for k, v in raw.items() if k not in IDENTITY_KEYS}
        merged: dict[str, Any] = {**head.defaults, **own}
        fees: dict[str, Any] = {}
        for source in (head.defaults.get("local_fees"), own.get("local_fees")):
            if isinstance(source, dict):
                fees.update(source)
        if fees:
            merged["local_fees"] = fees
        merged["province"] = head.province
        if identity is not None:
            merged.update(
                id=identity.id,
                commune_name=identity.name,
                former_names=identity.former_names,
                agency_codes=identity.agency_codes,
            )
        name = raw.get("name")
        if isinstance(name, str) and name.strip():
            merged.setdefault("office_name", f"Trung tâm Phục vụ hành chính công {name.strip()}")
        try:
            return CommuneFile.model_validate(merged)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                if not loc or loc[0] in ("id", "commune_name", "former_names", "agency_codes"):
                    continue  # said by the identity's own check
                where = self._source(head, raw, loc, at)
                self.errors.append(
                    CatalogueError(
                        self.name,
                        self.located.line_of(where),
                        describe_validation_error(error),
                        None,
                        format_field_path(loc),
                    )
                )
            return None

    @staticmethod
    def _source(head: ProvinceHead, raw: dict[str, Any], loc: tuple[Any, ...], at: Path_) -> Path_:
        """Where in the province file a merged field came from: the commune's entry, else the
        defaults; a missing field is the commune's to give (its entry's line)."""
        first = loc[0]
        if first == "local_fees" and len(loc) > 1:
            own = raw.get("local_fees")
            if isinstance(own, dict) and loc[1] in own:
                return (*at, *loc)
            return ("defaults", *loc)
        if first in raw:
            return (*at, *loc)
        if first in head.defaults:
            return ("defaults", *loc)
        return at

    def _located(
        self,
        exc: ValidationError,
        prefix: Path_,
        located: LocatedYaml | None = None,
        name: str | None = None,
        procedure: str | None = None,
    ) -> None:
        located = located or self.located
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            self.errors.append(
                CatalogueError(
                    name or self.name,
                    located.line_of((*prefix, *loc)),
                    describe_validation_error(error),
                    procedure,
                    format_field_path(loc) or None,
                )
            )

    def _overlay(
        self, relative: str, where: Path_, procedures: list[Procedure]
    ) -> list[Procedure] | None:
        path = self.path.parent / relative
        before = len(self.errors)
        located = read_located(path, self.errors, self.max_bytes)
        if located is None:
            if len(self.errors) > before and self.errors[-1].line is None:
                self.errors[-1] = CatalogueError(
                    self.name,
                    self.located.line_of(where),
                    f"tệp sửa đổi của xã: {self.errors[-1].message}",
                    None,
                    "overlay",
                )
            return None
        name = path.name
        try:
            overlay = OverlayFile.model_validate(located.data)
        except ValidationError as exc:
            self.errors.extend(located_errors(exc, located, name))
            return None
        shared_ids = {p.id for p in procedures}
        referral_ids = {r.id for r in self.shared.referrals} if self.shared else set()
        by_id = {p.id: p for p in procedures}

        def fail(
            path_: Path_, message: str, procedure: str | None = None, field: str | None = None
        ) -> None:
            self.errors.append(
                CatalogueError(name, located.line_of(path_), message, procedure, field)
            )

        for position, pid in enumerate(overlay.hide):
            if pid not in shared_ids:
                fail(("hide", position), f'không có thủ tục "{pid}" trong danh mục của tỉnh để ẩn')
        hidden = set(overlay.hide)
        for position, item in enumerate(overlay.override):
            at: Path_ = ("override", position)
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                fail(at, "mỗi mục sửa phải ghi id của thủ tục cần sửa", None, "id")
                continue
            pid = item["id"]
            base = by_id.get(pid)
            if base is None:
                fail(
                    (*at, "id"),
                    f'không có thủ tục "{pid}" trong danh mục của tỉnh để sửa',
                    pid,
                    "id",
                )
                continue
            if pid in hidden:
                fail((*at, "id"), "thủ tục này vừa bị ẩn (hide) vừa được sửa", pid, "id")
                continue
            fields = {k: v for k, v in item.items() if k != "id"}
            try:
                by_id[pid] = Procedure.model_validate({**base.model_dump(), **fields})
            except ValidationError as exc:
                self._located(exc, at, located, name, pid)
        added: list[Procedure] = []
        for position, item in enumerate(overlay.add):
            at = ("add", position)
            named = item.get("id") if isinstance(item, dict) else None
            try:
                procedure = Procedure.model_validate(item)
            except ValidationError as exc:
                self._located(exc, at, located, name, named if isinstance(named, str) else None)
                continue
            if procedure.id in shared_ids or procedure.id in referral_ids:
                fail(
                    (*at, "id"),
                    "mã thủ tục đã có trong danh mục của tỉnh (muốn sửa thì ghi ở override)",
                    procedure.id,
                    "id",
                )
                continue
            if procedure.id in {p.id for p in added}:
                fail(
                    (*at, "id"),
                    "mã thủ tục bị trùng với một thủ tục thêm ở trên",
                    procedure.id,
                    "id",
                )
                continue
            added.append(procedure)
        if len(self.errors) > before:
            return None
        return [by_id[p.id] for p in procedures if p.id not in hidden] + added

    def _check_local_fees(
        self, procedures: list[Procedure], office: CommuneFile, raw: dict[str, Any], at: Path_
    ) -> None:
        """A commune's own amounts are checked against its effective catalogue; the province's
        defaults against the shared one (a commune that hides a procedure ignores its amount)."""
        own = raw.get("local_fees")
        effective = {(p.id, fee.key): fee for p in procedures for fee in p.fees}
        shared = self.shared.procedures if self.shared is not None else []
        province = {(p.id, fee.key): fee for p in shared for fee in p.fees}
        for ref in office.local_fees:
            mine = isinstance(own, dict) and ref in own
            where: Path_ = (*at, "local_fees", ref) if mine else ("defaults", "local_fees", ref)
            message = local_fee_problem(ref, effective if mine else province)
            if message is not None:
                self.error(where, message, f"local_fees.{ref}")
