import { useEffect, useState } from "preact/hooks";
import { phaseName, VCluster_Phase, WatchVClustersResponse_EventType, type VCluster } from "@open-vcluster/sdk/browser";

import { canEdit, type ActionId } from "../actions.js";
import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";
import { followWatch } from "../follow-watch.js";
import { detailHref, formatRoute, NO_FILTERS, type DetailTab } from "../route.js";
import { AccessTab } from "./AccessTab.js";
import { ActionBar } from "./ActionBar.js";
import { ConfirmDelete } from "./ConfirmDelete.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { OverviewTab } from "./OverviewTab.js";
import { PhaseChip } from "./PhaseChip.js";
import { RestoreDialog } from "./RestoreDialog.js";
import { EditDialog } from "./EditDialog.js";
import { ScaleDialog } from "./ScaleDialog.js";
import { SnapshotsTab } from "./SnapshotsTab.js";
import { useSnapshots } from "./use-snapshots.js";
import { WatchBanner } from "./WatchBanner.js";

type Open = { dialog: "scale" } | { dialog: "edit" } | { dialog: "delete" } | { dialog: "restore"; snapshot: string } | null;

/**
 * One vcluster: its phase kept live by a watch of that name, its actions
 * (each disabled, with the reason, in phases the contract refuses it), and
 * the Overview, Snapshots and Access tabs.
 */
