"""The public API is declared once: each package's ``__all__`` is its modules' union."""

from __future__ import annotations

import importlib
import pkgutil

import wintersockets.streams


def _module_exports(package: str, *, public_only: bool) -> list[str]:
    pkg = importlib.import_module(package)
    names: list[str] = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("__"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        exported = getattr(module, "__all__", [])
        if public_only and info.name.startswith("_"):
            continue
        names.extend(exported)
    return names


def test_streams_all_is_the_union_of_its_modules_all_without_repeats() -> None:
    exported = wintersockets.streams.__all__
    assert len(exported) == len(set(exported))
    modules = _module_exports("wintersockets.streams", public_only=False)
    assert sorted(exported) == sorted(modules)


def test_every_streams_export_is_importable() -> None:
    for name in wintersockets.streams.__all__:
        assert getattr(wintersockets.streams, name) is not None
