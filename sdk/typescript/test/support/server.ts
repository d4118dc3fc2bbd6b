// Reference servers for the tests: `python -m openvcluster_server serve` as a
// child process on a free port, with test hooks and zero transition delay.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { makeCertificates, type Certificates } from "./certs.js";

/** A token of the server's tokens file. */
export interface TokenSpec {
  token: string;
  /** The token's name, which the server reports as the caller's; by default "token #N". */
  name?: string;
  role: "viewer" | "editor";
  namespaces: string[];
}

export interface ServerOptions {
  tokens?: TokenSpec[];
  /** "tls" serves TLS; "mtls" also requires client certificates. */
  tls?: "tls" | "mtls";
  /** Quotas per namespace, as in the server's YAML config. */
  quotas?: Record<string, Record<string, string | number>>;
  /** Other settings of the server's YAML config, by their config names (`max_message_bytes`). */
  config?: Record<string, unknown>;
  transitionDelaySeconds?: number;
  /** Web origins whose pages may call the HTTP port (CORS). */
  allowedOrigins?: string[];
}

export interface RunningServer {
  /** host:port of the gRPC port. */
  readonly address: string;
  /** host:port of the HTTP port (Connect and gRPC-Web). */
  readonly httpAddress: string;
  /** The certificates of a TLS server. */
  readonly certs: Certificates | undefined;
  /**
   * Resolves to the first line of the server's stderr (its startup lines,
   * then one per call, of `key=value` fields) that `match` accepts, waiting
   * for it when it has not come yet: the server logs a call as it answers,
   * and the pipe may bring the line after the client has the answer.
   * Rejects, naming `what`, when the server exits or 10 s pass without one.
   */
  waitForLog(what: string, match: (line: string) => boolean): Promise<string>;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), "ovc-ts-server-"));
  const args = [
    "-m",
    "openvcluster_server",
    "serve",
    "--address",
    "127.0.0.1:0",
    "--http-address",
    "127.0.0.1:0",
    "--transition-delay",
    String(options.transitionDelaySeconds ?? 0),
    "--enable-test-hooks",
  ];
  if (options.tokens !== undefined) {
    const lines = ["tokens:"];
    for (const t of options.tokens) {
      lines.push(`  - token: ${JSON.stringify(t.token)}`, `    role: ${t.role}`, `    namespaces: ${JSON.stringify(t.namespaces)}`);
      if (t.name !== undefined) lines.push(`    name: ${JSON.stringify(t.name)}`);
    }
    writeFileSync(join(dir, "tokens.yaml"), `${lines.join("\n")}\n`);
    args.push("--tokens-file", join(dir, "tokens.yaml"));
  }
  if (options.quotas !== undefined || options.config !== undefined) {
    const config = { ...options.config, ...(options.quotas === undefined ? {} : { quotas: options.quotas }) };
    writeFileSync(join(dir, "config.yaml"), JSON.stringify(config));
    args.push("--config", join(dir, "config.yaml"));
  }
  if (options.allowedOrigins !== undefined) args.push("--http-allowed-origins", options.allowedOrigins.join(","));
  let certs: Certificates | undefined;
  if (options.tls !== undefined) {
    certs = await makeCertificates(dir);
    args.push("--tls-cert-file", certs.serverCert, "--tls-key-file", certs.serverKey);
    if (options.tls === "mtls") args.push("--tls-client-ca-file", certs.ca);
  }
  const child = spawn("python", args, { stdio: ["ignore", "ignore", "pipe"] });
  const log: string[] = [];
  const arrivals = new EventEmitter();
  const { address, httpAddress } = await serving(child, log, arrivals);
  return {
    address,
    httpAddress,
    certs,
    waitForLog: (what, match) => waitForLog(child, log, arrivals, what, match),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves to the addresses once the server logs that it serves ("serving
 * on HOST:PORT (..., http HOST:PORT, ...)"); keeps draining its stderr into
 * `log` after that, line by line, telling `arrivals` of each line.
 */
function serving(
  child: ChildProcess,
  log: string[],
  arrivals: EventEmitter,
): Promise<{ address: string; httpAddress: string }> {
  return new Promise((resolve, reject) => {
    const startup = (): string => log.slice(0, 200).join("\n");
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start:\n${startup()}`));
    }, STARTUP_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${startup()}`));
    });
    const lines = createInterface({ input: child.stderr! });
    lines.on("line", (line) => {
      log.push(line);
      arrivals.emit("line", line);
      const match = /serving on (\S+:\d+) \(.*\bhttp (\S+:\d+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ address: match[1]!, httpAddress: match[2]! });
      }
    });
  });
}

const LOG_WAIT_MS = 10_000;

function waitForLog(
  child: ChildProcess,
  log: string[],
  arrivals: EventEmitter,
  what: string,
  match: (line: string) => boolean,
): Promise<string> {
  const found = log.find(match);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const settle = (finish: () => void): void => {
      clearTimeout(timer);
      arrivals.off("line", onLine);
      child.off("exit", onExit);
      finish();
    };
    const onLine = (line: string): void => {
      if (match(line)) settle(() => resolve(line));
    };
    const onExit = (): void => settle(() => reject(new Error(`the server exited without logging ${what}`)));
    const timer = setTimeout(() => settle(() => reject(new Error(`the server logged no ${what} within 10 s`))), LOG_WAIT_MS);
    arrivals.on("line", onLine);
    child.once("exit", onExit);
  });
}

/** A namespace of its own for one test: a DNS-1123 label. */
export function uniqueNamespace(prefix = "ts"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}
