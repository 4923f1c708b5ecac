"""Read YAML while remembering the line of every key and item.

PyYAML's `safe_load` forgets where values came from and silently keeps the last of two equal keys.
An officer editing a 3,000-line catalogue needs "dòng 214", and a duplicated key is almost always a
mistake, so we compose the node tree ourselves and record both.

Hostile files are refused cheaply (issue 15: a 368-byte file of nested aliases, "billion
laughs", took `check-catalogue` to 13.4 GB; a 65 MB ordinary file took 143 s and 5.8 GB):
- `read_limited` reads at most `max_bytes` (+1) of a file, so a file over the limit (setting
  `MOTCUA_CATALOGUE_MAX_BYTES`, 5 MiB) is refused before it is parsed at all, whatever
  `stat` says (a pipe, /dev/zero).
- While the node tree is composed, every alias adds the size of what it stands for; past
  `MAX_ALIAS_NODES` added nodes (or an alias of a node that contains it) the file is refused,
  before anything is built from the tree. Composing is linear in the file; building is what
  aliases make exponential. Aliases that reuse a list of documents a few times stay far below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class LocatedYaml:
    data: Any
    # Path of keys and indexes → 1-based line where that key (or list item) starts.
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path_, int, int]] = field(default_factory=list)  # path, line, first

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


UNCLOSED_QUOTE = "dấu ngoặc kép mở ở dòng này chưa được đóng"

# PyYAML's words for the usual mistakes, said for the officer who has to fix the line.
_PROBLEMS = (
    ("found character '\\t'", "có ký tự Tab; YAML chỉ thụt lề bằng dấu cách"),
    (
        "mapping values are not allowed",
        "dấu “:” không đúng chỗ (giá trị có dấu “:” thì đặt trong ngoặc kép)",
    ),
    ("expected <block end>", "thụt lề không khớp với các dòng trên (hoặc thiếu dấu “-” đầu mục)"),
    (
        "did not find expected key",
        "thụt lề không khớp với các dòng trên (hoặc thiếu dấu “-” đầu mục)",
    ),
    ("did not find expected '-' indicator", "thiếu dấu “-” ở đầu mục của danh sách"),
    ("could not find expected ':'", "thiếu dấu “:” sau tên trường"),
    ("found unexpected end of stream", "dấu ngoặc kép hoặc ngoặc vuông chưa được đóng"),
    ("found undefined alias", "dấu “*” ở đầu giá trị: đặt giá trị trong ngoặc kép"),
    (
        "expected alphabetic or numeric character",
        "dấu “&” hoặc “*” ở đầu giá trị: đặt giá trị trong ngoặc kép",
    ),
    ("found character '@'", "dấu “@” hoặc “`” ở đầu giá trị: đặt giá trị trong ngoặc kép"),
    ("found character '`'", "dấu “@” hoặc “`” ở đầu giá trị: đặt giá trị trong ngoặc kép"),
    ("expected ',' or ']'", "danh sách trong ngoặc vuông thiếu dấu “,” hoặc “]”"),
    ("expected ',' or '}'", "thiếu dấu “,” hoặc “}”"),
    ("found unknown escape character", "dấu “\\” trong ngoặc kép: viết “\\\\” hoặc dùng ngoặc đơn"),
)


def explain_yaml_problem(problem: str) -> str:
    """PyYAML's English → what is wrong, in Vietnamese."""
    for needle, meaning in _PROBLEMS:
        if needle in problem:
            return meaning
    return "tệp không đọc được ở chỗ này; kiểm tra thụt lề, dấu “:”, dấu “-” và ngoặc kép"


def _unclosed_quote(text: str, first: int, last: int) -> int | None:
    """The first line in [first, last) whose value opens a double quote it does not close."""
    lines = text.splitlines()
    for number in range(first, min(last, len(lines) + 1)):
        content = lines[number - 1].split(" #", 1)[0]
        _, sep, value = content.partition(": ")
        value = value.strip() if sep else content.strip().removeprefix("- ").strip()
        if value.startswith('"') and (value.count('"') - value.count('\\"')) % 2 == 1:
            return number
    return None


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, column: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.column = column
        self.problem = problem


