"""The Python column of the name table (sdk/names.json) holds in code, and the
table in sdk/README.md is the one names.json gives.

``python sdk/python/tests/test_names.py`` rewrites the README's table from
names.json and the proto's services; scripts/generate runs it.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pool

import openvcluster
from openvcluster._base import ClientSettings
from openvcluster.v1 import (
    monitor_service_pb2,
    operation_service_pb2,
    server_info_service_pb2,
    snapshot_service_pb2,
    vcluster_service_pb2,
)

SDK = Path(__file__).resolve().parents[2]
NAMES = SDK / "names.json"
README = SDK / "README.md"
BEGIN = "<!-- names.json: begin"
END = "<!-- names.json: end -->"
SDKS = ("python", "typescript", "go")
LABELS = {"python": "Python", "typescript": "TypeScript", "go": "Go"}

# `Client(token=)`, `Client.get_vcluster(timeout=)`: a parameter.
_PARAMETER = re.compile(r"^(?P<target>[A-Za-z_][\w.]*)\((?P<parameter>\w+)=\)$")
_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(NAMES.read_text(encoding="utf-8"))
    return data


def rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows, each {"rpcs": [services]} row replaced by one row per
    RPC of those services: its name in each language's style, or rpc_names'."""
    expanded = []
    for row in data["rows"]:
        if "rpcs" not in row:
            expanded.append(row)
            continue
        for service_name in row["rpcs"]:
            service = descriptor_pool.Default().FindServiceByName(service_name)
            for method in service.methods:
                snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", method.name).lower()
                camel = method.name[0].lower() + method.name[1:]
                names = {
                    "python": [f"Client.{snake}"],
                    "typescript": [f"VClusterClient.{camel}"],
                    "go": [f"Client.{method.name}"],
                }
                names.update(data["rpc_names"].get(method.name, {}))
                expanded.append({"group": service.name, "concept": method.name, **names})
    return expanded


def python_names() -> list[str]:
    return sorted({name for row in rows(load()) for name in row["python"]})


# Resolving a name


class _Attribute:
    """An instance attribute: it exists, but there is nothing to look into."""


def _instance_attribute(cls: type, name: str) -> bool:
    if dataclasses.is_dataclass(cls) and name in {f.name for f in dataclasses.fields(cls)}:
        return True
    for klass in cls.__mro__:
        if name in getattr(klass, "__annotations__", {}):
            return True
        init = vars(klass).get("__init__")
        assigned = rf"\bself\.{name}\s*[:=]"
        if inspect.isfunction(init) and re.search(assigned, inspect.getsource(init)):
            return True
    return False


def resolve(path: str) -> Any:
    """The object a dotted name from the ``openvcluster`` module names; an
    AssertionError saying which part is missing otherwise."""
    assert _NAME.match(path), f"{path!r} is not a name"
    obj: Any = openvcluster
    done = "openvcluster"
    for part in path.split("."):
        assert not isinstance(obj, _Attribute), f"{done} is an instance attribute"
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, type) and _instance_attribute(obj, part):
            obj = _Attribute()
        else:
            raise AssertionError(f"{done} has no {part!r}")
        done += "." + part
    return obj


def check(name: str) -> None:
    match = _PARAMETER.match(name)
    if match is None:
        resolve(name)
        return
    target = resolve(match["target"])
    assert match["parameter"] in parameters_of(target), (
        f"{match['target']} takes no {match['parameter']}="
    )


def parameters_of(target: Any) -> set[str]:
    """The keyword names a callable takes, those of its ``**settings:
    Unpack[ClientSettings]`` included (the clients' constructors)."""
    names = set()
    for parameter in inspect.signature(target).parameters.values():
        if parameter.kind is not parameter.VAR_KEYWORD:
            names.add(parameter.name)
        elif parameter.annotation == "Unpack[ClientSettings]":
            names |= set(ClientSettings.__annotations__)
    return names


# The Python column


@pytest.mark.parametrize("name", python_names())
def test_python_name_exists(name: str) -> None:
    check(name)


@pytest.mark.parametrize("name", [n for n in python_names() if n.startswith("Client.")])
def test_async_client_has_it_too(name: str) -> None:
    check("AsyncClient." + name.removeprefix("Client."))


DEPRECATED = [d for d in load()["deprecated"] if d["sdk"] == "python"]


def test_every_client_method_and_property_is_in_the_table() -> None:
    """So a new one gets its name in the table (and its twins elsewhere)."""
    listed = {m["member"] for n in python_names() if (m := re.match(r"Client\.(?P<member>\w+)", n))}
    listed |= {d["old"].removeprefix("Client.") for d in DEPRECATED}
    public = {name for name in dir(openvcluster.Client) if not name.startswith("_")}
    assert sorted(public - listed) == []


