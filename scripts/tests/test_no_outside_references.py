"""No file of the repository points at a shared folder beside the clone.

Such a folder exists on some developer machines only; a user of the
repository has the proto comments, the API reference (docs/api/) and docs/
instead, so every file must point there.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Written as a pattern, so that this file does not match itself.
OUTSIDE = re.compile(rb"\.\./shared")


def repository_files() -> list[str]:
    """Tracked files, and new ones git would pick up (so they fail before a commit)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name.decode() for name in listed.split(b"\0") if name]


def test_no_file_points_outside_the_repository() -> None:
    offenders = []
    for name in repository_files():
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, or a submodule
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.decode(errors='replace').strip()}")
    assert not offenders, (
        "these lines point at a folder outside the repository; point at the proto comments, "
        "docs/api/ or docs/ instead:\n" + "\n".join(offenders)
    )


def test_the_pattern_finds_what_it_should() -> None:
    parent = b".."
    assert OUTSIDE.search(b"see " + parent + b"/shared/design/x.md")
    assert OUTSIDE.search(b"`" + parent + b"/" + parent + b"/shared/x`")
    assert not OUTSIDE.search(b"sdk/shared_code.py")
