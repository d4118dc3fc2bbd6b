import type { ComponentChildren } from "preact";

/**
 * A labelled control with its hint and the server's complaint about it.
 * The control itself is the child, given `id` and, through `describedBy`,
 * the ids of the hint and the complaint, so a screen reader reads both.
 */
export function Field({
  id,
  label,
  hint,
  problem,
  children,
  wide,
}: {
  id: string;
  label: string;
  hint?: string;
  problem?: string;
  children: ComponentChildren;
  wide?: boolean;
}) {
  return (
    <div class={`field${problem ? " field-invalid" : ""}${wide ? " field-wide" : ""}`}>
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {problem ? (
        <p class="problem" id={`${id}-problem`}>
          {problem}
        </p>
      ) : null}
    </div>
  );
}

/** The aria-describedby of a field's control: its hint and complaint, when present. */
export function describedBy(id: string, hint: string | undefined, problem: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : "", problem ? `${id}-problem` : ""].filter((x) => x !== "");
  return ids.length === 0 ? undefined : ids.join(" ");
}

/** A checkbox with its label beside it. */
export function CheckField({
  id,
  label,
  checked,
  onChange,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div class="field field-check">
      <input id={id} type="checkbox" checked={checked} onChange={(event) => onChange(event.currentTarget.checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}
