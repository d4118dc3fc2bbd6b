/**
 * The signed-in session: the bearer token lives in sessionStorage, so it
 * survives a reload but not the tab, and is sent only by the SDK (as
 * `authorization: Bearer <token>`) to the origin that served the page.
 *
 * @module
 */

import { VClusterClient } from "@open-vcluster/sdk/browser";

const TOKEN_KEY = "openvcluster.portal.token";

/** The part of the Web Storage API the session uses (sessionStorage, or a stand-in in tests). */
export type TokenStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** The token signed in with: a string (empty when the server has no tokens), or null when signed out. */
export function loadToken(store: TokenStore): string | null {
  return store.getItem(TOKEN_KEY);
}

/** Remembers the token for this tab. */
export function saveToken(store: TokenStore, token: string): void {
  store.setItem(TOKEN_KEY, token);
}

/** Forgets the token: signed out. */
export function clearToken(store: TokenStore): void {
  store.removeItem(TOKEN_KEY);
}

/**
 * A client of the server that served the page (same origin, so no CORS),
 * carrying `token` when there is one.
 */
export function makeClient(token: string, origin: string): VClusterClient {
  return new VClusterClient({ baseUrl: origin, token: token || undefined, protocol: "connect" });
}
