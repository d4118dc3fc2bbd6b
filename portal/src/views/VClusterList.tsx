import { useEffect, useState } from "preact/hooks";
import { toPhase, VCluster_Phase, type VCluster } from "@open-vcluster/sdk/browser";

import { canEdit } from "../actions.js";
import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";
import { followWatch } from "../follow-watch.js";
import { expiryHint, formatAge, formatCpu, formatMemory, formatSchedule, formatTime, toDate } from "../format.js";
import { applyWatchEvent, newLiveList, type Key, type LiveList } from "../live-list.js";
import { detailHref, formatRoute, type ListFilters } from "../route.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { ListFiltersForm } from "./ListFiltersForm.js";
import { PhaseChip } from "./PhaseChip.js";
import { WatchBanner } from "./WatchBanner.js";

const PAGE_SIZES = [10, 25, 50, 100];

/** The vclusters the caller may see, filtered, a page at a time, kept live by one watch. */
export function VClusterList({ filters }: { filters: ListFilters }) {
  const app = useApp();
  const defaultSize = app.info.limits?.defaultPageSize ?? 50;
  const [pageSize, setPageSize] = useState(PAGE_SIZES.includes(defaultSize) ? defaultSize : 50);
  const filtered = filters.namespace !== "" || filters.selector !== "" || filters.phase !== "";
  return (
    <section>
      <div class="heading-row">
        <h1>VClusters</h1>
        {canEdit(app.role) ? (
          <a class="button" href={formatRoute({ screen: "create", namespace: filters.namespace })}>
            Create vcluster
          </a>
        ) : null}
      </div>
      <ListFiltersForm
        filters={filters}
        pageSize={pageSize}
        pageSizes={PAGE_SIZES}
        onApply={(next, size) => {
          setPageSize(size);
          app.navigate(formatRoute({ screen: "list", filters: next }));
        }}
      />
      <LivePage key={`${filters.namespace}|${filters.selector}|${filters.phase}|${pageSize}`} filters={filters} pageSize={pageSize} filtered={filtered} />
    </section>
  );
}

/** Where a page starts: its token, and the last vcluster of the page before it. */
interface PageRef {
  token: string;
  after: Key | null;
}

