import { useState } from "preact/hooks";
import type { VCluster } from "@open-vcluster/sdk/browser";

import { useApp } from "../app-context.js";
import { violationsOf } from "../errors.js";
import { Dialog, DialogButtons } from "./Dialog.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { CheckField, describedBy, Field } from "./Field.js";
import { useDialogCall } from "./use-dialog-call.js";

const FIELD_LABELS = { replicas: "Replicas", "resources.cpu": "CPU", "resources.memory": "Memory", enable_ha: "High availability" };

/** Changes replicas, CPU, memory or high availability; what is unchanged is not sent. */
export function ScaleDialog({ vcluster, onClose }: { vcluster: VCluster; onClose: () => void }) {
  const app = useApp();
  const spec = vcluster.spec;
  const [replicas, setReplicas] = useState(String(spec?.replicas ?? 1));
  const [cpu, setCpu] = useState(spec?.resources?.cpu ?? "");
  const [memory, setMemory] = useState(spec?.resources?.memory ?? "");
  const [enableHa, setEnableHa] = useState(spec?.enableHa ?? false);
  const { busy, error, run } = useDialogCall(onClose);

  const submit = async (): Promise<void> => {
    const changes = {
      replicas: Number.parseInt(replicas, 10) === spec?.replicas ? undefined : Number.parseInt(replicas, 10) || -1,
      cpu: cpu.trim() === spec?.resources?.cpu ? undefined : cpu.trim(),
      memory: memory.trim() === spec?.resources?.memory ? undefined : memory.trim(),
      enableHa: enableHa === spec?.enableHa ? undefined : enableHa,
    };
    await run(
      "Scale",
      `${vcluster.namespace}/${vcluster.name}`,
      () => app.client.scaleVCluster(vcluster.namespace, vcluster.name, changes),
      (vc) => `replicas ${vc.spec?.replicas}, ${vc.spec?.resources?.cpu} CPU, ${vc.spec?.resources?.memory}`,
    );
  };

  const problem = (field: string): string => violationsOf(error, field);
  return (
    <Dialog title={`Scale ${vcluster.name}`} onClose={onClose} id="scale">
      {error ? <ErrorPanel error={error} title="Scaling was refused" fieldLabels={FIELD_LABELS} /> : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field id="scale-replicas" label="Control-plane replicas" hint="1 to 5." problem={problem("replicas")}>
          <input
            id="scale-replicas"
            type="number"
            min={1}
            max={5}
            value={replicas}
            aria-describedby={describedBy("scale-replicas", "1 to 5.", problem("replicas"))}
            onInput={(event) => setReplicas(event.currentTarget.value)}
          />
        </Field>
        <Field id="scale-cpu" label="CPU" problem={problem("resources.cpu")}>
          <input
            id="scale-cpu"
            value={cpu}
            aria-describedby={describedBy("scale-cpu", undefined, problem("resources.cpu"))}
            onInput={(event) => setCpu(event.currentTarget.value)}
          />
        </Field>
        <Field id="scale-memory" label="Memory" problem={problem("resources.memory")}>
          <input
            id="scale-memory"
            value={memory}
            aria-describedby={describedBy("scale-memory", undefined, problem("resources.memory"))}
            onInput={(event) => setMemory(event.currentTarget.value)}
          />
        </Field>
        <CheckField id="scale-ha" label="High availability" checked={enableHa} onChange={setEnableHa} />
        <DialogButtons submit="Scale" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