@pytest.mark.parametrize("entry", DEPRECATED, ids=[d["old"] for d in DEPRECATED])
def test_deprecated_python_name_warns_and_means_the_new_one(entry: dict[str, str]) -> None:
    old, new = entry["old"], entry["new"]
    check(new)
    if "." not in old:
        with pytest.warns(DeprecationWarning, match=re.escape(new)):
            value = getattr(openvcluster, old)
        assert value is resolve(new)
        return
    owner, member = old.split(".")
    assert owner in ("Client", "AsyncClient"), f"no check for {old}"
    client = getattr(openvcluster, owner)("127.0.0.1:1")  # connects at the first call only
    with pytest.warns(DeprecationWarning, match=re.escape(new.split(".")[-1])):
        value = getattr(client, member)
    assert value == getattr(client, new.split(".")[-1])


def test_a_missing_name_is_found_missing() -> None:
    for name in ("Client.get_vcluster_kubeconfig", "Client(endpoint_url=)", "NoSuchError"):
        with pytest.raises(AssertionError):
            check(name)


# The table itself


def test_every_row_names_something_or_says_what_stands_in() -> None:
    data = load()
    assert set(data) == {"about", "rows", "rpc_names", "deprecated"}
    for row in rows(data):
        assert set(row) <= {"group", "concept", *SDKS, *(f"{sdk}_note" for sdk in SDKS)}, row
        for sdk in SDKS:
            names = row[sdk]
            assert isinstance(names, list) and all(isinstance(n, str) for n in names), row
            assert names or row.get(f"{sdk}_note"), f"{row['concept']}: no {sdk} name nor note"
        text = json.dumps(row)
        assert "|" not in text, f"{row['concept']}: '|' would break the Markdown table"


def test_every_rpc_has_a_row() -> None:
    """Every service of the API is in the rpcs row, so each of its RPCs is."""
    (listed,) = [row["rpcs"] for row in load()["rows"] if "rpcs" in row]
    services = [
        service.full_name
        for module in (
            vcluster_service_pb2,
            snapshot_service_pb2,
            monitor_service_pb2,
            operation_service_pb2,
            server_info_service_pb2,
        )
        for service in module.DESCRIPTOR.services_by_name.values()
    ]
    assert sorted(listed) == sorted(services)
    concepts = {row["concept"] for row in rows(load())}
    assert set(load()["rpc_names"]) <= concepts, "rpc_names names an RPC no service has"


def _cell(row: dict[str, Any], sdk: str) -> str:
    names = ", ".join(f"`{name}`" for name in row[sdk])
    note = row.get(f"{sdk}_note", "")
    if not names:
        return f"— {note}" if note else "—"
    return f"{names} ({note})" if note else names


def render(data: dict[str, Any]) -> str:
    """The Markdown of names.json: the table, then the deprecated names."""
    lines = [
        "| area | concept | Python | TypeScript | Go |",
        "| --- | --- | --- | --- | --- |",
    ]
    group = None
    for row in rows(data):
        area = f"**{row['group']}**" if row["group"] != group else ""
        group = row["group"]
        cells = [area, row["concept"], *(_cell(row, sdk) for sdk in SDKS)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Deprecated names, kept for one release (`CHANGELOG.md`, 0.2.0):", ""]
    for sdk in SDKS:
        entries = [d for d in data["deprecated"] if d["sdk"] == sdk]
        if entries:
            pairs = ", ".join(f"`{d['old']}` → `{d['new']}`" for d in entries)
            lines.append(f"- {LABELS[sdk]}: {pairs}")
    return "\n".join(lines) + "\n"


def _split(readme: str) -> tuple[str, str, str]:
    start = readme.index(BEGIN)
    body = readme.index("\n", start) + 1
    end = readme.index(END, body)
    return readme[:body], readme[body:end], readme[end:]


def test_the_readme_table_is_names_json() -> None:
    _, table, _ = _split(README.read_text(encoding="utf-8"))
    expected = render(load())
    if table != expected:
        pytest.fail(
            "sdk/README.md's table differs from sdk/names.json; run "
            "`.venv/bin/tox run -e generate` to rewrite it. Expected:\n\n" + expected,
            pytrace=False,
        )


def write_readme() -> None:
    head, _, tail = _split(README.read_text(encoding="utf-8"))
    README.write_text(head + render(load()) + tail, encoding="utf-8")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_readme()
    sys.stdout.write(f"wrote the name table of {README}\n")
