"""scripts/check-generated notices stale and missing generated files."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GO_CODE = "sdk/go/gen/openvcluster/v1/vcluster.pb.go"
VECTOR = "conformance/vectors/watch_deleted.json"


def run(command: list[str], cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def tree(tmp_path: pathlib.Path) -> pathlib.Path:
    """A git copy of this working tree, sharing the installed plugins."""
    files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], ROOT)
    for name in filter(None, files.stdout.split("\0")):
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tmp_path / name)
    for installed in (".tools", "sdk/typescript/node_modules", "portal/node_modules"):
        os.symlink(ROOT / installed, tmp_path / installed)
    run(["git", "init", "-q"], tmp_path)
    return tmp_path


def test_clean_tree_passes(tree: pathlib.Path) -> None:
    result = run(["scripts/check-generated"], tree)
    assert result.returncode == 0, result.stderr


def test_edited_and_missing_files_fail_and_are_regenerated(tree: pathlib.Path) -> None:
    original = (tree / GO_CODE).read_text()
    (tree / GO_CODE).write_text(original + "// edited by hand\n")
    (tree / VECTOR).unlink()

    result = run(["scripts/check-generated"], tree)
    assert result.returncode == 1
    assert GO_CODE in result.stderr and VECTOR in result.stderr

    # The regenerated files are left in place, so a second run passes.
    assert (tree / GO_CODE).read_text() == original
    assert (tree / VECTOR).exists()
    assert run(["scripts/check-generated"], tree).returncode == 0
