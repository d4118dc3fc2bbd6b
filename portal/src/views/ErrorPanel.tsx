import type { ShownError } from "../errors.js";

/**
 * An error as people read it: its code, the server's sentence, what else
 * the server said, and every field violation. `fieldLabels` names the
 * fields a form shows; violations of other fields keep their path.
 */
export function ErrorPanel({
  error,
  title = "The server refused the request",
  fieldLabels = {},
  id,
}: {
  error: ShownError;
  title?: string;
  fieldLabels?: Record<string, string>;
  id?: string;
}) {
  const violations = Object.entries(error.fieldViolations);
  return (
    <div class="error-panel" role="alert" id={id}>
      <p class="error-title">
        <strong>{title}</strong> <code class="error-code">{error.code}</code>
      </p>
      <p class="error-message">{error.message}</p>
      {error.hint ? <p>{error.hint}</p> : null}
      {violations.length > 0 ? (
        <ul class="violations" aria-label="Fields to fix">
          {violations.map(([field, sentences]) => (
            <li key={field}>
              <strong>{labelOf(field, fieldLabels)}</strong>: {sentences.join(" ")}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function labelOf(field: string, labels: Record<string, string>): string {
  if (field === "") return "Request";
  const base = field.replace(/\[.*$/, "");
  const label = labels[field] ?? labels[base];
  return label === undefined ? field : field === base ? label : `${label} ${field.slice(base.length)}`;
}
