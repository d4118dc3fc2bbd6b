"""Builds every artefact of a release into one folder and checks each installs.

    python scripts/release_artefacts.py OUT

For the version in VERSION, OUT receives:

- the Python SDK and the server as wheels and sdists (``uv build``: the
  wheel is built from the sdist, so a file missing from the sdist fails here);
- the TypeScript SDK as the tarball ``npm pack`` makes;
- ``go-module.txt``: the Go module path and the tag that releases it
  (``sdk/go/vX.Y.Z``: a module in a subdirectory is tagged with its path).

Then each is installed the way the SDK READMEs say, into a clean place: the
wheels, and separately the sdists, into a new virtual environment (ovc and
openvcluster-server must start); the tarball into a new npm project (the
client must import); the Go module into a new module through a ``replace``
of its path (a program using it must build). Any failure exits non-zero
with the command's output.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GO_MODULE = "github.com/turtacn/open-vcluster-api/sdk/go"
_GO_PROGRAM = """package main

import (
\t"fmt"

\topenvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

func main() {
\tclient, err := openvcluster.New("127.0.0.1:50051")
\tif err != nil {
\t\tpanic(err)
\t}
\tdefer client.Close()
\tfmt.Println("ok")
}
"""


class ArtefactError(Exception):
    """A build or install step failed; the message holds its output."""


def run(command: list[str], cwd: Path) -> str:
    """Runs one step; its output when it succeeds, ArtefactError when not."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ArtefactError(
            f"{' '.join(command)} (in {cwd}) exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout


def _uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".venv" / "bin" / "uv")
    if not Path(found).exists():
        raise ArtefactError("uv not found: run scripts/bootstrap first")
    return found


def build(out: Path, version: str) -> None:
    """Writes every artefact of ``version`` into ``out``."""
    for package in ("sdk/python", "server"):
        run([_uv(), "build", "--quiet", "--out-dir", str(out), package], ROOT)
    run(["npm", "pack", "--silent", "--pack-destination", str(out)], ROOT / "sdk" / "typescript")
    (out / "go-module.txt").write_text(f"{GO_MODULE} sdk/go/v{version}\n")


def check_python(out: Path, version: str, work: Path, *, from_sdists: bool) -> None:
    venv = work / ("venv-sdist" if from_sdists else "venv-wheel")
    run([sys.executable, "-m", "venv", str(venv)], work)
    python = str(venv / "bin" / "python")
    # pip keeps the wheels it builds from an sdist under the sdist's path, so
    # it installs from a copy at a path of this run's own: a build of an
    # earlier tree at the same path must never stand in for this one.
    local = work / ("sdists" if from_sdists else "wheels")
    shutil.copytree(out, local)
    command = [python, "-m", "pip", "install", "--quiet", "--find-links", str(local)]
    if from_sdists:
        command += ["--no-binary", "open-vcluster-api,open-vcluster-api-server"]
    command += [f"open-vcluster-api[cli]=={version}", f"open-vcluster-api-server=={version}"]
    run(command, work)
    installed = run([python, "-c", "import openvcluster; print(openvcluster.__version__)"], work)
    if installed.strip() != version:
        raise ArtefactError(f"the installed SDK says version {installed.strip()}, not {version}")
    run([str(venv / "bin" / "ovc"), "--help"], work)
    run([str(venv / "bin" / "openvcluster-server"), "serve", "--help"], work)
    # The portal is built into the server package: pip install needs no Node.
    portal = (
        "from openvcluster_server.http.portal import portal_files; print(sorted(portal_files()))"
    )
    if "'/app.js'" not in run([python, "-c", portal], work):
        raise ArtefactError("the installed server holds no portal (http/generated/portal)")


def check_npm(out: Path, version: str, work: Path) -> None:
    (tarball,) = out.glob("*.tgz")
    app = work / "npm-app"
    app.mkdir()
    (app / "package.json").write_text(
        json.dumps({"name": "app", "private": True, "type": "module"})
    )
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", str(tarball)], app)
    script = (
        'import("@open-vcluster/sdk").then((m) => { new m.VClusterClient().close();'
        " console.log(typeof m.VClusterClient); })"
    )
    if run(["node", "--input-type=module", "-e", script], app).strip() != "function":
        raise ArtefactError("the installed npm package has no VClusterClient")
    manifest = json.loads((app / "node_modules/@open-vcluster/sdk/package.json").read_text())
    if manifest["version"] != version:
        raise ArtefactError(f"the tarball says version {manifest['version']}, not {version}")


def check_go(work: Path) -> None:
    module = work / "go-app"
    module.mkdir()
    (module / "main.go").write_text(_GO_PROGRAM)
    run(["go", "mod", "init", "example.com/app"], module)
    run(["go", "mod", "edit", f"-replace={GO_MODULE}={ROOT / 'sdk' / 'go'}"], module)
    run(["go", "mod", "tidy"], module)
    run(["go", "build", "-o", str(module / "app"), "."], module)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/release_artefacts.py")
    parser.add_argument("out", type=Path, help="the folder for the artefacts (made if missing)")
    args = parser.parse_args(argv)
    version = (ROOT / "VERSION").read_text().strip()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        print(f"{out} is not empty", file=sys.stderr)
        return 2
    try:
        build(out, version)
        with tempfile.TemporaryDirectory(prefix="ovc-release-check-") as tmp:
            work = Path(tmp)
            check_python(out, version, work, from_sdists=False)
            check_python(out, version, work, from_sdists=True)
            check_npm(out, version, work)
            check_go(work)
    except ArtefactError as exc:
        print(f"release artefacts: {exc}", file=sys.stderr)
        return 1
    for artefact in sorted(out.glob("[!.]*")):  # uv adds a .gitignore
        print(f"  {artefact.name}")
    print(f"release {version}: every artefact above is in {out} and installs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
