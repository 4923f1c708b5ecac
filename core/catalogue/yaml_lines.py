"""Read YAML while remembering the line of every key and item.

PyYAML's `safe_load` forgets where values came from and silently keeps the last of two equal keys.
An officer editing a 3,000-line catalogue needs "dòng 214", and a duplicated key is almost always a
mistake, so we compose the node tree ourselves and record both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, column: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.column = column
        self.problem = problem


def load_located(text: str) -> LocatedYaml:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        result = LocatedYaml(data=None)
        if root is not None:
            result.data = _build(loader, root, (), result)
        return result
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            str(exc.problem or exc.context or exc),
        ) from exc
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
