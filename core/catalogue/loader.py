"""Load and validate `procedures.yaml` and `commune.yaml`, reporting every problem at once.

All or nothing: if either file has a problem, `load_catalogue` raises `CatalogueInvalid` with the
full list and the caller keeps whatever catalogue it was serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.catalogue.catalogue import Catalogue
from core.catalogue.errors import (
    CatalogueError,
    CatalogueInvalid,
    describe_validation_error,
    format_field_path,
)
from core.catalogue.models import CatalogueFile, CommuneFile, Fee, FeeSetBy
from core.catalogue.yaml_lines import (
    DEFAULT_MAX_BYTES,
    LocatedYaml,
    YamlRefused,
    YamlSyntaxError,
    load_located,
    read_limited,
)

PROCEDURE_LISTS = ("procedures", "referrals")


def load_catalogue(
    procedures_path: Path, commune_path: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> Catalogue:
    """`max_bytes`: a bigger file is refused unread (setting MOTCUA_CATALOGUE_MAX_BYTES)."""
    errors: list[CatalogueError] = []
    parsed = _parse_procedures(procedures_path, errors, max_bytes)
    commune, commune_lines = _parse_commune(commune_path, errors, max_bytes)
    if parsed is not None and commune is not None and commune_lines is not None:
        _check_local_fees(parsed, commune, commune_lines, commune_path.name, errors)
    if errors or parsed is None or commune is None:
        raise CatalogueInvalid(sorted(errors, key=lambda e: (e.file, e.line or 0)))
    return Catalogue(parsed.procedures, commune, parsed.referrals)


def check_catalogue(
    procedures_path: Path, commune_path: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[CatalogueError]:
    try:
        load_catalogue(procedures_path, commune_path, max_bytes)
    except CatalogueInvalid as invalid:
        return invalid.errors
    return []


def read_located(
    path: Path, errors: list[CatalogueError], max_bytes: int = DEFAULT_MAX_BYTES
) -> LocatedYaml | None:
    """Read any knowledge YAML file (also used by `core.workdays`); problems go to `errors`.
    Hostile files are refused before they are parsed or built (`yaml_lines`)."""
    name = path.name
    try:
        text = read_limited(path, max_bytes)
        located = load_located(text)
    except FileNotFoundError:
        errors.append(CatalogueError(name, None, f"không tìm thấy tệp {path}"))
        return None
    except UnicodeDecodeError:
        errors.append(CatalogueError(name, None, "tệp phải được lưu với bảng mã UTF-8"))
        return None
    except IsADirectoryError:
        errors.append(CatalogueError(name, None, f"{path} là một thư mục, không phải tệp"))
        return None
    except YamlRefused as exc:
        errors.append(CatalogueError(name, exc.line, exc.problem))
        return None
    except YamlSyntaxError as exc:
        column = f", cột {exc.column}" if exc.column else ""
        errors.append(
            CatalogueError(
                name,
                exc.line,
                f"sai cú pháp YAML{column}: {exc.problem}",
            )
        )
        return None
    for key_path, line, first_line in located.duplicate_keys:
        procedure = _procedure_id_at(located, key_path)
        errors.append(
            CatalogueError(
                name,
                line,
                f"trường này bị lặp lại (đã có ở dòng {first_line})",
                procedure,
                format_field_path(_inner_path(key_path)),
            )
        )
    if not isinstance(located.data, dict):
        errors.append(CatalogueError(name, 1, "tệp phải là một nhóm trường dạng “tên: giá trị”"))
        return None
    return located


def _parse_procedures(
    path: Path, errors: list[CatalogueError], max_bytes: int
) -> CatalogueFile | None:
    located = read_located(path, errors, max_bytes)
    if located is None:
        return None
    name = path.name
    parsed: CatalogueFile | None = None
    try:
        parsed = CatalogueFile.model_validate(located.data)
    except ValidationError as exc:
        errors.extend(located_errors(exc, located, name))
    _check_identities(located, name, errors)
    return parsed


def _parse_commune(
    path: Path, errors: list[CatalogueError], max_bytes: int
) -> tuple[CommuneFile | None, LocatedYaml | None]:
    located = read_located(path, errors, max_bytes)
    if located is None:
        return None, None
    try:
        return CommuneFile.model_validate(located.data), located
    except ValidationError as exc:
        errors.extend(located_errors(exc, located, path.name))
        return None, located


def located_errors(exc: ValidationError, located: LocatedYaml, name: str) -> list[CatalogueError]:
    """Pydantic errors → located Vietnamese errors (also used by `core.workdays`)."""
    found = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        found.append(
            CatalogueError(
                name,
                located.line_of(loc),
                describe_validation_error(error),
                _procedure_id_at(located, loc),
                format_field_path(_inner_path(loc)) or None,
            )
        )
    return found


def _check_identities(located: LocatedYaml, name: str, errors: list[CatalogueError]) -> None:
    """Ids must be unique across procedures and referrals; `related` must point to real ids,
    `took_over_from` to another procedure of the catalogue (a referral serves no one here)."""
    data = located.data
    seen: dict[str, int] = {}
    known: set[str] = set()
    own: set[str] = set()
    for section in PROCEDURE_LISTS:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            pid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(pid, str):
                continue
            line = located.line_of((section, index, "id"))
            if pid in seen:
                errors.append(
                    CatalogueError(
                        name, line, f"mã thủ tục bị trùng với mục ở dòng {seen[pid]}", pid, "id"
                    )
                )
            else:
                seen[pid] = line or 0
            known.add(pid)
            if section == "procedures":
                own.add(pid)
    for index, item in enumerate(data.get("procedures") or []):
        if isinstance(item, dict):
            _check_took_over(located, name, errors, index, item, own)
        if not isinstance(item, dict) or not isinstance(item.get("related"), list):
            continue
        for position, related in enumerate(item["related"]):
            if isinstance(related, str) and related not in known:
                errors.append(
                    CatalogueError(
                        name,
                        located.line_of(("procedures", index, "related", position)),
                        f'thủ tục liên quan "{related}" không có trong danh mục',
                        item.get("id") if isinstance(item.get("id"), str) else None,
                        f"related[{position}]",
                    )
                )


def _check_took_over(
    located: LocatedYaml,
    name: str,
    errors: list[CatalogueError],
    index: int,
    item: dict[str, Any],
    own: set[str],
) -> None:
    moves = item.get("took_over_from")
    if not isinstance(moves, list):
        return
    pid = item.get("id") if isinstance(item.get("id"), str) else None
    for position, move in enumerate(moves):
        source = move.get("procedure") if isinstance(move, dict) else None
        if not isinstance(source, str):
            continue
        if source == pid:
            problem = "một thủ tục không thể nhận lại đối tượng của chính nó"
        elif source not in own:
            problem = f'thủ tục "{source}" (nơi đối tượng chuyển đi) không có trong danh mục'
        else:
            continue
        errors.append(
            CatalogueError(
                name,
                located.line_of(("procedures", index, "took_over_from", position, "procedure")),
                problem,
                pid,
                f"took_over_from[{position}].procedure",
            )
        )


def _check_local_fees(
    catalogue: CatalogueFile,
    commune: CommuneFile,
    located: LocatedYaml,
    name: str,
    errors: list[CatalogueError],
) -> None:
    fees = {(p.id, fee.key): fee for p in catalogue.procedures for fee in p.fees}
    for ref in commune.local_fees:
        line = located.line_of(("local_fees", ref))
        message = local_fee_problem(ref, fees)
        if message is not None:
            errors.append(CatalogueError(name, line, message, None, f"local_fees.{ref}"))


def local_fee_problem(ref: str, fees: Mapping[tuple[str, str], Fee]) -> str | None:
    """What is wrong with a commune's `local_fees` entry "procedure-id/fee-key", or None.

    Only a fee the province sets (set_by: tinh) may have a local value; `fees` maps
    (procedure id, fee key) to the fee of the catalogue the commune sees.
    """
    procedure_id, _, key = ref.partition("/")
    fee = fees.get((procedure_id, key))
    if fee is None:
        return (
            f'không có khoản lệ phí "{key}" trong thủ tục "{procedure_id}" '
            "(ghi theo dạng mã-thủ-tục/key-lệ-phí)"
        )
    if fee.set_by is not FeeSetBy.PROVINCE:
        return "khoản này do trung ương quy định (set_by: trung-uong), không ghi ở đây"
    return None


def _procedure_id_at(located: LocatedYaml, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] in PROCEDURE_LISTS and isinstance(loc[1], int):
        items = located.data.get(loc[0]) if isinstance(located.data, dict) else None
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            pid = items[loc[1]].get("id")
            return pid if isinstance(pid, str) else f"mục thứ {loc[1] + 1}"
    return None


def _inner_path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the ('procedures', n) prefix: the procedure is named separately."""
    if len(loc) >= 2 and loc[0] in PROCEDURE_LISTS and isinstance(loc[1], int):
        return loc[2:]
    return loc
