"""Client and AsyncClient are twins: the same methods, arguments and documentation,
and so are their wait loops."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import openvcluster
from openvcluster import _wait_async, _wait_sync

# Docstrings that say how to iterate or leave a block, which differs with async.
_ASYNC_WORDING = {"watch_vclusters"}


def _public(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n)))


def test_the_clients_have_the_same_methods_arguments_and_docs() -> None:
    sync, aio = openvcluster.Client, openvcluster.AsyncClient
    assert _public(sync) == _public(aio)
    for name in _public(sync):
        ours, theirs = getattr(sync, name), getattr(aio, name)
        params = [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]
        others = [
            (p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()
        ]
        assert params == others, name
        if name not in _ASYNC_WORDING:
            assert inspect.getdoc(ours) == inspect.getdoc(theirs), name


def test_the_wait_loops_are_twins() -> None:
    def functions(module: ModuleType) -> dict[str, list[str]]:
        return {
            name: list(inspect.signature(f).parameters)
            for name, f in vars(module).items()
            if inspect.isfunction(f) and f.__module__ == module.__name__
        }

    ours, theirs = functions(_wait_sync), functions(_wait_async)
    assert ours == theirs
    assert all(inspect.iscoroutinefunction(getattr(_wait_async, name)) for name in theirs)


def test_the_constructors_take_one_list_of_settings_and_refuse_others() -> None:
    clients = (openvcluster.Client, openvcluster.AsyncClient)
    sync, aio = (inspect.signature(client.__init__) for client in clients)
    assert list(sync.parameters) == list(aio.parameters)
    assert list(sync.parameters) == ["self", "endpoint", "channel", "settings"]
    assert sync.parameters["settings"].annotation == "Unpack[ClientSettings]"
    for client in clients:
        with pytest.raises(TypeError, match="unexpected keyword argument 'tokn'"):
            client("127.0.0.1:1", tokn="secret")  # type: ignore[call-arg]
