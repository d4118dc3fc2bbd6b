import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detailHref, formatRoute, NO_FILTERS, parseRoute, type Route } from "../src/route.js";

describe("route", () => {
  test("the empty hash and #/ are the list without filters", () => {
    assert.deepEqual(parseRoute(""), { screen: "list", filters: NO_FILTERS });
    assert.deepEqual(parseRoute("#/"), { screen: "list", filters: NO_FILTERS });
  });

  test("list filters travel in the query", () => {
    const route = parseRoute("#/?namespace=team-a&selector=tier%3Dgold%2Cenv!%3Dprod&phase=RUNNING");
    assert.deepEqual(route, { screen: "list", filters: { namespace: "team-a", selector: "tier=gold,env!=prod", phase: "RUNNING" } });
    assert.deepEqual(parseRoute(formatRoute(route)), route);
  });

  test("detail pages and their tabs", () => {
    assert.deepEqual(parseRoute("#/vclusters/team-a/dev"), { screen: "detail", namespace: "team-a", name: "dev", tab: "overview" });
    assert.deepEqual(parseRoute("#/vclusters/team-a/dev/snapshots"), { screen: "detail", namespace: "team-a", name: "dev", tab: "snapshots" });
    assert.equal(detailHref("team-a", "dev"), "#/vclusters/team-a/dev");
    assert.equal(detailHref("team-a", "dev", "access"), "#/vclusters/team-a/dev/access");
  });

  test("every route survives a round trip", () => {
    const routes: Route[] = [
      { screen: "sign-in" },
      { screen: "create", namespace: "" },
      { screen: "create", namespace: "team-b" },
      { screen: "activity" },
      { screen: "list", filters: { namespace: "", selector: "a in (x,y)", phase: "" } },
      { screen: "detail", namespace: "ns", name: "n", tab: "access" },
    ];
    for (const route of routes) assert.deepEqual(parseRoute(formatRoute(route)), route);
  });

  test("unknown paths, tabs and malformed escapes are not found, not a crash", () => {
    assert.equal(parseRoute("#/nowhere").screen, "not-found");
    assert.equal(parseRoute("#/vclusters/a/b/nope").screen, "not-found");
    assert.equal(parseRoute("#/vclusters/a").screen, "not-found");
    assert.deepEqual(parseRoute("#/vclusters/a/%E0%A4%A"), { screen: "detail", namespace: "a", name: "%E0%A4%A", tab: "overview" });
  });
});
