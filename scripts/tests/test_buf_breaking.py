"""`tox -e breaking` catches incompatible API changes against the baseline."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASELINE = "proto/baseline/openvcluster-v1.binpb"
VCLUSTER_PROTO = "proto/openvcluster/v1/vcluster.proto"


@pytest.fixture
def workspace(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of the buf workspace to edit."""
    shutil.copy(ROOT / "buf.yaml", tmp_path / "buf.yaml")
    shutil.copytree(ROOT / "proto", tmp_path / "proto")
    shutil.copytree(ROOT / "third_party", tmp_path / "third_party")
    return tmp_path


def buf_breaking(workspace: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["buf", "breaking", "proto", "--against", BASELINE],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )


def edit(workspace: pathlib.Path, old: str, new: str) -> None:
    path = workspace / VCLUSTER_PROTO
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_current_api_is_compatible(workspace: pathlib.Path) -> None:
    result = buf_breaking(workspace)
    assert result.returncode == 0, result.stdout + result.stderr


def test_renamed_field_is_breaking(workspace: pathlib.Path) -> None:
    edit(workspace, "string etag = 9;", "string version_tag = 9;")
    result = buf_breaking(workspace)
    assert result.returncode != 0
    assert 'changed name from "etag" to "version_tag"' in result.stdout


def test_changed_field_type_is_breaking(workspace: pathlib.Path) -> None:
    edit(workspace, "int32 pod_count = 3;", "int64 pod_count = 3;")
    result = buf_breaking(workspace)
    assert result.returncode != 0
    assert "pod_count" in result.stdout


def test_added_field_is_compatible(workspace: pathlib.Path) -> None:
    edit(
        workspace, "string etag = 9;", "string etag = 9;\n\n  // A new field.\n  string zone = 10;"
    )
    result = buf_breaking(workspace)
    assert result.returncode == 0, result.stdout + result.stderr
