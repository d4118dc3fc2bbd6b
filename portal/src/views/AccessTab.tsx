import { useState } from "preact/hooks";
import type { VCluster } from "@open-vcluster/sdk/browser";

import { availability } from "../actions.js";
import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";
import { ErrorPanel } from "./ErrorPanel.js";

/**
 * The kubeconfig of a vcluster, for editors only (it grants admin access):
 * downloaded as a file or copied to the clipboard. It is fetched on each
 * click and never kept, so credentials do not linger in the page.
 */
export function AccessTab({ vcluster }: { vcluster: VCluster }) {
  const app = useApp();
  const [error, setError] = useState<ShownError | null>(null);
  const [note, setNote] = useState("");
  const access = availability("kubeconfig", vcluster.status?.phase ?? 0, app.role);
  const target = `${vcluster.namespace}/${vcluster.name}`;

  const fetchKubeconfig = async (what: string): Promise<string | null> => {
    setNote("");
    const outcome = await app.run(what, target, () => app.client.getKubeconfig(vcluster.namespace, vcluster.name), () => "kubeconfig read");
    if (!outcome.ok) {
      setError(outcome.error);
      return null;
    }
    setError(null);
    return outcome.value;
  };

  const download = async (): Promise<void> => {
    const yaml = await fetchKubeconfig("Download kubeconfig");
    if (yaml === null) return;
    const url = URL.createObjectURL(new Blob([yaml], { type: "application/yaml" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `${vcluster.name}.kubeconfig.yaml`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
    setNote(`Saved as ${link.download}.`);
  };

  const copy = async (): Promise<void> => {
    const yaml = await fetchKubeconfig("Copy kubeconfig");
    if (yaml === null) return;
    try {
      await navigator.clipboard.writeText(yaml);
      setNote("Copied the kubeconfig to the clipboard.");
    } catch {
      setNote("The browser did not allow copying; use Download instead.");
    }
  };

  return (
    <section class="access">
      <h2>Access</h2>
      <p>
        The kubeconfig grants admin access to this vcluster's API server. Keep it safe. From a terminal:{" "}
        <code>
          ovc kubeconfig -n {vcluster.namespace} {vcluster.name} &gt; {vcluster.name}.kubeconfig
        </code>
      </p>
      {error ? <ErrorPanel error={error} title="Could not read the kubeconfig" /> : null}
      <div class="buttons">
        <button type="button" disabled={!access.enabled} aria-describedby={access.enabled ? undefined : "why-access"} onClick={() => void download()}>
          Download kubeconfig
        </button>
        <button type="button" class="secondary" disabled={!access.enabled} aria-describedby={access.enabled ? undefined : "why-access"} onClick={() => void copy()}>
          Copy kubeconfig
        </button>
      </div>
      {access.enabled ? null : (
        <p class="why" id="why-access">
          {access.reason}
        </p>
      )}
      <p role="status">{note}</p>
    </section>
  );
}
