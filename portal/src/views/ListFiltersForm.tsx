import { useState } from "preact/hooks";

import { useApp } from "../app-context.js";
import type { ListFilters } from "../route.js";

/** Vcluster phases a list can be filtered on. */
const PHASES = ["PROVISIONING", "RUNNING", "SCALING", "SUSPENDING", "SUSPENDED", "RESUMING", "RESTORING", "UPGRADING", "DELETING", "FAILED"];

/**
 * The list's filters: namespace (the caller's namespaces when the token is
 * limited to some), label selector, phase and page size. Applied on submit,
 * so typing a selector does not start a watch per keystroke.
 */
export function ListFiltersForm({
  filters,
  pageSize,
  pageSizes,
  onApply,
}: {
  filters: ListFilters;
  pageSize: number;
  pageSizes: number[];
  onApply: (filters: ListFilters, pageSize: number) => void;
}) {
  const { info } = useApp();
  const [namespace, setNamespace] = useState(filters.namespace);
  const [selector, setSelector] = useState(filters.selector);
  const [phase, setPhase] = useState(filters.phase);
  const [size, setSize] = useState(pageSize);
  const granted = info.caller?.allNamespaces === false ? info.caller.namespaces : null;
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply({ namespace: namespace.trim(), selector: selector.trim(), phase }, size);
      }}
    >
      <div class="field">
        <label for="filter-namespace">Namespace</label>
        {granted !== null ? (
          <select id="filter-namespace" value={namespace} onChange={(event) => setNamespace(event.currentTarget.value)}>
            <option value="">All my namespaces</option>
            {granted.map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        ) : (
          <input
            id="filter-namespace"
            value={namespace}
            placeholder="all namespaces"
            onInput={(event) => setNamespace(event.currentTarget.value)}
          />
        )}
      </div>
      <div class="field">
        <label for="filter-selector">Label selector</label>
        <input
          id="filter-selector"
          value={selector}
          placeholder="tier=gold,env!=prod"
          spellcheck={false}
          onInput={(event) => setSelector(event.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="filter-phase">Phase</label>
        <select id="filter-phase" value={phase} onChange={(event) => setPhase(event.currentTarget.value)}>
          <option value="">Every phase</option>
          {PHASES.map((p) => (
            <option key={p} value={p}>
              {p.charAt(0) + p.slice(1).toLowerCase()}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-page-size">Page size</label>
        <select id="filter-page-size" value={String(size)} onChange={(event) => setSize(Number(event.currentTarget.value))}>
          {pageSizes.map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div class="field field-action">
        <button type="submit">Apply filters</button>
      </div>
    </form>
  );
}
