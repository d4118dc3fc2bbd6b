"""Writes the Python SDK's synchronous Client and its wait loops from the asyncio ones.

openvcluster/_async holds AsyncClient and its wait loops, written by hand;
this script writes openvcluster/_sync from them with unasync (async and await
dropped, asyncio names swapped for their synchronous twins), then formats the
result with ruff. The two clients therefore cannot drift: a method, argument
or docstring exists in both or in neither. Run by scripts/generate.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import unasync

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sdk" / "python" / "src" / "openvcluster"
SOURCE, TARGET = PACKAGE / "_async", PACKAGE / "_sync"
MODULES = ("client.py", "wait_loops.py")

# Names whose synchronous twin is another name (unasync itself swaps
# __aenter__, __aexit__, StopAsyncIteration and the like).
TWINS = {
    "AsyncClient": "Client",
    "AsyncPager": "Pager",
    "AsyncWatch": "Watch",
    "ainvoke": "invoke",
    "anext": "next",
    "asyncio": "time",
    "_async": "_sync",
}
# What unasync cannot swap name by name: grpc.aio's classes are grpc's, and
# the generated AsyncStub types of each service have a Stub twin.
REWRITES = (
    (re.compile(r"\bgrpc\.aio\."), "grpc."),
    (re.compile(r"\b(\w+Service)AsyncStub\b"), r"\1Stub"),
)
_MODULE_DOCSTRING = re.compile(r'\A"""(.*?)"""', re.DOTALL)
PACKAGE_DOC = (
    '"""Client and its wait loops, written from openvcluster/_async by\n'
    'scripts/write_sync_client.py. DO NOT EDIT."""\n'
)


def header(module: str) -> str:
    """The docstring of a written module: where it comes from."""
    return (
        f'"""The synchronous twin of openvcluster/_async/{module}, written from it\n'
        "by scripts/write_sync_client.py. DO NOT EDIT: change the asyncio source\n"
        'and regenerate."""'
    )


def main() -> int:
    rule = unasync.Rule(f"{SOURCE}/", f"{TARGET}/", additional_replacements=TWINS)
    sources = [str(SOURCE / module) for module in MODULES]
    unasync.unasync_files(sources, rules=[rule])
    written = [TARGET / module for module in MODULES]
    for path, module in zip(written, MODULES, strict=True):
        text = path.read_text()
        for pattern, replacement in REWRITES:
            text = pattern.sub(replacement, text)
        text, found = _MODULE_DOCSTRING.subn(header(module), text, count=1)
        if not found:
            raise SystemExit(f"{SOURCE / module}: no module docstring to replace")
        path.write_text(text)
    (TARGET / "__init__.py").write_text(PACKAGE_DOC)
    files = [str(path) for path in [*written, TARGET / "__init__.py"]]
    # Shorter lines after "await " went, and other import names: what ruff
    # would ask of a hand-written file.
    subprocess.run(["ruff", "check", "--quiet", "--fix", *files], cwd=ROOT, check=True)
    subprocess.run(["ruff", "format", "--quiet", *files], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
