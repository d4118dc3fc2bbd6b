/**
 * Where and how a Node client connects: endpoint, protocol, token and TLS,
 * from options or the environment, with the same variables and rules as the
 * Python SDK. Node only: it reads files and `process.env`.
 *
 * @module
 */

import { readFileSync } from "node:fs";

import { toProtocol, type ConnectionConfig, type Pem, type Protocol } from "./connection.js";

/** The endpoint used when neither the options nor `OVC_ENDPOINT` name one. */
export const DEFAULT_ENDPOINT = "127.0.0.1:50051";

/** The environment variables the client reads for settings it was not given. */
export const ENV = {
  endpoint: "OVC_ENDPOINT",
  token: "OVC_TOKEN",
  tls: "OVC_TLS",
  caFile: "OVC_CA_FILE",
  clientCertFile: "OVC_CLIENT_CERT_FILE",
  clientKeyFile: "OVC_CLIENT_KEY_FILE",
  tlsServerName: "OVC_TLS_SERVER_NAME",
} as const;

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

/**
 * How to reach the server. Every setting left out is read from its `OVC_*`
 * environment variable ({@link ENV}).
 */
export interface ConnectionOptions {
  /**
   * `host:port` of the server (`https://host:port` switches TLS on). Default
   * `127.0.0.1:50051`. For `connect` and `grpc-web` it is the server's HTTP
   * port (`--http-address`), not its gRPC port.
   */
  endpoint?: string;
  /**
   * The protocol of the calls: `"grpc"` (the default; HTTP/2 gRPC to the
   * gRPC port), `"connect"` or `"grpc-web"` (to the HTTP port). Never read
   * from the environment.
   */
  protocol?: Protocol;
  /** Bearer token, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Forces TLS on or off; by default on when a CA or a client certificate is set. */
  tls?: boolean;
  /** PEM file of the CA that signed the server certificate (default: the system's roots). */
  caFile?: string;
  /** PEM client certificate file, for mutual TLS (with {@link clientKeyFile}). */
  clientCertFile?: string;
  /** PEM key file of {@link clientCertFile}. */
  clientKeyFile?: string;
  /** The CA certificate itself, instead of {@link caFile}. */
  ca?: Pem;
  /** The client certificate itself, instead of {@link clientCertFile}. */
  clientCert?: Pem;
  /** The client key itself, instead of {@link clientKeyFile}. */
  clientKey?: Pem;
  /** The name to check in the server certificate when it differs from the endpoint's host. */
  tlsServerName?: string;
  /** Where `OVC_*` variables are read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Options win; each one left out is read from its `OVC_*` variable.
 *
 * TLS is on when asked (`tls: true` or `OVC_TLS=true`), when the endpoint
 * starts with `https://`, or when a CA or client certificate is configured;
 * otherwise the connection is plaintext, which suits the default local
 * endpoint. Certificate files are read now. Throws a TypeError for
 * contradictory settings (a certificate without its key, TLS off with a CA).
 */
export function resolveConnection(options: ConnectionOptions = {}): ConnectionConfig {
  const env = options.env ?? process.env;
  let endpoint = options.endpoint || env[ENV.endpoint] || DEFAULT_ENDPOINT;
  let schemeTls: boolean | undefined;
  if (endpoint.startsWith("https://")) {
    endpoint = endpoint.slice("https://".length);
    schemeTls = true;
  } else if (endpoint.startsWith("http://")) {
    endpoint = endpoint.slice("http://".length);
    schemeTls = false;
  }
  endpoint = endpoint.replace(/\/+$/, "");

  const token = options.token !== undefined ? options.token || undefined : env[ENV.token] || undefined;
  const ca = pem(options.ca, options.caFile, env[ENV.caFile]);
  const clientCert = pem(options.clientCert, options.clientCertFile, env[ENV.clientCertFile]);
  const clientKey = pem(options.clientKey, options.clientKeyFile, env[ENV.clientKeyFile]);
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new TypeError("a client certificate needs its key, and a key its certificate");
  }

  let tls = options.tls;
  const envTls = env[ENV.tls];
  if (tls === undefined && envTls !== undefined) tls = parseBool(envTls, ENV.tls);
  if (tls === undefined) tls = schemeTls ?? (ca !== undefined || clientCert !== undefined);
  if (!tls && (ca !== undefined || clientCert !== undefined)) {
    throw new TypeError("a CA or client certificate was given but TLS is switched off");
  }
  return {
    endpoint,
    tls,
    baseUrl: `${tls ? "https" : "http"}://${endpoint}`,
    protocol: toProtocol(options.protocol ?? "grpc"),
    token,
    ca,
    clientCert,
    clientKey,
    tlsServerName: options.tlsServerName || env[ENV.tlsServerName] || undefined,
  };
}

function pem(data: Pem | undefined, file: string | undefined, envFile: string | undefined): Pem | undefined {
  if (data !== undefined) return data;
  const path = file ?? (envFile || undefined);
  return path === undefined ? undefined : readFileSync(path);
}

function parseBool(value: string, name: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (TRUE.has(lowered)) return true;
  if (FALSE.has(lowered)) return false;
  throw new TypeError(`${name} must be true or false, not ${JSON.stringify(value)}`);
}
