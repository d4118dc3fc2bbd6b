// ServerInfoService through the client, over gRPC, the Connect protocol and
// gRPC-Web, against a reference server configured with tokens, quotas,
// Kubernetes versions and a message limit, and against one with none: what
// the server says it decides matches its configuration and what it does,
// and the caller and quotas are those the calling token may see.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import {
  Caller_Role as Role,
  ServerInfo_Backend as Backend,
  UnauthenticatedError,
  VClusterClient,
  VClusterSpec_Distro as Distro,
  type NamespaceQuota,
  type ServerInfo,
} from "../src/index.js";
import { invalidFields } from "./support/scenarios.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const protocols = ["grpc", "connect", "grpc-web"] as const;
type TestedProtocol = (typeof protocols)[number];

const EDITOR = { token: "editor-secret", name: "ops" };
const viewerToken = (protocol: TestedProtocol): string => `viewer-${protocol}`;
/** Per protocol, the one namespace a viewer token of its own may use. */
const teams = { grpc: uniqueNamespace("team"), connect: uniqueNamespace("team"), "grpc-web": uniqueNamespace("team") };
/** A namespace with a quota that no viewer may see. */
const hidden = uniqueNamespace("hidden");
/** A viewer of two namespaces, listed out of order, and with no name in the tokens file. */
const pair = ["zz-" + uniqueNamespace(), "aa-" + uniqueNamespace()];
const PAIR_TOKEN = "pair-secret";

const VERSIONS = ["1.30", "1.31", "1.32"];
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const TEAM_QUOTA = { max_vclusters: 3, max_snapshots: 5, cpu: "8", memory: "16Gi" };
const HIDDEN_QUOTA = { max_vclusters: 7 };
const ANY_QUOTA = { max_vclusters: 20, cpu: "64" };

/** The version of the server package the tests run. */
const serverVersion = execFileSync("python", ["-c", "from openvcluster_server import __version__; print(__version__)"], {
  encoding: "utf8",
}).trim();

let configured: RunningServer;
let plain: RunningServer;

before(async () => {
  [configured, plain] = await Promise.all([
    startServer({
      tokens: [
        { token: EDITOR.token, name: EDITOR.name, role: "editor", namespaces: ["*"] },
        { token: PAIR_TOKEN, role: "viewer", namespaces: pair },
        ...protocols.map((p) => ({ token: viewerToken(p), name: `viewer of ${p}`, role: "viewer" as const, namespaces: [teams[p]] })),
      ],
      quotas: {
        ...Object.fromEntries(Object.values(teams).map((ns) => [ns, TEAM_QUOTA])),
        [hidden]: HIDDEN_QUOTA,
        "*": ANY_QUOTA,
      },
      config: { kubernetes_versions: VERSIONS, max_message_bytes: MAX_MESSAGE_BYTES },
    }),
    startServer(),
  ]);
});

after(() => Promise.all([configured?.stop(), plain?.stop()]));

/** A quota as the server's config writes it, fields left out being zero or empty. */
function quota(q: { max_vclusters?: number; max_snapshots?: number; cpu?: string; memory?: string }): unknown[] {
  return [q.max_vclusters ?? 0, q.max_snapshots ?? 0, q.cpu ?? "", q.memory ?? ""];
}

