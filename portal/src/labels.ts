/**
 * Labels typed in a text box, one `key=value` a line (or comma-separated).
 * Only the shape is read here; the server checks the syntax of keys and
 * values and names every bad one, so its rules live in one place.
 *
 * @module
 */

/** Labels from text such as "tier=gold, team=a" or one pair a line; a bare key has an empty value. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[\n,]/)) {
    const pair = part.trim();
    if (pair === "") continue;
    const at = pair.indexOf("=");
    const key = (at < 0 ? pair : pair.slice(0, at)).trim();
    labels[key] = at < 0 ? "" : pair.slice(at + 1).trim();
  }
  return labels;
}
