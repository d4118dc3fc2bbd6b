/**
 * Reading a watch until it ends, for the screens kept live by one.
 *
 * @module
 */

import type { WatchVClustersResponse } from "@open-vcluster/sdk/browser";

import type { ShownError } from "./errors.js";

/**
 * Hands each event of `watch` to `onEvent` until the watch ends, and says why
 * it ended for the page to show (with a way to reconnect); null when the page
 * stopped it (`cancelled`), which needs no word.
 */
export async function followWatch(
  watch: AsyncIterable<WatchVClustersResponse>,
  cancelled: () => boolean,
  onEvent: (event: WatchVClustersResponse) => void,
  fail: (reason: unknown) => ShownError,
): Promise<string | null> {
  try {
    for await (const event of watch) {
      if (cancelled()) return null;
      onEvent(event);
    }
  } catch (reason) {
    if (cancelled()) return null;
    const shown = fail(reason);
    return `${shown.code}: ${shown.message}`;
  }
  return cancelled() ? null : "The server ended the stream of live updates.";
}
