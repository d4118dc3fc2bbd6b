/**
 * The page of vclusters in view, kept live by the events of one watch.
 *
 * The page comes from ListVClusters (with page tokens); the watch covers the
 * whole namespace and selector. An event changes the page only when its
 * vcluster belongs there: between the previous page's last vcluster and
 * this page's last one (the end is open on the last page), in the phase
 * filtered on. The watch's initial replay (ADDED events until SYNCED) also
 * repairs what changed between the listing and the watch: a vcluster of the
 * page that the replay does not mention is gone.
 *
 * @module
 */

import { VCluster_Phase, WatchVClustersResponse_EventType, type VCluster, type WatchEvent } from "@open-vcluster/sdk/browser";

/** A vcluster's place in the listing's order: (namespace, name). */
export interface Key {
  namespace: string;
  name: string;
}

/** The part of the listing a page holds. */
export interface PageWindow {
  /** The last vcluster of the previous page; null on the first page. */
  after: Key | null;
  /** The last vcluster of this page when more pages follow; null on the last page. */
  upTo: Key | null;
}

/** The page in view and what the watch has told so far. */
export interface LiveList {
  readonly items: readonly VCluster[];
  readonly window: PageWindow;
  /** The phase filtered on; UNSPECIFIED for every phase. */
  readonly phase: VCluster_Phase;
  /** Whether the watch has sent SYNCED: the page shows the current state. */
  readonly synced: boolean;
  /** Keys the replay mentioned before SYNCED. */
  readonly replayed: ReadonlySet<string>;
}

/** The live list of a page just listed. */
export function newLiveList(items: readonly VCluster[], window: PageWindow, phase: VCluster_Phase): LiveList {
  return { items: [...items].sort(compareVClusters), window, phase, synced: false, replayed: new Set() };
}

/** Orders as the server lists: by namespace, then name. */
export function compareKeys(a: Key, b: Key): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

function compareVClusters(a: VCluster, b: VCluster): number {
  return compareKeys(a, b);
}

function keyOf(key: Key): string {
  return `${key.namespace}/${key.name}`;
}

/** Whether a vcluster at `key` belongs to the page's window. */
export function inWindow(window: PageWindow, key: Key): boolean {
  if (window.after !== null && compareKeys(key, window.after) <= 0) return false;
  if (window.upTo !== null && compareKeys(key, window.upTo) > 0) return false;
  return true;
}

/** The list after one watch event. */
export function applyWatchEvent(list: LiveList, event: WatchEvent): LiveList {
  if (event.type === WatchVClustersResponse_EventType.SYNCED) {
    const items = list.items.filter((vc) => !inWindow(list.window, vc) || list.replayed.has(keyOf(vc)));
    return { ...list, items, synced: true, replayed: new Set() };
  }
  const vcluster = event.vcluster;
  if (vcluster === undefined) return list;
  const replayed = list.synced ? list.replayed : new Set([...list.replayed, keyOf(vcluster)]);
  const without = list.items.filter((vc) => compareKeys(vc, vcluster) !== 0);
  const matches =
    event.type !== WatchVClustersResponse_EventType.DELETED &&
    inWindow(list.window, vcluster) &&
    (list.phase === VCluster_Phase.UNSPECIFIED || vcluster.status?.phase === list.phase);
  const items = matches ? [...without, vcluster].sort(compareVClusters) : without;
  return { ...list, items, replayed };
}
