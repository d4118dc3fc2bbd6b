import { useEffect, useState } from "preact/hooks";
import {
  Condition_Status,
  NetworkSpec_ExposeType,
  VClusterSpec_Distro,
  type UsageFigure,
  type VCluster,
  type VClusterUsage,
} from "@open-vcluster/sdk/browser";

import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";
import {
  formatAge,
  formatCpu,
  formatExpiryEffect,
  formatLabels,
  formatMemory,
  formatSchedule,
  formatSkipped,
  formatTime,
  formatTimeFrom,
  toDate,
} from "../format.js";
import { EXPIRED, SCHEDULE_SKIPPED, trueCondition } from "../schedule.js";
import { ErrorPanel } from "./ErrorPanel.js";

const DISTROS: Record<number, string> = { [VClusterSpec_Distro.K8S]: "k8s", [VClusterSpec_Distro.K3S]: "k3s", [VClusterSpec_Distro.K0S]: "k0s" };
const EXPOSE: Record<number, string> = {
  [NetworkSpec_ExposeType.CLUSTER_IP]: "ClusterIP",
  [NetworkSpec_ExposeType.NODE_PORT]: "NodePort",
  [NetworkSpec_ExposeType.LOAD_BALANCER]: "LoadBalancer",
  [NetworkSpec_ExposeType.INGRESS]: "Ingress",
};
const CONDITION: Record<number, string> = {
  [Condition_Status.TRUE]: "True",
  [Condition_Status.FALSE]: "False",
  [Condition_Status.UNKNOWN]: "Unknown",
};

