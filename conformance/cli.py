"""``python -m conformance``: run the cases through every client under test."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from conformance.cases import Case, CaseError, load_cases, select
from conformance.clients import (
    CLIENTS_FILE,
    KNOWN_FAILING_DIR,
    ClientRun,
    ClientSpec,
    build_client,
    known_failing,
    load_clients,
    run_client,
)
from conformance.plan import CaseRun, Endpoint, Environment, Scope, plan
from conformance.report import details, matrix
from conformance.servers import external, managed
from conformance.verdicts import FAIL, PASS, SKIP, Verdict, judge
from k8s_testenv.errors import TestenvError
from openvcluster_server.config import ConfigError

CASES_DIR = Path(__file__).resolve().parent / "cases"


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the suite; 0 when every result is as expected, 1 when not, 2 on bad input."""
    # A SIGTERM (a CI timeout, say) unwinds like Ctrl-C, so the servers and the
    # Kubernetes environment the run started are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = _parser().parse_args(argv)
    try:
        suite = load_cases(args.cases)
        cases = select(suite, args.run, args.skip)
        clients = _clients(args)
    except CaseError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for case in cases:
            print(case.name)
        return 0
    if not cases:
        print("conformance: no case matches --run/--skip", file=sys.stderr)
        return 2
    try:
        scope = Scope(
            frozenset(c.name for c in cases),
            frozenset(c.name for c in suite),
            args.carry_from,
            args.carry_to,
        )
        verdicts, unexpected = _run_all(args, cases, clients, scope)
    except (CaseError, TestenvError, ConfigError) as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    print()
    print(matrix(verdicts, [c.name for c in clients]))
    if unexpected:
        print(f"\n{len(unexpected)} unexpected result(s):")
        for line in unexpected:
            print(f"  {line}")
        return 1
    print("\nevery result is as expected")
    return 0


def _run_all(
    args: argparse.Namespace, cases: Sequence[Case], clients: Sequence[ClientSpec], scope: Scope
) -> tuple[list[Verdict], list[str]]:
    """Every client over the cases on the servers; the verdicts and unexpected results."""
    verdicts: list[Verdict] = []
    unexpected: list[str] = []
    with _environment(args, cases, clients) as environment:
        # Clock cases are planned just before they run (clock.py).
        runs = {
            c.name: [plan(case, c.name, environment, c.port) for case in cases if not case.clock]
            for c in clients
        }
        clocked = [case for case in cases if case.clock]
        for client in clients:
            found, problems = _run_one(client, runs[client.name], clocked, environment, args)
            verdicts += found
            unexpected += problems
        if environment.closing_check is not None:
            problems, lines = environment.closing_check(scope, args.verbose)
            print(*lines, sep="\n", flush=True)
            unexpected += problems
    return verdicts, unexpected


def _run_one(
    client: ClientSpec,
    runs: list[CaseRun],
    clocked: list[Case],
    environment: Environment,
    args: argparse.Namespace,
) -> tuple[list[Verdict], list[str]]:
    """Runs one client over the cases (``clocked`` ones after the others, one at
    a time); its verdicts and its unexpected results."""
    verdicts: list[Verdict] = []
    for case in [run.case for run in runs] + clocked:
        missing = case.requires - environment.offers
        if missing:
            note = f"the server does not offer {', '.join(sorted(missing))}"
            verdicts.append(Verdict(case.name, case.area, client.name, SKIP, (note,)))
    runnable = [run for run in runs if run.case.requires <= environment.offers]
    build_client(client)
    report = run_client(client, runnable, args.timeout)
    clock_cases = [case for case in clocked if case.requires <= environment.offers]
    if clock_cases:
        planned = _plan_clocked(clock_cases, client, environment)
        report.add(run_client(client, planned, args.timeout, concurrency=1))
        runnable += planned
    note = _missing_note(report)
    verdicts += [judge(run, report.results.get(run.case.name, {}), note) for run in runnable]
    print(f"{client.name}: {len(runnable)} case(s) in {report.seconds:.1f} s", flush=True)
    listed = known_failing(client.name, args.known_failing)
    unexpected = [f"{client.name}: protocol: {p}" for p in report.protocol_errors]
    if report.returncode not in (0, None) and not report.timed_out:
        unexpected.append(f"{client.name}: exited with code {report.returncode}")
    for verdict in verdicts:
        if verdict.outcome == FAIL and verdict.case not in listed:
            unexpected.append(f"{client.name}: {verdict.case} failed")
            print(details(verdict))
        elif verdict.outcome == PASS and verdict.case in listed:
            unexpected.append(
                f"{client.name}: {verdict.case} passes; "
                f"remove it from known-failing/{client.name}.txt"
            )
        elif args.verbose and verdict.outcome != PASS:
            print(details(verdict))
    if unexpected and report.stderr.strip():
        tail = report.stderr.strip().splitlines()[-20:]
        print(f"--- last lines of {client.name}'s stderr ---", *tail, sep="\n")
    return verdicts, unexpected


