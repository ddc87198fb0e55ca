"""config.wiring is the one place where startup connects what no import shows: every hook is filled
as it declares, and nothing else registers a callback, a signal receiver or a system check."""

import ast
import weakref
from pathlib import Path

import pytest
from django.core.checks.registry import registry

from config import wiring

ROOT = Path(__file__).resolve().parent.parent.parent
LAYERS = ("core", "accounts", "destinations", "mapper", "executor", "config")
HOOK_NAMES = {hook.where.rsplit(".", 1)[1] for hook in wiring.HOOKS}
# Where startup calls wiring.connect: the app on top, once the apps are ready.
STARTS_THE_WIRING = ("executor/apps.py", "wiring.connect")


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8")))
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "migrations" not in path.parts and path != ROOT / "config" / "wiring.py"
    ]


@pytest.mark.parametrize("hook", wiring.HOOKS, ids=lambda hook: hook.where)
def test_each_hook_is_filled_after_startup_with_exactly_what_wiring_declares(hook: wiring.Hook) -> None:
    assert hook.fillers
    assert hook.callbacks == list(hook.fillers)


def test_every_list_of_callbacks_a_module_keeps_is_declared_as_a_hook() -> None:
    kept = set()
    for relative, tree in _modules():
        module = relative.removesuffix(".py").replace("/", ".")
        for node in tree.body:
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and "Callable" in ast.unparse(node.annotation)
                and ast.unparse(node.annotation).startswith("list[")
            ):
                kept.add(f"{module}.{node.target.id}")
    assert kept == {hook.where for hook in wiring.HOOKS}


def test_nothing_outside_wiring_registers_a_callback_a_receiver_or_a_check() -> None:
    behind_its_back = []
    for relative, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    name = ast.unparse(decorator.func if isinstance(decorator, ast.Call) else decorator)
                    if name.rsplit(".", 1)[-1] in {"receiver", "register"}:
                        behind_its_back.append((relative, node.name))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if node.func.attr == "connect" or (
                    node.func.attr in {"append", "extend", "insert"}
                    and (owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")) in HOOK_NAMES
                ):
                    behind_its_back.append((relative, ast.unparse(node.func)))
    assert [found for found in behind_its_back if found != STARTS_THE_WIRING] == []


@pytest.mark.parametrize("declared", wiring.RECEIVERS, ids=lambda receiver: receiver.dispatch_uid)
def test_each_receiver_is_connected_once(declared: wiring.Receiver) -> None:
    sync, _ = declared.signal._live_receivers(declared.sender)
    assert sync.count(declared.receiver) == 1


def test_the_only_receivers_of_relay_code_are_those_wiring_declares() -> None:
    connected = set()
    for signal in {receiver.signal for receiver in wiring.RECEIVERS}:
        for _, reference, *_ in signal.receivers:
            function = reference() if isinstance(reference, weakref.ref) else reference
            if getattr(function, "__module__", "").split(".")[0] in LAYERS:
                connected.add(function)
    assert connected == {receiver.receiver for receiver in wiring.RECEIVERS}


@pytest.mark.parametrize("declared", wiring.CHECKS, ids=lambda check: check.check.__name__)
def test_each_system_check_is_registered(declared: wiring.Check) -> None:
    registered = registry.deployment_checks if declared.deploy else registry.registered_checks
    assert declared.check in registered


def test_connecting_again_changes_nothing() -> None:
    before = (
        [list(hook.callbacks) for hook in wiring.HOOKS],
        [len(receiver.signal.receivers) for receiver in wiring.RECEIVERS],
    )
    wiring.connect()
    after = (
        [list(hook.callbacks) for hook in wiring.HOOKS],
        [len(receiver.signal.receivers) for receiver in wiring.RECEIVERS],
    )
    assert after == before