/** The quotas of `info`, by namespace in order, as `quota` writes them. */
function quotas(info: ServerInfo): [string, unknown[]][] {
  const entries = Object.entries(info.limits?.quotas ?? {}) as [string, NamespaceQuota][];
  return entries
    .map(([ns, q]): [string, unknown[]] => [ns, [q.maxVclusters, q.maxSnapshots, q.cpu, q.memory]])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What every caller of one server is told alike: everything but the caller and the quotas. */
function shared(info: ServerInfo): unknown {
  return {
    version: info.version,
    backend: info.backend,
    kubernetesVersions: info.kubernetesVersions,
    specDefaults: info.specDefaults,
    limits: [info.limits?.defaultPageSize, info.limits?.maxPageSize, info.limits?.maxMessageBytes],
  };
}

for (const protocol of protocols) {
  describe(`ServerInfoService over ${protocol}`, () => {
    const make = (server: RunningServer, token?: string): VClusterClient =>
      new VClusterClient({ endpoint: protocol === "grpc" ? server.address : server.httpAddress, protocol, token, env: {} });
    let editor: VClusterClient;
    before(() => {
      editor = make(configured, EDITOR.token);
    });
    after(() => editor.close());

    test("getServerInfo tells the configured versions, defaults, limits and every quota to an editor of all namespaces", async () => {
      const info = await editor.getServerInfo();
      assert.equal(info.version, serverVersion);
      assert.equal(info.backend, Backend.SIMULATED);
      assert.deepEqual(info.kubernetesVersions, VERSIONS);

      const defaults = info.specDefaults;
      assert.equal(defaults?.kubernetesVersion, "1.32", "the last version is the default");
      assert.deepEqual([defaults?.resources?.cpu, defaults?.resources?.memory], ["1", "2Gi"]);
      assert.notEqual(defaults?.resources?.storage, "");
      assert.deepEqual([defaults?.replicas, defaults?.distro], [1, Distro.K8S]);

      assert.deepEqual(
        [info.limits?.defaultPageSize, info.limits?.maxPageSize, info.limits?.maxMessageBytes],
        [50, 1000, MAX_MESSAGE_BYTES],
      );
      const expected: [string, unknown[]][] = [
        ["*", quota(ANY_QUOTA)],
        [hidden, quota(HIDDEN_QUOTA)],
        ...Object.values(teams).map((ns): [string, unknown[]] => [ns, quota(TEAM_QUOTA)]),
      ];
      assert.deepEqual(quotas(info), expected.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

      assert.deepEqual(
        [info.caller?.name, info.caller?.role, info.caller?.namespaces, info.caller?.allNamespaces],
        [EDITOR.name, Role.EDITOR, [], true],
      );
    });

    test("what getServerInfo says is what the server does: an empty spec's defaults, the versions it accepts", async () => {
      const info = await editor.getServerInfo();
      const ns = uniqueNamespace();
      const created = await editor.createVCluster(ns, "empty");
      assert.deepEqual(created.spec, info.specDefaults);
      const oldest = await editor.createVCluster(ns, "oldest", { kubernetesVersion: info.kubernetesVersions[0] });
      assert.equal(oldest.spec?.kubernetesVersion, "1.30");
      assert.deepEqual(await invalidFields(editor.createVCluster(ns, "older", { kubernetesVersion: "1.29" })), [
        "spec.kubernetes_version",
      ]);
    });

    test("a viewer of one namespace sees its own grant, and the quotas of that namespace and of every other only", async () => {
      const viewer = make(configured, viewerToken(protocol));
      try {
        const mine = await viewer.getServerInfo();
        assert.deepEqual(
          [mine.caller?.name, mine.caller?.role, mine.caller?.namespaces, mine.caller?.allNamespaces],
          [`viewer of ${protocol}`, Role.VIEWER, [teams[protocol]], false],
        );
        assert.deepEqual(quotas(mine), [
          ["*", quota(ANY_QUOTA)],
          [teams[protocol], quota(TEAM_QUOTA)],
        ]);
        assert.deepEqual(shared(mine), shared(await editor.getServerInfo()), "the rest is the same for every caller");
      } finally {
        viewer.close();
      }
    });

    test("a viewer's namespaces come sorted; a token without a name gets the server's", async () => {
      const viewer = make(configured, PAIR_TOKEN);
      try {
        const { caller } = await viewer.getServerInfo();
        assert.deepEqual([caller?.role, caller?.namespaces, caller?.allNamespaces], [Role.VIEWER, [...pair].sort(), false]);
        assert.equal(caller?.name, "token #2");
      } finally {
        viewer.close();
      }
    });

    test("without a valid token: UNAUTHENTICATED", async () => {
      const nobody = make(configured);
      const stranger = make(configured, "who-knows");
      try {
        await assert.rejects(nobody.getServerInfo(), UnauthenticatedError);
        await assert.rejects(stranger.getServerInfo(), UnauthenticatedError);
      } finally {
        nobody.close();
        stranger.close();
      }
    });

    test("a server with no tokens or config: an anonymous editor of all namespaces, the defaults, no quotas", async () => {
      const client = make(plain);
      try {
        const info = await client.getServerInfo();
        assert.equal(info.version, serverVersion);
        assert.equal(info.backend, Backend.SIMULATED);
        assert.deepEqual(
          [info.caller?.name, info.caller?.role, info.caller?.namespaces, info.caller?.allNamespaces],
          ["anonymous", Role.EDITOR, [], true],
        );
        assert.deepEqual(
          [info.limits?.defaultPageSize, info.limits?.maxPageSize, info.limits?.maxMessageBytes],
          [50, 1000, 4 * 1024 * 1024],
        );
        assert.deepEqual(quotas(info), []);
        const minor = (v: string): number => Number(v.split(".")[1]);
        assert.ok(info.kubernetesVersions.length > 0);
        assert.deepEqual(
          info.kubernetesVersions.map(minor),
          info.kubernetesVersions.map(minor).sort((a, b) => a - b),
          "oldest first",
        );
        assert.equal(info.specDefaults?.kubernetesVersion, info.kubernetesVersions.at(-1));
      } finally {
        client.close();
      }
    });
  });
}

test("a listing without a page size gets defaultPageSize items a page", async () => {
  const client = new VClusterClient({ endpoint: plain.address, env: {} });
  try {
    const size = (await client.getServerInfo()).limits?.defaultPageSize ?? 0;
    assert.ok(size > 0);
    const ns = uniqueNamespace();
    for (let i = 0; i <= size; i++) await client.createVCluster(ns, `vc-${i}`);
    const first = await client.listVClusters(ns).page();
    assert.equal(first.items.length, size);
    assert.notEqual(first.nextPageToken, "");
  } finally {
    client.close();
  }
});
