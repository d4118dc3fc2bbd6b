/**
 * This session's operations and how each ended, for the Activity screen.
 * Kept in sessionStorage next to the token, so a reload keeps it and
 * signing out (or closing the tab) forgets it.
 *
 * @module
 */

/** One operation the portal ran for the person. */
export interface ActivityEntry {
  /** Unique in the session, for keys. */
  id: number;
  /** What was done, such as "Suspend". */
  what: string;
  /** What it was done to, such as "team-a/dev". */
  target: string;
  /** When it was asked for, as an ISO time. */
  at: string;
  /** "ok", or the error's code. */
  outcome: string;
  /** What came back: a phase or a name for "ok", the error's message otherwise. */
  detail: string;
}

/** How many entries are kept; older ones are dropped first. */
export const MAX_ENTRIES = 200;

const KEY = "openvcluster.portal.activity";

/** The log with `entry` added in front (newest first), at most MAX_ENTRIES long. */
export function addEntry(log: readonly ActivityEntry[], entry: Omit<ActivityEntry, "id">): ActivityEntry[] {
  const id = log.reduce((max, e) => Math.max(max, e.id), 0) + 1;
  return [{ ...entry, id }, ...log].slice(0, MAX_ENTRIES);
}

/** The entries that failed. */
export function failures(log: readonly ActivityEntry[]): ActivityEntry[] {
  return log.filter((e) => e.outcome !== "ok");
}

/** The log kept in `store`; empty when there is none or it cannot be read. */
export function loadActivity(store: Pick<Storage, "getItem">): ActivityEntry[] {
  try {
    const parsed: unknown = JSON.parse(store.getItem(KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
  } catch {
    return [];
  }
}

/** Keeps the log in `store`. */
export function saveActivity(store: Pick<Storage, "setItem">, log: readonly ActivityEntry[]): void {
  store.setItem(KEY, JSON.stringify(log));
}

/** Forgets the log (on sign-out). */
export function clearActivity(store: Pick<Storage, "removeItem">): void {
  store.removeItem(KEY);
}

function isEntry(value: unknown): value is ActivityEntry {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  return typeof e["id"] === "number" && ["what", "target", "at", "outcome", "detail"].every((k) => typeof e[k] === "string");
}
