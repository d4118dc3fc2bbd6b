import { useState } from "preact/hooks";
import { VCluster_Phase, type VCluster } from "@open-vcluster/sdk/browser";

import { useApp } from "../app-context.js";
import { violationsOf } from "../errors.js";
import { formatLabels, toDate } from "../format.js";
import { parseLabels } from "../labels.js";
import { localInputValue, localTimestamp, scheduleOf } from "../schedule.js";
import { Dialog, DialogButtons } from "./Dialog.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { CheckField, describedBy, Field } from "./Field.js";
import { useDialogCall } from "./use-dialog-call.js";

const FIELD_LABELS = {
  "vcluster.labels": "Labels",
  "vcluster.spec.kubernetes_version": "Kubernetes version",
  "vcluster.spec.sleep_schedule": "Sleep schedule",
  "vcluster.spec.sleep_schedule.suspend_cron": "Suspend (cron)",
  "vcluster.spec.sleep_schedule.resume_cron": "Resume (cron)",
  "vcluster.spec.sleep_schedule.time_zone": "Time zone",
  "vcluster.spec.expire_time": "Expires at",
  update_mask: "Changes",
};
const VERSION_HINT = "An upgrade goes one minor version at a time, or to a newer patch; only a running vcluster is upgraded.";
const SCHEDULE_HINT = 'Crons of five fields, such as "0 19 * * 1-5", read in the time zone (empty: UTC). Both crons empty: no schedule.';
const EXPIRE_HINT = "Your local time; the vcluster is deleted then (at once if it is past). Empty: never.";
/** The empty Timestamp: named in the update mask, it clears the expiry, as an empty value clears any named field. */
const NO_EXPIRY = { seconds: 0n, nanos: 0 };

/**
 * Changes labels, deletion protection, the Kubernetes version (an
 * upgrade, through UPGRADING), the sleep schedule or the expiry. Only what
 * differs from the vcluster is sent, so the update names exactly the
 * fields the person changed.
 */
export function EditDialog({ vcluster, onClose }: { vcluster: VCluster; onClose: () => void }) {
  const app = useApp();
  const current = {
    labels: formatLabels(vcluster.labels).join(", "),
    protection: vcluster.spec?.deletionProtection ?? false,
    version: vcluster.spec?.kubernetesVersion ?? "",
    suspendCron: vcluster.spec?.sleepSchedule?.suspendCron ?? "",
    resumeCron: vcluster.spec?.sleepSchedule?.resumeCron ?? "",
    timeZone: vcluster.spec?.sleepSchedule?.timeZone ?? "",
    expireAt: localInputValue(toDate(vcluster.spec?.expireTime)),
    deleteSnapshots: vcluster.spec?.deleteSnapshotsOnExpiry ?? false,
  };
  const [labels, setLabels] = useState(current.labels);
  const [protection, setProtection] = useState(current.protection);
  const [version, setVersion] = useState(current.version);
  const [suspendCron, setSuspendCron] = useState(current.suspendCron);
  const [resumeCron, setResumeCron] = useState(current.resumeCron);
  const [timeZone, setTimeZone] = useState(current.timeZone);
  const [expireAt, setExpireAt] = useState(current.expireAt);
  const [deleteSnapshots, setDeleteSnapshots] = useState(current.deleteSnapshots);
  const { busy, error, run } = useDialogCall(onClose);
  const running = vcluster.status?.phase === VCluster_Phase.RUNNING;
  const versions = app.info.kubernetesVersions.includes(current.version)
    ? app.info.kubernetesVersions
    : [current.version, ...app.info.kubernetesVersions];

  // An expiry set elsewhere to the second keeps its seconds: with the default step (a minute) the input would call it invalid.
  const expiryHasSeconds = current.expireAt.length > "2030-01-10T19:30".length;
  const scheduleChanged =
    suspendCron.trim() !== current.suspendCron || resumeCron.trim() !== current.resumeCron || timeZone.trim() !== current.timeZone;

  const submit = async (): Promise<void> => {
    const changes = {
      labels: labels === current.labels ? undefined : parseLabels(labels),
      deletionProtection: protection === current.protection ? undefined : protection,
      kubernetesVersion: version === current.version ? undefined : version,
      sleepSchedule: scheduleChanged ? (scheduleOf(suspendCron, resumeCron, timeZone) ?? {}) : undefined,
      expireTime: expireAt === current.expireAt ? undefined : expireAt === "" ? NO_EXPIRY : localTimestamp(expireAt),
      deleteSnapshotsOnExpiry: deleteSnapshots === current.deleteSnapshots ? undefined : deleteSnapshots,
    };
    await run(
      "Update",
      `${vcluster.namespace}/${vcluster.name}`,
      () => app.client.updateVCluster(vcluster.namespace, vcluster.name, changes),
      (vc) => `Kubernetes ${vc.spec?.kubernetesVersion}, protection ${vc.spec?.deletionProtection ? "on" : "off"}`,
    );
  };

  const problem = (field: string): string => violationsOf(error, field);
  // A cron or zone field: the schedule's hint describes all three.
  const text = (id: string, label: string, value: string, onValue: (value: string) => void, field: string) => (
    <Field id={id} label={label} problem={problem(field)}>
      <input
        id={id}
        value={value}
        spellcheck={false}
        aria-invalid={problem(field) ? "true" : undefined}
        aria-describedby={["edit-schedule-hint", describedBy(id, undefined, problem(field))].filter(Boolean).join(" ")}
        onInput={(event) => onValue(event.currentTarget.value)}
      />
    </Field>
  );
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
        <fieldset>
          <legend>Sleep and expiry</legend>
          <p class="hint" id="edit-schedule-hint">
            {SCHEDULE_HINT}
          </p>
          {text("edit-suspend", "Suspend (cron)", suspendCron, setSuspendCron, "vcluster.spec.sleep_schedule.suspend_cron")}
          {text("edit-resume", "Resume (cron)", resumeCron, setResumeCron, "vcluster.spec.sleep_schedule.resume_cron")}
          {text("edit-zone", "Time zone", timeZone, setTimeZone, "vcluster.spec.sleep_schedule.time_zone")}
          <Field id="edit-expire" label="Expires at" hint={EXPIRE_HINT} problem={problem("vcluster.spec.expire_time")}>
            <input
              id="edit-expire"
              type="datetime-local"
              step={expiryHasSeconds ? 1 : undefined}
              value={expireAt}
              aria-invalid={problem("vcluster.spec.expire_time") ? "true" : undefined}
              aria-describedby={describedBy("edit-expire", EXPIRE_HINT, problem("vcluster.spec.expire_time"))}
              onInput={(event) => setExpireAt(event.currentTarget.value)}
            />
          </Field>
          <CheckField id="edit-expiry-snapshots" label="Delete its snapshots when it expires" checked={deleteSnapshots} onChange={setDeleteSnapshots} />
        </fieldset>
        <DialogButtons submit="Save" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