class YamlRefused(YamlSyntaxError):
    """Well-formed, perhaps, but refused unread or unbuilt: too big, or too many aliases. The
    `problem` is a whole sentence in Vietnamese for the officer."""


DEFAULT_MAX_BYTES = 5 * 2**20
# What aliases may add to the tree, in nodes (a node: one key, value or list item). Reusing a
# 20-document list in 100 procedures adds about 6,000.
MAX_ALIAS_NODES = 20_000


def read_limited(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The file as text, refused (YamlRefused) past `max_bytes` without reading further.
    Raises FileNotFoundError, UnicodeDecodeError and other OSErrors as `read_text` does."""
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlRefused(
            None,
            None,
            f"tệp lớn hơn giới hạn {_megabytes(max_bytes)} (MOTCUA_CATALOGUE_MAX_BYTES): bot không"
            " đọc tệp này. Danh mục của một xã thường chỉ vài trăm KB; kiểm tra lại đúng tệp chưa.",
        )
    return data.decode("utf-8")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".") + " MB"


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer counts what aliases stand for, and stops past the bound.
    Each finished collection node carries its expanded size (`_EXPANDED`, an attribute: a
    dictionary beside a million-node tree would weigh more than the tree's own growth)."""

    def __init__(self, stream: str, max_alias_nodes: int) -> None:
        super().__init__(stream)
        self.max_alias_nodes = max_alias_nodes
        self.alias_nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            if isinstance(node, yaml.CollectionNode) and not hasattr(node, _EXPANDED):
                raise YamlRefused(  # the anchored node is still being composed: it holds itself
                    mark.line + 1,
                    mark.column + 1,
                    "bí danh (*) trỏ vào chính nhóm chứa nó: tệp lặp vô hạn, bot không đọc.",
                )
            self.alias_nodes += _expanded(node) if node is not None else 1
            if self.alias_nodes > self.max_alias_nodes:
                raise YamlRefused(
                    mark.line + 1,
                    mark.column + 1,
                    f"tệp dùng bí danh (&, *) nhân lên quá {self.max_alias_nodes:_} mục: bot"
                    " không đọc tệp này. Viết thẳng nội dung thay cho bí danh.".replace("_", "."),
                )
            return node
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.MappingNode):
            size = 1 + sum(_expanded(key) + _expanded(value) for key, value in node.value)
            setattr(node, _EXPANDED, size)
        elif isinstance(node, yaml.SequenceNode):
            setattr(node, _EXPANDED, 1 + sum(_expanded(item) for item in node.value))
        return node


_EXPANDED = "motcua_expanded_size"


def _expanded(node: yaml.Node) -> int:
    return int(getattr(node, _EXPANDED, 1))


def load_located(text: str, max_alias_nodes: int = MAX_ALIAS_NODES) -> LocatedYaml:
    loader = _BoundedLoader(text, max_alias_nodes)
    try:
        root = loader.get_single_node()
        result = LocatedYaml(data=None)
        if root is not None:
            result.data = _build(loader, root, (), result)
        return result
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = explain_yaml_problem(str(exc.problem or exc.context or exc))
        # An unclosed quote swallows the lines after it and the parser stumbles much later:
        # point at the line where the quote was opened, which is the one to fix.
        start = exc.context_mark.line + 1 if exc.context_mark else 1
        if line is not None and (opened := _unclosed_quote(text, start, line)) is not None:
            line, column, problem = opened, None, UNCLOSED_QUOTE
        raise YamlSyntaxError(line, column, problem) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, None, str(exc)) from exc
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, out: LocatedYaml) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves "<<" merge keys like safe_load does
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                key = str(key)
            key_path = (*path, key)
            key_line = key_node.start_mark.line + 1
            if key in mapping:
                out.duplicate_keys.append((key_path, key_line, out.lines[key_path]))
                continue
            out.lines[key_path] = key_line
            mapping[key] = _build(loader, value_node, key_path, out)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, index), out) for index, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
