// Reference servers for the tests: `python -m openvcluster_server serve` as a
// child process on a free port, with test hooks and zero transition delay.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { makeCertificates, type Certificates } from "./certs.js";

/** A token of the server's tokens file. */
export interface TokenSpec {
  token: string;
  role: "viewer" | "editor";
  namespaces: string[];
}

export interface ServerOptions {
  tokens?: TokenSpec[];
  /** "tls" serves TLS; "mtls" also requires client certificates. */
  tls?: "tls" | "mtls";
  /** Quotas per namespace, as in the server's YAML config. */
  quotas?: Record<string, Record<string, string | number>>;
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
    }
    writeFileSync(join(dir, "tokens.yaml"), `${lines.join("\n")}\n`);
    args.push("--tokens-file", join(dir, "tokens.yaml"));
  }
  if (options.quotas !== undefined) {
    writeFileSync(join(dir, "config.yaml"), JSON.stringify({ quotas: options.quotas }));
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
  const { address, httpAddress } = await serving(child);
  return {
    address,
    httpAddress,
    certs,
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
 * on HOST:PORT (..., http HOST:PORT, ...)"); keeps draining its stderr
 * after that.
 */
function serving(child: ChildProcess): Promise<{ address: string; httpAddress: string }> {
  return new Promise((resolve, reject) => {
    const log: string[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start:\n${log.join("\n")}`));
    }, STARTUP_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${log.join("\n")}`));
    });
    const lines = createInterface({ input: child.stderr! });
    lines.on("line", (line) => {
      if (log.length < 200) log.push(line);
      const match = /serving on (\S+:\d+) \(.*\bhttp (\S+:\d+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ address: match[1]!, httpAddress: match[2]! });
      }
    });
  });
}

/** A namespace of its own for one test: a DNS-1123 label. */
export function uniqueNamespace(prefix = "ts"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}