export function VClusterDetail({ namespace, name, tab }: { namespace: string; name: string; tab: DetailTab }) {
  const app = useApp();
  const { client, fail } = app;
  const [vcluster, setVCluster] = useState<VCluster | undefined>(undefined);
  const [gone, setGone] = useState<"missing" | "deleted" | null>(null);
  const [watchEnded, setWatchEnded] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [open, setOpen] = useState<Open>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState("");
  const [actionError, setActionError] = useState<ShownError | null>(null);
  const snapshots = useSnapshots(namespace, name);
  const target = `${namespace}/${name}`;
  const editor = canEdit(app.role);

  useEffect(() => {
    let cancelled = false;
    const watch = client.watchVClusters(namespace, { name });
    setWatchEnded(null);
    void (async () => {
      let seen = false;
      const ended = await followWatch(
        watch,
        () => cancelled,
        (event) => {
          if (event.type === WatchVClustersResponse_EventType.SYNCED) {
            if (!seen) setGone("missing");
          } else if (event.type === WatchVClustersResponse_EventType.DELETED) {
            setGone("deleted");
          } else if (event.vcluster !== undefined) {
            seen = true;
            setGone(null);
            setVCluster(event.vcluster);
          }
        },
        fail,
      );
      if (ended !== null) setWatchEnded(ended);
    })();
    return () => {
      cancelled = true;
      watch.cancel();
    };
  }, [client, namespace, name, attempt]);

  const act = async <T,>(what: string, operation: () => Promise<T>, summary: (value: T) => string): Promise<boolean> => {
    setBusy(true);
    setActionError(null);
    setNote("");
    const outcome = await app.run(what, target, operation, summary);
    setBusy(false);
    if (outcome.ok) setNote(`${what}: ${summary(outcome.value)}`);
    else setActionError(outcome.error);
    return outcome.ok;
  };
  const phaseOf = (vc: VCluster): string => phaseName(vc.status?.phase ?? VCluster_Phase.UNSPECIFIED);

  const onAction = (action: ActionId): void => {
    switch (action) {
      case "suspend":
        void act("Suspend", () => client.suspendVCluster(namespace, name), (vc) => `now ${phaseOf(vc)}`);
        return;
      case "resume":
        void act("Resume", () => client.resumeVCluster(namespace, name), (vc) => `now ${phaseOf(vc)}`);
        return;
      case "snapshot":
        void act("Take snapshot", () => client.snapshotVCluster(namespace, name), (s) => `snapshot ${s.name} started`).then(
          (ok) => ok && snapshots.reload(),
        );
        return;
      case "scale":
      case "edit":
      case "delete":
        setOpen({ dialog: action });
        return;
      case "restore":
        setOpen({ dialog: "restore", snapshot: "" });
        return;
      case "kubeconfig":
        app.navigate(detailHref(namespace, name, "access"));
    }
  };

  const restore = async (snapshot: string, targetName: string): Promise<ShownError | null> => {
    const outcome = await app.run(
      "Restore",
      targetName ? `${namespace}/${snapshot} → ${targetName}` : `${namespace}/${snapshot} → ${name}`,
      () => client.restoreVCluster(namespace, snapshot, { targetName }),
      (vc) => `${vc.name} now ${phaseOf(vc)}`,
    );
    if (!outcome.ok) return outcome.error;
    setOpen(null);
    if (targetName) app.navigate(detailHref(namespace, targetName));
    else setNote(`Restore: ${name} now ${phaseOf(outcome.value)}`);
    return null;
  };

  const remove = async (deleteSnapshots: boolean): Promise<void> => {
    const ok = await act("Delete", () => client.deleteVCluster(namespace, name, { deleteSnapshots }), (vc) => `now ${phaseOf(vc)}`);
    setOpen(null);
    if (ok) app.navigate(formatRoute({ screen: "list", filters: { ...NO_FILTERS, namespace } }));
  };

  const tabs: [DetailTab, string][] = [
    ["overview", "Overview"],
    ["snapshots", "Snapshots"],
  ];
  if (editor) tabs.push(["access", "Access"]);
  const phase = vcluster?.status?.phase ?? VCluster_Phase.UNSPECIFIED;

  return (
    <section class="detail">
      <p class="breadcrumb">
        <a href={formatRoute({ screen: "list", filters: { ...NO_FILTERS, namespace } })}>VClusters in {namespace}</a>
      </p>
      <div class="heading-row">
        <h1>{name}</h1>
        {vcluster !== undefined && gone === null ? <PhaseChip phase={phase} message={vcluster.status?.message} /> : null}
      </div>
      {watchEnded !== null ? <WatchBanner reason={watchEnded} onReconnect={() => setAttempt((n) => n + 1)} /> : null}
      {gone !== null ? (
        <div class="notice" role="status">
          {gone === "deleted" ? "This vcluster has been deleted." : `There is no vcluster ${name} in ${namespace} (or your token may not see it).`}{" "}
          <a href={formatRoute({ screen: "list", filters: { ...NO_FILTERS, namespace } })}>Back to the list</a>
        </div>
      ) : null}
      {vcluster === undefined && gone === null && watchEnded === null ? <p role="status">Loading…</p> : null}
      {vcluster !== undefined && gone === null ? (
        <>
          <ActionBar phase={phase} deletionProtection={vcluster.spec?.deletionProtection ?? false} role={app.role} busy={busy} onAction={onAction} />
          <p class="action-note" role="status">
            {note}
          </p>
          {actionError ? <ErrorPanel error={actionError} /> : null}
          <nav class="tabs" aria-label="Sections">
            <ul>
              {tabs.map(([id, label]) => (
                <li key={id}>
                  <a href={detailHref(namespace, name, id)} aria-current={tab === id ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {tab === "overview" ? <OverviewTab vcluster={vcluster} /> : null}
          {tab === "snapshots" ? (
            <SnapshotsTab
              vcluster={vcluster}
              snapshots={snapshots}
              busy={busy}
              onTake={() => onAction("snapshot")}
              onRestore={(snapshot) => setOpen({ dialog: "restore", snapshot })}
            />
          ) : null}
          {tab === "access" && editor ? <AccessTab vcluster={vcluster} /> : null}
          {tab === "access" && !editor ? <p>Kubeconfigs grant admin access, so only editors may read them.</p> : null}
        </>
      ) : null}
      {open?.dialog === "scale" && vcluster !== undefined ? <ScaleDialog vcluster={vcluster} onClose={() => setOpen(null)} /> : null}
      {open?.dialog === "edit" && vcluster !== undefined ? <EditDialog vcluster={vcluster} onClose={() => setOpen(null)} /> : null}
      {open?.dialog === "delete" ? <ConfirmDelete name={name} onConfirm={remove} onClose={() => setOpen(null)} /> : null}
      {open?.dialog === "restore" ? (
        <RestoreDialog
          name={name}
          phase={gone === null && vcluster !== undefined ? phase : null}
          snapshots={snapshots.items ?? []}
          initial={open.snapshot}
          onRestore={restore}
          onClose={() => setOpen(null)}
        />
      ) : null}
    </section>
  );
}
