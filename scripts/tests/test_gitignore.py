"""Building or installing a package from the tree leaves nothing git would pick up."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path",
    [
        "server/build/lib/openvcluster_server/app.py",
        "server/dist/open_vcluster_api_server-0.1.0.tar.gz",
        "server/src/open_vcluster_api_server.egg-info/PKG-INFO",
        "sdk/python/build/lib/openvcluster/_client.py",
        "sdk/python/dist/open_vcluster_api-0.1.0-py3-none-any.whl",
        "sdk/typescript/open-vcluster-sdk-0.1.0.tgz",
        "sdk/typescript/dist/index.js",
    ],
)
def test_build_output_is_ignored(path: str) -> None:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False
    )
    assert result.returncode == 0, f"{path} would show up in git status"
