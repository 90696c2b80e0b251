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


def test_top_level_all_is_the_union_of_the_layers_all_without_repeats() -> None:
    import wintersockets
    import wintersockets.connector
    import wintersockets.errors
    import wintersockets.socket

    exported = wintersockets.__all__
    assert len(exported) == len(set(exported))
    layers = [*wintersockets.connector.__all__, *wintersockets.errors.__all__]
    layers += wintersockets.socket.__all__
    assert sorted(exported) == sorted(layers)
    for name in exported:
        assert getattr(wintersockets, name) is not None


def test_the_transport_layer_exports_nothing() -> None:
    import wintersockets.transport

    assert wintersockets.transport.__all__ == []