function LivePage({ filters, pageSize, filtered }: { filters: ListFilters; pageSize: number; filtered: boolean }) {
  const app = useApp();
  const { client, fail } = app;
  const [stack, setStack] = useState<PageRef[]>([{ token: "", after: null }]);
  const [live, setLive] = useState<LiveList | null>(null);
  const [next, setNext] = useState<PageRef | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [watchEnded, setWatchEnded] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const current = stack[stack.length - 1]!;
  const phase = phaseFilter(filters.phase);

  useEffect(() => {
    let cancelled = false;
    const watch = client.watchVClusters(filters.namespace, { labelSelector: filters.selector });
    setError(null);
    setWatchEnded(null);
    void (async () => {
      let items: readonly VCluster[];
      let nextPageToken: string;
      try {
        const pager = client.listVClusters(filters.namespace, {
          labelSelector: filters.selector,
          phase,
          pageSize,
        });
        ({ items, nextPageToken } = await pager.page(current.token));
      } catch (reason) {
        if (!cancelled) setError(fail(reason));
        return;
      }
      if (cancelled) return;
      const last = items[items.length - 1];
      const upTo = nextPageToken === "" ? null : last === undefined ? current.after : { namespace: last.namespace, name: last.name };
      setNext(nextPageToken === "" ? null : { token: nextPageToken, after: upTo });
      setLive(newLiveList(items, { after: current.after, upTo }, phase));
      const ended = await followWatch(
        watch,
        () => cancelled,
        (event) => setLive((list) => (list === null ? list : applyWatchEvent(list, event))),
        fail,
      );
      if (ended !== null) setWatchEnded(ended);
    })();
    return () => {
      cancelled = true;
      watch.cancel();
    };
  }, [client, current, attempt]);

  if (error !== null) {
    return (
      <>
        <ErrorPanel error={error} title="Could not list the vclusters" />
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </>
    );
  }
  if (live === null) return <p role="status">Loading vclusters…</p>;
  return (
    <>
      {watchEnded !== null ? <WatchBanner reason={watchEnded} onReconnect={() => setAttempt((n) => n + 1)} /> : null}
      <p class="live-state" role="status">
        {watchEnded !== null ? "Not live" : live.synced ? "Live: changes appear as they happen." : "Starting live updates…"}
      </p>
      {live.items.length === 0 ? (
        <EmptyState filtered={filtered || stack.length > 1} namespace={filters.namespace} />
      ) : (
        <VClusterTable items={live.items} />
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={stack.length === 1} onClick={() => setStack((s) => s.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {stack.length}</span>
        <button type="button" class="secondary" disabled={next === null} onClick={() => next && setStack((s) => [...s, next])}>
          Next page
        </button>
      </nav>
    </>
  );
}

function VClusterTable({ items }: { items: readonly VCluster[] }) {
  const { now } = useApp();
  return (
    <div class="table-wrap">
      <table class="vclusters">
        <caption class="visually-hidden">VClusters</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Namespace</th>
            <th scope="col">Phase</th>
            <th scope="col">Kubernetes</th>
            <th scope="col">CPU / memory</th>
            <th scope="col">Replicas</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {items.map((vc) => (
            <tr key={`${vc.namespace}/${vc.name}`} data-vcluster={`${vc.namespace}/${vc.name}`}>
              <th scope="row" data-label="Name">
                <span class="name-cell">
                  <a href={detailHref(vc.namespace, vc.name)}>{vc.name}</a>
                  <LifecycleBadges vcluster={vc} now={now} />
                </span>
              </th>
              <td data-label="Namespace">{vc.namespace}</td>
              <td data-label="Phase">
                <PhaseChip phase={vc.status?.phase ?? VCluster_Phase.UNSPECIFIED} message={vc.status?.message} />
              </td>
              <td data-label="Kubernetes">{vc.spec?.kubernetesVersion || "—"}</td>
              <td data-label="CPU / memory">
                {formatCpu(vc.spec?.resources?.cpu)} · {formatMemory(vc.spec?.resources?.memory)}
              </td>
              <td data-label="Replicas">{vc.spec?.replicas ?? "—"}</td>
              <td data-label="Age">
                <time dateTime={toDate(vc.createTime)?.toISOString()}>{formatAge(toDate(vc.createTime), now)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A small "Sleeps" badge for a vcluster with a sleep schedule and an
 * "Expires in 5d" (or "Expired") one for a vcluster with an expiry; the
 * details are the hover title and, since a title alone is not announced
 * reliably, text for screen readers, as on phase chips.
 */
function LifecycleBadges({ vcluster, now }: { vcluster: VCluster; now: Date }) {
  const schedule = formatSchedule(vcluster.spec?.sleepSchedule);
  const expire = toDate(vcluster.spec?.expireTime);
  if (schedule === "" && expire === undefined) return null;
  const expired = expire !== undefined && expire.getTime() <= now.getTime();
  return (
    <>
      {schedule ? (
        <span class="badge" title={schedule} data-badge="sleeps">
          Sleeps<span class="visually-hidden">: {schedule}</span>
        </span>
      ) : null}
      {expire ? (
        <span class={`badge${expired ? " badge-bad" : ""}`} title={formatTime(expire)} data-badge="expires">
          {expiryHint(expire, now)}
          <span class="visually-hidden">: {formatTime(expire)}</span>
        </span>
      ) : null}
    </>
  );
}

function EmptyState({ filtered, namespace }: { filtered: boolean; namespace: string }) {
  const app = useApp();
  if (filtered) return <p class="empty">No vcluster matches these filters.</p>;
  return (
    <div class="empty">
      <h2>No vclusters yet</h2>
      {canEdit(app.role) ? (
        <p>
          <a href={formatRoute({ screen: "create", namespace })}>Create a vcluster</a> with the form, or from a terminal:
        </p>
      ) : (
        <p>Your token can only read. Someone with an editor token can create one from a terminal:</p>
      )}
      <pre>
        <code>ovc create -n {namespace || "default"} dev --wait</code>
      </pre>
    </div>
  );
}

// A phase typed by hand into the address may be unknown: show every phase then.
function phaseFilter(name: string): VCluster_Phase {
  if (name === "") return VCluster_Phase.UNSPECIFIED;
  try {
    return toPhase(name);
  } catch {
    return VCluster_Phase.UNSPECIFIED;
  }
}
