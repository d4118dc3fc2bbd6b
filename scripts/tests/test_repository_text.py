"""Lines no file of the repository may hold.

- A pointer at a shared folder beside the clone: such a folder exists on some
  developer machines only; a user of the repository has the proto comments,
  the API reference (docs/api/) and docs/ instead.
- ``npm --prefix DIR``: it makes npm read ``DIR/etc/npmrc`` instead of the
  machine's global npmrc, where a machine behind a TLS-intercepting proxy
  keeps its ``cafile`` and proxy settings; run npm inside ``DIR`` instead.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Written as patterns, so that this file does not match itself.
OUTSIDE = re.compile(rb"\.\./shared")
NPM_PREFIX = re.compile(rb"\bnpm\b[^\n]*?(?<![\w-])--prefix\b")


def repository_files() -> list[str]:
    """Tracked files, and new ones git would pick up (so they fail before a commit)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name.decode() for name in listed.split(b"\0") if name]


def lines_matching(pattern: re.Pattern[bytes]) -> list[str]:
    """``file:line: text`` of every line of the repository (but this file,
    which names what it forbids) the pattern matches."""
    found = []
    for name in repository_files():
        path = ROOT / name
        # Not a file: deleted in the work tree, or a submodule.
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.decode(errors='replace').strip()}")
    return found


def test_no_file_points_outside_the_repository() -> None:
    offenders = lines_matching(OUTSIDE)
    assert not offenders, (
        "these lines point at a folder outside the repository; point at the proto comments, "
        "docs/api/ or docs/ instead:\n" + "\n".join(offenders)
    )


def test_npm_never_runs_with_a_prefix() -> None:
    offenders = lines_matching(NPM_PREFIX)
    assert not offenders, (
        "npm --prefix hides the machine's global npmrc; run npm inside the directory "
        "(cd DIR && npm ...) instead:\n" + "\n".join(offenders)
    )


def test_the_pattern_finds_what_it_should() -> None:
    parent = b".."
    assert OUTSIDE.search(b"see " + parent + b"/shared/design/x.md")
    assert OUTSIDE.search(b"`" + parent + b"/" + parent + b"/shared/x`")
    assert not OUTSIDE.search(b"sdk/shared_code.py")
    prefix = b"--" + b"prefix"
    assert NPM_PREFIX.search(b"npm " + prefix + b" sdk/typescript test")
    assert NPM_PREFIX.search(b"build: [npm, " + prefix + b', "{root}/sdk/typescript", run]')
    assert not NPM_PREFIX.search(b"cd sdk/typescript && npm test")
    assert not NPM_PREFIX.search(b"./configure " + prefix + b"=/usr")
