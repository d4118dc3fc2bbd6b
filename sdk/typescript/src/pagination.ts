/**
 * Lazy listings: iterate items across pages without handling page tokens.
 *
 * @module
 */

/** One page of a listing: its items and the token of the next page (`""` on the last). */
export interface Page<T> {
  /** The items of the page, in the listing's order. */
  readonly items: readonly T[];
  /** The token of the next page; empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * The items of a listing, fetched page by page as the iteration goes.
 *
 * `for await (const vc of client.listVClusters(...))` walks every item;
 * {@link pages} walks whole pages, and {@link page} fetches one (to show a
 * page at a time, or to remember `nextPageToken`). No call is made before
 * iterating; each new iteration starts again from the first page and sees the
 * current state.
 */
export class Pager<T> implements AsyncIterable<T> {
  /** A pager over `fetch`, which returns the page at a token; starts at `pageToken`. */
  constructor(
    private readonly fetch: (pageToken: string) => Promise<Page<T>>,
    private readonly pageToken: string = "",
  ) {}

  /** Every item, fetching the next page when the previous one is used up. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** The pages, fetched one call at a time. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let token = this.pageToken;
    for (;;) {
      const page = await this.fetch(token);
      yield page;
      if (!page.nextPageToken) return;
      if (page.nextPageToken === token) {
        throw new Error(`the server answered the same page token ${JSON.stringify(token)} twice`);
      }
      token = page.nextPageToken;
    }
  }

  /** One page: the listing's first (or where it was told to start), or the one at `pageToken`. */
  page(pageToken: string = this.pageToken): Promise<Page<T>> {
    return this.fetch(pageToken);
  }

  /** Every item in one array (fetching every page now). */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