def _plan_clocked(cases: list[Case], client: ClientSpec, environment: Environment) -> list[CaseRun]:
    """The clock cases' runs, each starting where the one before leaves the server clock."""
    if environment.server_time is None:
        raise CaseError("clock cases need the server's time, which this run cannot read")
    now = environment.server_time()
    planned = []
    for case in cases:
        run = plan(case, client.name, environment, client.port, server_now=now)
        planned.append(run)
        now = run.clock_end or now
    return planned


def _missing_note(report: ClientRun) -> str:
    if report.timed_out:
        return " (the client was stopped at --timeout)"
    if report.returncode not in (0, None):
        return f" (the client exited with code {report.returncode})"
    return ""


def _clients(args: argparse.Namespace) -> list[ClientSpec]:
    specs = load_clients(args.clients_file)
    wanted = args.client or (["python-sync"] if args.server_address else [s.name for s in specs])
    by_name = {s.name: s for s in specs}
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise CaseError(
            f"unknown client(s) {', '.join(unknown)}; clients.yaml has {', '.join(by_name)}"
        )
    return [by_name[name] for name in wanted]


@contextmanager
def _managed_in_a_temporary_directory(
    cases: Sequence[Case], clients: Sequence[str], backend: str
) -> Iterator[Environment]:
    """Reference servers whose files (certificates, the test cluster's state) go with them."""
    with (
        tempfile.TemporaryDirectory(prefix="ovc-conformance-", ignore_cleanup_errors=True) as work,
        managed(cases, clients, Path(work), backend) as environment,
    ):
        yield environment


def _environment(
    args: argparse.Namespace, cases: Sequence[Case], clients: Sequence[ClientSpec]
) -> AbstractContextManager[Environment]:
    if not args.server_address:
        return _managed_in_a_temporary_directory(cases, [c.name for c in clients], args.backend)
    endpoint = Endpoint(
        args.server_address,
        http_address=args.server_http_address or "",
        tls=bool(args.ca_file or args.client_cert_file),
        ca_file=args.ca_file or "",
        client_cert_file=args.client_cert_file or "",
        client_key_file=args.client_key_file or "",
        server_name=args.tls_server_name or "",
    )
    return nullcontext(external(endpoint, args.token or "", args.test_hooks))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Runs the conformance cases through every client under test "
        "against reference servers it starts, or against your server.",
    )
    parser.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="REGEX",
        help="only cases whose name matches (repeatable)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="REGEX",
        help="leave out cases whose name matches (repeatable)",
    )
    parser.add_argument(
        "--client",
        action="append",
        metavar="NAME",
        help="only this client of clients.yaml (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="print the selected case names")
    parser.add_argument("--cases", type=Path, default=CASES_DIR, help="the case directory")
    parser.add_argument(
        "--clients-file",
        type=Path,
        default=CLIENTS_FILE,
        help="the clients under test (default: conformance/clients.yaml)",
    )
    parser.add_argument(
        "--known-failing",
        type=Path,
        default=KNOWN_FAILING_DIR,
        metavar="DIR",
        help="the known-failing lists (default: conformance/known-failing)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds a client may take for all its cases"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also show skipped and known-failing cases"
    )
    parser.add_argument(
        "--backend",
        choices=("simulated", "kubernetes"),
        default="simulated",
        help="what the reference servers run on: simulated vclusters, or real ones on a "
        "Kubernetes test environment the run starts (scripts/k8s-testenv build first)",
    )
    parts = parser.add_argument_group(
        "a suite in parts (the Kubernetes backend's RBAC proof judges the whole suite)"
    )
    parts.add_argument(
        "--carry-to",
        type=Path,
        metavar="FILE",
        help="write what this part's closing check saw (with --carry-from's) for the next part",
    )
    parts.add_argument(
        "--carry-from",
        type=Path,
        metavar="FILE",
        help="add what the parts before this one saw (their --carry-to file) to this part's",
    )
    server = parser.add_argument_group("your server (instead of reference servers)")
    server.add_argument("--server-address", metavar="HOST:PORT")
    server.add_argument(
        "--server-http-address",
        metavar="HOST:PORT",
        help="your server's HTTP port (Connect, gRPC-Web), for the clients that call it",
    )
    server.add_argument("--token", help="an editor token of every namespace")
    server.add_argument("--ca-file", help="CA of the server certificate (switches TLS on)")
    server.add_argument("--client-cert-file", help="client certificate for mutual TLS")
    server.add_argument("--client-key-file", help="key of --client-cert-file")
    server.add_argument("--tls-server-name", help="name to check in the server certificate")
    server.add_argument(
        "--test-hooks", action="store_true", help="the server honours the ovc-test-* metadata hooks"
    )
    return parser
