"""The contract suite exercises every method of every storage area, on every backend.

Read from the tests' source: a method counts when a test that takes the backend-parametrised
`storage` fixture (tests/conftest.py) calls `storage.<area>.<method>(…)` (or `<x>.<area>.…` on
a storage it opened). The modules below hold those tests; a new area or method fails here
until a contract test calls it.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from storage.base import AREAS

TESTS = Path(__file__).parent
CONTRACT_MODULES = [
    "test_storage_contract.py",
    "test_care.py",
    "test_slips.py",
    "test_report.py",
    "test_worker_storage.py",
]


def area_methods() -> set[tuple[str, str]]:
    return {
        (area, name)
        for area, protocol in AREAS.items()
        for name, member in vars(protocol).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def exercised() -> set[tuple[str, str]]:
    """(area, method) called by tests that run on every backend."""
    found: set[tuple[str, str]] = set()
    for module in CONTRACT_MODULES:
        path = TESTS / module
        if not path.exists():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.AsyncFunctionDef) or not node.name.startswith("test_"):
                continue
            if "storage" not in {arg.arg for arg in node.args.args}:
                continue
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Attribute)
                ):
                    found.add((call.func.value.attr, call.func.attr))
    return found


def test_every_area_method_is_exercised_by_the_contract_suite() -> None:
    missing = sorted(area_methods() - exercised())
    assert missing == [], f"storage methods no contract test calls: {missing}"


def test_the_check_sees_the_areas() -> None:
    """The scan itself: it finds methods, and a name no test calls is reported."""
    methods = area_methods()
    assert ("outbox", "claim_due") in methods and ("chats", "forget_chat") in methods
    assert len(methods) > 100
    assert ("outbox", "no_such_method") not in exercised()
