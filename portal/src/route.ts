/**
 * Hash routes of the portal. The page is one file served at `/`, so the
 * location's hash says which screen is shown and a reload or a shared link
 * opens the same one; no router library is needed for six shapes.
 *
 * @module
 */

/** The tabs of a vcluster's page. */
export type DetailTab = "overview" | "snapshots" | "access";

/** The filters of the list, kept in the hash so a link keeps them. */
export interface ListFilters {
  /** Empty: every namespace the caller may see. */
  namespace: string;
  /** A Kubernetes label selector; empty selects everything. */
  selector: string;
  /** A phase name such as "RUNNING"; empty: every phase. */
  phase: string;
}

/** One screen of the portal. */
export type Route =
  | { screen: "sign-in" }
  | { screen: "list"; filters: ListFilters }
  | { screen: "create"; namespace: string }
  | { screen: "detail"; namespace: string; name: string; tab: DetailTab }
  | { screen: "activity" }
  | { screen: "not-found"; path: string };

const TABS: readonly DetailTab[] = ["overview", "snapshots", "access"];

/** The empty filters: every namespace, every vcluster, every phase. */
export const NO_FILTERS: ListFilters = { namespace: "", selector: "", phase: "" };

/** The route of a location hash such as `#/vclusters/team-a/dev/snapshots`. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [pathPart = "", queryPart = ""] = splitOnce(raw, "?");
  const query = new URLSearchParams(queryPart);
  const segments = pathPart.split("/").filter((s) => s !== "").map(safeDecode);
  const [first, ...rest] = segments;
  if (first === undefined || (first === "vclusters" && rest.length === 0)) {
    return {
      screen: "list",
      filters: { namespace: query.get("namespace") ?? "", selector: query.get("selector") ?? "", phase: query.get("phase") ?? "" },
    };
  }
  if (first === "sign-in" && rest.length === 0) return { screen: "sign-in" };
  if (first === "create" && rest.length === 0) return { screen: "create", namespace: query.get("namespace") ?? "" };
  if (first === "activity" && rest.length === 0) return { screen: "activity" };
  if (first === "vclusters" && (rest.length === 2 || rest.length === 3)) {
    const [namespace = "", name = "", tab = "overview"] = rest;
    if (TABS.includes(tab as DetailTab)) return { screen: "detail", namespace, name, tab: tab as DetailTab };
  }
  return { screen: "not-found", path: pathPart };
}

/** The hash of a route, such as `#/vclusters/team-a/dev` (the overview tab has no segment). */
export function formatRoute(route: Route): string {
  switch (route.screen) {
    case "sign-in":
      return "#/sign-in";
    case "list":
      return `#/${queryString({ namespace: route.filters.namespace, selector: route.filters.selector, phase: route.filters.phase })}`;
    case "create":
      return `#/create${queryString({ namespace: route.namespace })}`;
    case "activity":
      return "#/activity";
    case "detail": {
      const base = `#/vclusters/${encodeURIComponent(route.namespace)}/${encodeURIComponent(route.name)}`;
      return route.tab === "overview" ? base : `${base}/${route.tab}`;
    }
    case "not-found":
      return `#${route.path}`;
  }
}

/** The hash of a vcluster's page. */
export function detailHref(namespace: string, name: string, tab: DetailTab = "overview"): string {
  return formatRoute({ screen: "detail", namespace, name, tab });
}

function queryString(params: Record<string, string>): string {
  const kept = Object.entries(params).filter(([, value]) => value !== "");
  return kept.length === 0 ? "" : `?${new URLSearchParams(kept).toString()}`;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

// A malformed escape in a hand-typed hash should not crash the page.
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
