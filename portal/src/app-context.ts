/**
 * What every screen needs from the app: the client, what the server said
 * about itself and the caller, and `run`, which performs an operation,
 * records it in the activity log and turns a failure into a ShownError
 * (ending the session on UNAUTHENTICATED).
 *
 * @module
 */

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Caller_Role, ServerInfo, VClusterClient } from "@open-vcluster/sdk/browser";

import type { ShownError } from "./errors.js";

/** The outcome of an operation run through the app. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ShownError };

/** The signed-in app, as screens see it. */
export interface AppApi {
  client: VClusterClient;
  info: ServerInfo;
  role: Caller_Role;
  /** Runs `operation`, logging it as `what` on `target`; `summary` says what came back. */
  run<T>(what: string, target: string, operation: () => Promise<T>, summary?: (value: T) => string): Promise<Outcome<T>>;
  /** Describes an error of a read (not logged); ends the session when it is UNAUTHENTICATED. */
  fail(error: unknown): ShownError;
  /** Goes to a hash route. */
  navigate(hash: string): void;
  /** The current time, advanced every few seconds so ages move on. */
  now: Date;
}

/** The app's context; set by App once signed in. */
export const AppContext = createContext<AppApi | null>(null);

/** The signed-in app; only screens rendered after sign-in use it. */
export function useApp(): AppApi {
  const app = useContext(AppContext);
  if (app === null) throw new Error("useApp outside the signed-in app");
  return app;
}