/** Spec, status, sleep schedule and expiry, conditions, endpoint, labels and usage of a vcluster. */
export function OverviewTab({ vcluster }: { vcluster: VCluster }) {
  const { now } = useApp();
  const spec = vcluster.spec;
  const status = vcluster.status;
  const labels = formatLabels(vcluster.labels);
  return (
    <div class="overview">
      <section class="card">
        <h2>Status</h2>
        <dl>
          <dt>Message</dt>
          <dd>{status?.message || "—"}</dd>
          <dt>API server</dt>
          <dd>{status?.apiServerEndpoint ? <code>{status.apiServerEndpoint}</code> : "— (none yet)"}</dd>
          <dt>Created</dt>
          <dd>
            {formatTime(toDate(vcluster.createTime))} ({formatAge(toDate(vcluster.createTime), now)} ago)
          </dd>
          <dt>Last change</dt>
          <dd>{formatTime(toDate(vcluster.updateTime))}</dd>
          <dt>Labels</dt>
          <dd>{labels.length === 0 ? "none" : labels.map((l) => <code class="label" key={l}>{l}</code>)}</dd>
        </dl>
      </section>
      <section class="card">
        <h2>Spec</h2>
        <dl>
          <dt>Kubernetes</dt>
          <dd>
            {spec?.kubernetesVersion || "—"} ({DISTROS[spec?.distro ?? 0] ?? "—"})
          </dd>
          <dt>CPU</dt>
          <dd>{formatCpu(spec?.resources?.cpu)}</dd>
          <dt>Memory</dt>
          <dd>{formatMemory(spec?.resources?.memory)}</dd>
          <dt>Ephemeral storage</dt>
          <dd>{formatMemory(spec?.resources?.storage)}</dd>
          <dt>Replicas</dt>
          <dd>
            {spec?.replicas ?? "—"}
            {spec?.enableHa ? " (highly available)" : ""}
          </dd>
          <dt>Deletion protection</dt>
          <dd>{spec?.deletionProtection ? "on: delete is refused until it is turned off" : "off"}</dd>
          <dt>Exposed as</dt>
          <dd>{EXPOSE[spec?.network?.exposeType ?? 0] ?? "—"}</dd>
          <dt>Service CIDR</dt>
          <dd>{spec?.network?.serviceCidr || "—"}</dd>
          <dt>State volume</dt>
          <dd>
            {spec?.storage?.persistence === false
              ? "none (not persistent)"
              : `${formatMemory(spec?.storage?.size)}${spec?.storage?.storageClass ? `, class ${spec.storage.storageClass}` : ""}`}
          </dd>
        </dl>
      </section>
      <SleepAndExpiry vcluster={vcluster} />
      <section class="card card-wide">
        <h2>Conditions</h2>
        {status && status.conditions.length > 0 ? (
          <div class="table-wrap">
            <table class="conditions">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Message</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {status.conditions.map((c) => (
                  <tr key={c.type}>
                    <th scope="row" data-label="Type">
                      {c.type}
                    </th>
                    <td data-label="Status">{CONDITION[c.status] ?? "—"}</td>
                    <td data-label="Reason">{c.reason || "—"}</td>
                    <td data-label="Message">{c.message || "—"}</td>
                    <td data-label="Since">{formatTime(toDate(c.lastTransitionTime))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>None reported.</p>
        )}
      </section>
      <Usage vcluster={vcluster} />
    </div>
  );
}

/**
 * The sleep schedule with its next suspend and resume, and the expiry,
 * with what the server reports when one of them could not act (the
 * conditions ScheduleSkipped and Expired, also in the Conditions table).
 * Nothing for a vcluster with neither.
 */
function SleepAndExpiry({ vcluster }: { vcluster: VCluster }) {
  const { now } = useApp();
  const spec = vcluster.spec;
  const conditions = vcluster.status?.conditions;
  const schedule = formatSchedule(spec?.sleepSchedule);
  const expire = toDate(spec?.expireTime);
  if (schedule === "" && expire === undefined) return null;
  const nextSuspend = toDate(vcluster.status?.nextSuspendTime);
  const nextResume = toDate(vcluster.status?.nextResumeTime);
  const skipped = trueCondition(conditions, SCHEDULE_SKIPPED);
  const expired = trueCondition(conditions, EXPIRED);
  return (
    <section class="card card-wide sleep-expiry">
      <h2>Sleep and expiry</h2>
      <dl>
        {schedule ? (
          <>
            <dt>Sleep schedule</dt>
            <dd>{schedule}</dd>
          </>
        ) : null}
        {nextSuspend ? (
          <>
            <dt>Next suspend</dt>
            <dd>
              <Time at={nextSuspend} now={now} />
            </dd>
          </>
        ) : null}
        {nextResume ? (
          <>
            <dt>Next resume</dt>
            <dd>
              <Time at={nextResume} now={now} />
            </dd>
          </>
        ) : null}
        {skipped ? (
          <>
            <dt>Skipped</dt>
            <dd>{formatSkipped(skipped.reason, skipped.message)}</dd>
          </>
        ) : null}
        {expire ? (
          <>
            <dt>Expires</dt>
            <dd>
              <Time at={expire} now={now} />: {formatExpiryEffect(spec?.deleteSnapshotsOnExpiry ?? false, expire.getTime() <= now.getTime())}
            </dd>
          </>
        ) : null}
        {expired ? (
          <>
            <dt>Expired</dt>
            <dd>{expired.message || "Past its expiry, kept by deletion protection until protection is turned off or the expiry moves."}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** A time with how far off it is, machine-readable too. */
function Time({ at, now }: { at: Date; now: Date }) {
  return <time dateTime={at.toISOString()}>{formatTimeFrom(at, now)}</time>;
}

/** GetVClusterUsage, read again when the phase changes: a figure the backend cannot tell says why. */
function Usage({ vcluster }: { vcluster: VCluster }) {
  const { client, fail } = useApp();
  const [usage, setUsage] = useState<VClusterUsage | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const phase = vcluster.status?.phase;
  useEffect(() => {
    const abort = new AbortController();
    client
      .getVClusterUsage(vcluster.namespace, vcluster.name, { signal: abort.signal })
      .then((u) => {
        setUsage(u);
        setError(null);
      })
      .catch((reason: unknown) => {
        if (!abort.signal.aborted) setError(fail(reason));
      });
    return () => abort.abort();
  }, [client, vcluster.namespace, vcluster.name, phase, vcluster.spec?.replicas]);
  return (
    <section class="card card-wide">
      <h2>Usage</h2>
      {error ? <ErrorPanel error={error} title="Usage is not available" /> : null}
      {usage === null ? (
        error ? null : <p role="status">Reading usage…</p>
      ) : (
        <dl>
          <dt>Requested</dt>
          <dd>
            {formatCpu(usage.requested?.cpu)} · {formatMemory(usage.requested?.memory)} · {usage.replicas} replica(s)
          </dd>
          <dt>CPU used</dt>
          <dd>{figure(usage.cpuUsed, formatCpu)}</dd>
          <dt>Memory used</dt>
          <dd>{figure(usage.memoryUsed, formatMemory)}</dd>
          <dt>Pods</dt>
          <dd>{figure(usage.podCount, (v) => v)}</dd>
          <dt>Observed</dt>
          <dd>{formatTime(toDate(usage.observeTime))}</dd>
        </dl>
      )}
    </section>
  );
}

function figure(value: UsageFigure | undefined, show: (v: string) => string): string {
  if (value === undefined) return "unknown";
  if (!value.available) return `unknown${value.reason ? `: ${value.reason}` : ""}`;
  return `${show(value.value)}${value.source ? ` (from ${value.source})` : ""}`;
}
