"""The README's curl examples of the HTTP port work as written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from openvcluster_server.testing import running_server

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Over HTTP"
DEFAULT = "http://127.0.0.1:8080"


def _curl_block() -> str:
    text = README.read_text()
    section = text[text.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the HTTP section has no sh block"
    return block.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_readme_curl_examples_answer_as_it_says() -> None:
    script = _curl_block()
    assert script.count("curl ") == 4
    with running_server() as server:
        run = script.replace(DEFAULT, server.http_url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", run],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    created, got, listed, refused = _answers(done.stdout)
    assert created["vcluster"]["status"]["phase"] == "PHASE_PROVISIONING"
    assert got["vcluster"]["uid"] == created["vcluster"]["uid"]
    assert [vc["name"] for vc in listed["vclusters"]] == ["web"]
    assert refused["code"] == "invalid_argument"
    assert refused["details"][0]["type"] == "google.rpc.BadRequest"


def _answers(output: str) -> list[dict[str, Any]]:
    """The JSON documents curl printed one after another."""
    decoder = json.JSONDecoder()
    answers, position = [], 0
    while output[position:].strip():
        position += len(output[position:]) - len(output[position:].lstrip())
        answer, position = decoder.raw_decode(output, position)
        answers.append(answer)
    return answers
