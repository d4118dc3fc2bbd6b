import { useState } from "preact/hooks";
import { VCluster_Phase, type VCluster } from "@open-vcluster/sdk/browser";

import { useApp } from "../app-context.js";
import { violationsOf } from "../errors.js";
import { formatLabels } from "../format.js";
import { parseLabels } from "../labels.js";
import { Dialog, DialogButtons } from "./Dialog.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { CheckField, describedBy, Field } from "./Field.js";
import { useDialogCall } from "./use-dialog-call.js";

const FIELD_LABELS = {
  "vcluster.labels": "Labels",
  "vcluster.spec.kubernetes_version": "Kubernetes version",
  update_mask: "Changes",
};
const VERSION_HINT = "An upgrade goes one minor version at a time, or to a newer patch; only a running vcluster is upgraded.";

/**
 * Changes labels, deletion protection or the Kubernetes version (an
 * upgrade, through UPGRADING). Only what differs from the vcluster is
 * sent, so the update names exactly the fields the person changed.
 */
export function EditDialog({ vcluster, onClose }: { vcluster: VCluster; onClose: () => void }) {
  const app = useApp();
  const current = {
    labels: formatLabels(vcluster.labels).join(", "),
    protection: vcluster.spec?.deletionProtection ?? false,
    version: vcluster.spec?.kubernetesVersion ?? "",
  };
  const [labels, setLabels] = useState(current.labels);
  const [protection, setProtection] = useState(current.protection);
  const [version, setVersion] = useState(current.version);
  const { busy, error, run } = useDialogCall(onClose);
  const running = vcluster.status?.phase === VCluster_Phase.RUNNING;
  const versions = app.info.kubernetesVersions.includes(current.version)
    ? app.info.kubernetesVersions
    : [current.version, ...app.info.kubernetesVersions];

  const submit = async (): Promise<void> => {
    const changes = {
      labels: labels === current.labels ? undefined : parseLabels(labels),
      deletionProtection: protection === current.protection ? undefined : protection,
      kubernetesVersion: version === current.version ? undefined : version,
    };
    await run(
      "Update",
      `${vcluster.namespace}/${vcluster.name}`,
      () => app.client.updateVCluster(vcluster.namespace, vcluster.name, changes),
      (vc) => `Kubernetes ${vc.spec?.kubernetesVersion}, protection ${vc.spec?.deletionProtection ? "on" : "off"}`,
    );
  };

  const problem = (field: string): string => violationsOf(error, field);
  return (
    <Dialog title={`Edit ${vcluster.name}`} onClose={onClose} id="edit">
      {error ? <ErrorPanel error={error} title="The update was refused" fieldLabels={FIELD_LABELS} /> : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field id="edit-labels" label="Labels" hint="key=value, comma-separated; these replace every label." problem={problem("vcluster.labels")}>
          <input
            id="edit-labels"
            value={labels}
            aria-describedby={describedBy("edit-labels", "key=value, comma-separated; these replace every label.", problem("vcluster.labels"))}
            onInput={(event) => setLabels(event.currentTarget.value)}
          />
        </Field>
        <CheckField id="edit-protection" label="Deletion protection (delete is refused while it is on)" checked={protection} onChange={setProtection} />
        <Field id="edit-version" label="Kubernetes version" hint={VERSION_HINT} problem={problem("vcluster.spec.kubernetes_version")}>
          <select
            id="edit-version"
            value={version}
            disabled={!running}
            aria-describedby={describedBy("edit-version", VERSION_HINT, problem("vcluster.spec.kubernetes_version"))}
            onChange={(event) => setVersion(event.currentTarget.value)}
          >
            {versions.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </Field>
        <DialogButtons submit="Save" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
