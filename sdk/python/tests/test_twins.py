"""Client and AsyncClient are twins: the same methods, arguments and documentation,
and so are their wait loops. Client is written from AsyncClient
(scripts/write_sync_client.py; the gencheck env fails when it is out of date): these
tests say what that promises."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import openvcluster
from openvcluster._async import wait_loops as async_loops
from openvcluster._sync import wait_loops as sync_loops


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
        assert inspect.getdoc(ours) == inspect.getdoc(theirs), name


def test_the_wait_loops_are_twins() -> None:
    def functions(module: ModuleType) -> dict[str, list[str]]:
        return {
            name: list(inspect.signature(f).parameters)
            for name, f in vars(module).items()
            if inspect.isfunction(f) and f.__module__ == module.__name__
        }

    ours, theirs = functions(sync_loops), functions(async_loops)
    assert ours == theirs
    assert all(inspect.iscoroutinefunction(getattr(async_loops, name)) for name in theirs)


def test_the_constructors_take_one_list_of_settings_and_refuse_others() -> None:
    clients = (openvcluster.Client, openvcluster.AsyncClient)
    sync, aio = (inspect.signature(client.__init__) for client in clients)
    assert list(sync.parameters) == list(aio.parameters)
    assert list(sync.parameters) == ["self", "endpoint", "channel", "settings"]
    assert sync.parameters["settings"].annotation == "Unpack[ClientSettings]"
    for client in clients:
        with pytest.raises(TypeError, match="unexpected keyword argument 'tokn'"):
            client("127.0.0.1:1", tokn="secret")  # type: ignore[call-arg]
