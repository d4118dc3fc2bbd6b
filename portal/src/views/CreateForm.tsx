import { useState } from "preact/hooks";
import { NetworkSpec_ExposeType, phaseName, VCluster_Phase, VClusterSpec_Distro, type VClusterSpecInit } from "@open-vcluster/sdk/browser";

import { canEdit } from "../actions.js";
import { useApp } from "../app-context.js";
import { violationsOf, type ShownError } from "../errors.js";
import { parseLabels } from "../labels.js";
import { detailHref } from "../route.js";
import { localTimestamp, scheduleOf } from "../schedule.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { CheckField, describedBy, Field } from "./Field.js";

/** The form's fields by the path the server names in its field violations. */
const FIELD_LABELS: Record<string, string> = {
  namespace: "Namespace",
  name: "Name",
  labels: "Labels",
  "spec.kubernetes_version": "Kubernetes version",
  "spec.distro": "Distribution",
  "spec.resources.cpu": "CPU",
  "spec.resources.memory": "Memory",
  "spec.resources.storage": "Ephemeral storage",
  "spec.replicas": "Control-plane replicas",
  "spec.enable_ha": "High availability",
  "spec.network.service_cidr": "Service CIDR",
  "spec.network.expose_type": "Expose the API server",
  "spec.storage.persistence": "Persistent state",
  "spec.storage.size": "Volume size",
  "spec.storage.storage_class": "Storage class",
  "spec.sleep_schedule": "Sleep schedule",
  "spec.sleep_schedule.suspend_cron": "Suspend (cron)",
  "spec.sleep_schedule.resume_cron": "Resume (cron)",
  "spec.sleep_schedule.time_zone": "Time zone",
  "spec.expire_time": "Expires at",
  "spec.delete_snapshots_on_expiry": "Delete its snapshots when it expires",
};

const LABELS_HINT = "key=value, one a line or comma-separated.";
const EXPIRE_HINT = "Your local time; the vcluster is deleted then. Empty: never.";

interface FormState {
  namespace: string;
  name: string;
  labels: string;
  kubernetesVersion: string;
  distro: string;
  cpu: string;
  memory: string;
  storage: string;
  replicas: string;
  enableHa: boolean;
  deletionProtection: boolean;
  serviceCidr: string;
  exposeType: string;
  persistence: boolean;
  storageSize: string;
  storageClass: string;
  suspendCron: string;
  resumeCron: string;
  timeZone: string;
  expireAt: string;
  deleteSnapshotsOnExpiry: boolean;
}

/**
 * The create form: every field of VClusterSpec, pre-filled with the
 * defaults the server reported, checked by the server itself ("Check" is a
 * validate_only create), its field violations shown next to each field.
 */
