/**
 * The wait loops: they feed the waiters of `wait.ts` from a watch of the
 * vcluster, or from reads once the watch cannot be used, and poll snapshots.
 * The client hands them its calls ({@link WaitCalls}); nothing here knows
 * the transport.
 *
 * @module
 */

import {
  CancelledError,
  isOpenVClusterError,
  NotFoundError,
  UnexpectedStatusError,
  type OpenVClusterError,
} from "./errors.js";
import type { Snapshot, Snapshot_Phase } from "./gen/openvcluster/v1/snapshot_pb.js";
import type { VCluster } from "./gen/openvcluster/v1/vcluster_pb.js";
import type { WatchVClustersRequest } from "./gen/openvcluster/v1/vcluster_service_pb.js";
import type { CallSettings } from "./options.js";
import { watchRequest } from "./requests.js";
import { sleep } from "./sleep.js";
import { SnapshotWaiter, VClusterWaiter, type VClusterTarget } from "./wait.js";
import type { Watch, WatchEvent } from "./watch.js";

/** The calls a wait makes, as the client makes them. */
export interface WaitCalls {
  /** Opens a watch that ends after `timeoutMs` (null: runs until cancelled). */
  watch(request: WatchVClustersRequest, settings: CallSettings, timeoutMs: number | null, signal?: AbortSignal): Watch;
  /** Reads a vcluster. */
  getVCluster(namespace: string, name: string, settings: CallSettings, signal?: AbortSignal): Promise<VCluster>;
  /** Reads a snapshot. */
  getSnapshot(namespace: string, name: string, settings: CallSettings, signal?: AbortSignal): Promise<Snapshot>;
}

/** One wait: the client's calls, the settings they run under, and the caller's cancellation. */
export interface WaitRun {
  readonly calls: WaitCalls;
  readonly settings: CallSettings;
  readonly signal: AbortSignal | undefined;
}

/** Waits until the vcluster is in `target` (a phase or SETTLED) and resolves to it. */
export async function forPhase(
  run: WaitRun,
  namespace: string,
  name: string,
  target: Exclude<VClusterTarget, null>,
  onChange?: (vcluster: VCluster) => void,
): Promise<VCluster> {
  const waiter = vclusterWaiter(run, namespace, name, target, onChange);
  await follow(run, waiter);
  return lastState(waiter);
}

/** Waits until the vcluster is gone. */
export async function forDeletion(
  run: WaitRun,
  namespace: string,
  name: string,
  onChange?: (vcluster: VCluster) => void,
): Promise<void> {
  await follow(run, vclusterWaiter(run, namespace, name, null, onChange));
}

/**
 * `wait: true` of a mutation that answered `vcluster`: waits until it is in
 * `target` (null: gone) and resolves to its last state.
 */
export async function settle(run: WaitRun, vcluster: VCluster, target: VClusterTarget): Promise<VCluster> {
  const waiter = vclusterWaiter(run, vcluster.namespace, vcluster.name, target, undefined);
  if (!waiter.startFrom(vcluster)) await follow(run, waiter);
  return lastState(waiter);
}

/** Polls the snapshot until it is in `target` and resolves to it. */
export async function forSnapshot(
  run: WaitRun,
  namespace: string,
  name: string,
  target: Snapshot_Phase,
  onChange?: (snapshot: Snapshot) => void,
): Promise<Snapshot> {
  const { calls, settings, signal } = run;
  const waiter = new SnapshotWaiter(namespace, name, target, settings.waitTimeoutMs, { onChange });
  for (;;) {
    if (waiter.expired()) throw waiter.timeoutError();
    const callSettings = settings.merged({ timeoutMs: waiter.callTimeoutMs(settings.timeoutMs) });
    let current: Snapshot;
    try {
      current = await calls.getSnapshot(namespace, name, callSettings, signal);
    } catch (error) {
      if (waiter.readTimedOut(error, callSettings.timeoutMs, settings.timeoutMs)) throw waiter.timeoutError(error);
      throw error;
    }
    if (waiter.observe(current)) return current;
    await pauseFor(waiter.pollDelayMs(), signal);
  }
}

function vclusterWaiter(
  run: WaitRun,
  namespace: string,
  name: string,
  target: VClusterTarget,
  onChange: ((vcluster: VCluster) => void) | undefined,
): VClusterWaiter {
  return new VClusterWaiter(namespace, name, target, run.settings.waitTimeoutMs, { retry: run.settings.retry, onChange });
}

/** The state a finished vcluster wait saw last (it always saw one). */
function lastState(waiter: VClusterWaiter): VCluster {
  if (waiter.lastSeen === undefined) throw new UnexpectedStatusError("the wait saw no vcluster");
  return waiter.lastSeen;
}

/** Follows watches of the vcluster until the wait is over, or polls once they cannot be used. */
async function follow(run: WaitRun, waiter: VClusterWaiter): Promise<void> {
  const { calls, settings, signal } = run;
  const request = watchRequest(waiter.namespace, { name: waiter.name });
  for (;;) {
    const watch = calls.watch(request, settings, waiter.watchTimeoutMs(), signal);
    const events = watch[Symbol.asyncIterator]();
    let ended: OpenVClusterError | undefined;
    waiter.watchStarted();
    try {
      for (;;) {
        let next: IteratorResult<WatchEvent>;
        try {
          next = await events.next();
        } catch (reason) {
          if (signal?.aborted || !isOpenVClusterError(reason)) throw reason;
          ended = reason;
          break;
        }
        if (next.done) break;
        if (waiter.observeEvent(next.value)) return;
      }
    } finally {
      await events.return();
    }
    const pause = waiter.watchEnded(ended);
    if (pause === undefined) break;
    await pauseFor(pause, signal);
  }
  await poll(run, waiter);
}

/** Reads the vcluster with a growing pause until the wait is over. */
async function poll(run: WaitRun, waiter: VClusterWaiter): Promise<void> {
  const { calls, settings, signal } = run;
  for (;;) {
    if (waiter.expired()) throw waiter.timeoutError();
    const callSettings = settings.merged({ timeoutMs: waiter.callTimeoutMs(settings.timeoutMs) });
    try {
      if (waiter.observe(await calls.getVCluster(waiter.namespace, waiter.name, callSettings, signal))) return;
    } catch (error) {
      if (error instanceof NotFoundError) {
        if (waiter.observeGone()) return;
      } else if (waiter.readTimedOut(error, callSettings.timeoutMs, settings.timeoutMs)) {
        throw waiter.timeoutError(error);
      } else {
        throw error;
      }
    }
    await pauseFor(waiter.pollDelayMs(), signal);
  }
}

/** A pause of a wait; the caller's abort ends it with a CancelledError. */
async function pauseFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (reason) {
    throw new CancelledError("the wait was cancelled", { cause: reason });
  }
}