export function CreateForm({ namespace }: { namespace: string }) {
  const app = useApp();
  const { info } = app;
  const defaults = info.specDefaults;
  const granted = info.caller?.allNamespaces === false ? info.caller.namespaces : null;
  const [form, setForm] = useState<FormState>(() => ({
    namespace: namespace || granted?.[0] || "default",
    name: "",
    labels: "",
    kubernetesVersion: defaults?.kubernetesVersion || info.kubernetesVersions.at(-1) || "",
    distro: String(defaults?.distro || VClusterSpec_Distro.K8S),
    cpu: defaults?.resources?.cpu ?? "",
    memory: defaults?.resources?.memory ?? "",
    storage: defaults?.resources?.storage ?? "",
    replicas: String(defaults?.replicas || 1),
    enableHa: defaults?.enableHa ?? false,
    deletionProtection: false,
    serviceCidr: defaults?.network?.serviceCidr ?? "",
    exposeType: String(defaults?.network?.exposeType || NetworkSpec_ExposeType.CLUSTER_IP),
    persistence: defaults?.storage?.persistence ?? true,
    storageSize: defaults?.storage?.size ?? "",
    storageClass: defaults?.storage?.storageClass ?? "",
    suspendCron: "",
    resumeCron: "",
    timeZone: "",
    expireAt: "",
    deleteSnapshotsOnExpiry: false,
  }));
  const [error, setError] = useState<ShownError | null>(null);
  const [checked, setChecked] = useState("");
  const [busy, setBusy] = useState(false);

  if (!canEdit(app.role)) {
    return (
      <section>
        <h1>Create a vcluster</h1>
        <p>Your token is a viewer's: it can read vclusters but not create them.</p>
      </section>
    );
  }

  const set = <K extends keyof FormState>(key: K, value: FormState[K]): void => {
    setForm((f) => ({ ...f, [key]: value }));
    setChecked("");
  };

  const submit = async (validateOnly: boolean): Promise<void> => {
    setBusy(true);
    setChecked("");
    const target = `${form.namespace}/${form.name}`;
    const outcome = await app.run(
      validateOnly ? "Check create" : "Create",
      target,
      () => app.client.createVCluster(form.namespace.trim(), form.name.trim(), { spec: specOf(form), labels: parseLabels(form.labels), validateOnly }),
      (vc) => (validateOnly ? "valid" : phaseName(vc.status?.phase ?? VCluster_Phase.UNSPECIFIED)),
    );
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.error);
      document.getElementById("create-errors")?.focus();
      return;
    }
    setError(null);
    if (validateOnly) setChecked("Valid: the server would create this vcluster as it is.");
    else app.navigate(detailHref(outcome.value.namespace, outcome.value.name));
  };

  const problem = (field: string): string => violationsOf(error, field);
  const text = (id: string, key: keyof FormState, field: string, label: string, hint?: string) => (
    <Field id={id} label={label} hint={hint} problem={problem(field)}>
      <input
        id={id}
        value={form[key] as string}
        spellcheck={false}
        aria-invalid={problem(field) ? "true" : undefined}
        aria-describedby={describedBy(id, hint, problem(field))}
        onInput={(event) => set(key, event.currentTarget.value as never)}
      />
    </Field>
  );

  return (
    <section>
      <h1>Create a vcluster</h1>
      <p>The fields start at the server's defaults. "Check" asks the server whether it would accept them, creating nothing.</p>
      <div id="create-errors" tabIndex={-1}>
        {error ? <ErrorPanel error={error} title="The server did not accept this vcluster" fieldLabels={FIELD_LABELS} /> : null}
      </div>
      <form
        class="create"
        aria-label="New vcluster"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(false);
        }}
      >
        <fieldset>
          <legend>Identity</legend>
          <Field id="create-namespace" label="Namespace" problem={problem("namespace")}>
            {granted !== null ? (
              <select
                id="create-namespace"
                value={form.namespace}
                aria-describedby={describedBy("create-namespace", undefined, problem("namespace"))}
                onChange={(event) => set("namespace", event.currentTarget.value)}
              >
                {granted.map((ns) => (
                  <option key={ns} value={ns}>
                    {ns}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id="create-namespace"
                value={form.namespace}
                spellcheck={false}
                aria-invalid={problem("namespace") ? "true" : undefined}
                aria-describedby={describedBy("create-namespace", undefined, problem("namespace"))}
                onInput={(event) => set("namespace", event.currentTarget.value)}
              />
            )}
          </Field>
          {text("create-name", "name", "name", "Name", "Lower-case letters, digits and '-', at most 63 characters.")}
          <Field id="create-labels" label="Labels" hint={LABELS_HINT} problem={problem("labels")} wide>
            <textarea
              id="create-labels"
              rows={2}
              value={form.labels}
              spellcheck={false}
              aria-invalid={problem("labels") ? "true" : undefined}
              aria-describedby={describedBy("create-labels", LABELS_HINT, problem("labels"))}
              onInput={(event) => set("labels", event.currentTarget.value)}
            />
          </Field>
        </fieldset>
        <fieldset>
          <legend>Control plane</legend>
          <Field id="create-version" label="Kubernetes version" problem={problem("spec.kubernetes_version")}>
            <select
              id="create-version"
              value={form.kubernetesVersion}
              aria-describedby={describedBy("create-version", undefined, problem("spec.kubernetes_version"))}
              onChange={(event) => set("kubernetesVersion", event.currentTarget.value)}
            >
              {info.kubernetesVersions.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
          <Field id="create-distro" label="Distribution" problem={problem("spec.distro")}>
            <select id="create-distro" value={form.distro} onChange={(event) => set("distro", event.currentTarget.value)}>
              <option value={String(VClusterSpec_Distro.K8S)}>Kubernetes (k8s)</option>
              <option value={String(VClusterSpec_Distro.K3S)}>k3s</option>
              <option value={String(VClusterSpec_Distro.K0S)}>k0s</option>
            </select>
          </Field>
          {text("create-replicas", "replicas", "spec.replicas", "Control-plane replicas", "1 to 5; high availability needs an odd count of at least 3.")}
          <CheckField id="create-ha" label="High availability" checked={form.enableHa} onChange={(checked) => set("enableHa", checked)} />
          <CheckField id="create-protection" label="Deletion protection" checked={form.deletionProtection} onChange={(checked) => set("deletionProtection", checked)} />
        </fieldset>
        <fieldset>
          <legend>Resources</legend>
          {text("create-cpu", "cpu", "spec.resources.cpu", "CPU", 'A quantity such as "500m" or "2".')}
          {text("create-memory", "memory", "spec.resources.memory", "Memory", 'Such as "512Mi" or "4Gi".')}
          {text("create-storage", "storage", "spec.resources.storage", "Ephemeral storage", 'Such as "10Gi".')}
        </fieldset>
        <fieldset>
          <legend>Network and storage</legend>
          <Field id="create-expose" label="Expose the API server" problem={problem("spec.network.expose_type")}>
            <select id="create-expose" value={form.exposeType} onChange={(event) => set("exposeType", event.currentTarget.value)}>
              <option value={String(NetworkSpec_ExposeType.CLUSTER_IP)}>Inside the host cluster (ClusterIP)</option>
              <option value={String(NetworkSpec_ExposeType.NODE_PORT)}>Node port</option>
              <option value={String(NetworkSpec_ExposeType.LOAD_BALANCER)}>Load balancer</option>
              <option value={String(NetworkSpec_ExposeType.INGRESS)}>Ingress</option>
            </select>
          </Field>
          {text("create-cidr", "serviceCidr", "spec.network.service_cidr", "Service CIDR")}
          <CheckField id="create-persistence" label="Keep the control-plane state on a persistent volume" checked={form.persistence} onChange={(checked) => set("persistence", checked)} />
          {text("create-volume", "storageSize", "spec.storage.size", "Volume size")}
          {text("create-class", "storageClass", "spec.storage.storage_class", "Storage class", "Empty: the host cluster's default.")}
        </fieldset>
        <fieldset>
          <legend>Sleep and expiry</legend>
          {text("create-suspend", "suspendCron", "spec.sleep_schedule.suspend_cron", "Suspend (cron)", 'Five cron fields, such as "0 19 * * 1-5" (19:00 on weekdays). Empty: never.')}
          {text("create-resume", "resumeCron", "spec.sleep_schedule.resume_cron", "Resume (cron)", 'Such as "0 7 * * 1-5". Empty: its users resume it.')}
          {text("create-zone", "timeZone", "spec.sleep_schedule.time_zone", "Time zone", 'Of the crons, such as "Europe/Berlin". Empty: UTC.')}
          <Field id="create-expire" label="Expires at" hint={EXPIRE_HINT} problem={problem("spec.expire_time")}>
            <input
              id="create-expire"
              type="datetime-local"
              value={form.expireAt}
              aria-invalid={problem("spec.expire_time") ? "true" : undefined}
              aria-describedby={describedBy("create-expire", EXPIRE_HINT, problem("spec.expire_time"))}
              onInput={(event) => set("expireAt", event.currentTarget.value)}
            />
          </Field>
          <CheckField
            id="create-expiry-snapshots"
            label="Delete its snapshots when it expires"
            checked={form.deleteSnapshotsOnExpiry}
            onChange={(checked) => set("deleteSnapshotsOnExpiry", checked)}
          />
        </fieldset>
        <div class="buttons">
          <button type="button" class="secondary" disabled={busy} onClick={() => void submit(true)}>
            Check
          </button>
          <button type="submit" disabled={busy}>
            Create
          </button>
        </div>
        <p role="status" class="checked">
          {checked}
        </p>
      </form>
    </section>
  );
}

/** The spec the form describes; empty text fields are left to the server's defaults, and no cron means no schedule. */
function specOf(form: FormState): VClusterSpecInit {
  return {
    kubernetesVersion: form.kubernetesVersion,
    distro: Number(form.distro),
    resources: { cpu: form.cpu.trim(), memory: form.memory.trim(), storage: form.storage.trim() },
    replicas: Number.parseInt(form.replicas, 10) || 0,
    enableHa: form.enableHa,
    deletionProtection: form.deletionProtection,
    network: { serviceCidr: form.serviceCidr.trim(), exposeType: Number(form.exposeType) },
    storage: { persistence: form.persistence, size: form.storageSize.trim(), storageClass: form.storageClass.trim() },
    sleepSchedule: scheduleOf(form.suspendCron, form.resumeCron, form.timeZone),
    expireTime: localTimestamp(form.expireAt),
    deleteSnapshotsOnExpiry: form.deleteSnapshotsOnExpiry,
  };
}
