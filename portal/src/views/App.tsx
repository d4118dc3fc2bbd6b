import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { Caller_Role, type ServerInfo, type VClusterClient } from "@open-vcluster/sdk/browser";

import { addEntry, clearActivity, loadActivity, saveActivity, type ActivityEntry } from "../activity.js";
import { AppContext, type AppApi, type Outcome } from "../app-context.js";
import { describeError, oneLine, type ShownError } from "../errors.js";
import { formatRoute, parseRoute, type Route } from "../route.js";
import { clearToken, loadToken, makeClient, saveToken } from "../session.js";
import { Activity } from "./Activity.js";
import { CreateForm } from "./CreateForm.js";
import { Layout } from "./Layout.js";
import { SignIn } from "./SignIn.js";
import { VClusterDetail } from "./VClusterDetail.js";
import { VClusterList } from "./VClusterList.js";

interface Session {
  client: VClusterClient;
  info: ServerInfo;
}

/** How often ages on screen move on; a re-render only, nothing is fetched. */
const CLOCK_MS = 5000;

/**
 * The portal: signs in (a token in sessionStorage, checked with
 * GetServerInfo), then shows the screen of the location's hash. Every
 * UNAUTHENTICATED answer ends the session and returns here with a message.
 */
export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => loadToken(sessionStorage) !== null);
  const [notice, setNotice] = useState("");
  const [activity, setActivity] = useState<ActivityEntry[]>(() => loadActivity(sessionStorage));
  const [now, setNow] = useState(() => new Date());

  useEffect(() => {
    const onHash = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onHash);
    const clock = setInterval(() => setNow(new Date()), CLOCK_MS);
    return () => {
      window.removeEventListener("hashchange", onHash);
      clearInterval(clock);
    };
  }, []);

  useEffect(() => saveActivity(sessionStorage, activity), [activity]);

  const endSession = useCallback((message: string) => {
    clearToken(sessionStorage);
    clearActivity(sessionStorage);
    setActivity([]);
    setSession((old) => {
      old?.client.close();
      return null;
    });
    setNotice(message);
  }, []);

  /** Checks `token` with GetServerInfo; on success the session starts. */
  const signIn = useCallback(async (token: string): Promise<ShownError | null> => {
    const client = makeClient(token, location.origin);
    try {
      const info = await client.getServerInfo();
      saveToken(sessionStorage, token);
      setNotice("");
      setSession({ client, info });
      if (parseRoute(location.hash).screen === "sign-in") location.hash = formatRoute({ screen: "list", filters: { namespace: "", selector: "", phase: "" } });
      return null;
    } catch (error) {
      client.close();
      return describeError(error);
    }
  }, []);

  // A reload keeps the session: sign in again with the stored token.
  useEffect(() => {
    const token = loadToken(sessionStorage);
    if (token === null) return;
    void signIn(token).then((error) => {
      if (error !== null) endSession(error.unauthenticated ? "Your token is no longer accepted; sign in again." : `Could not reach the server: ${oneLine(error)}`);
      setRestoring(false);
    });
  }, []);

  const fail = useCallback(
    (error: unknown): ShownError => {
      const shown = describeError(error);
      if (shown.unauthenticated) endSession(`Signed out: the server did not accept the token (${oneLine(shown)}).`);
      return shown;
    },
    [endSession],
  );

  const api = useMemo<AppApi | null>(() => {
    if (session === null) return null;
    return {
      client: session.client,
      info: session.info,
      role: session.info.caller?.role ?? Caller_Role.UNSPECIFIED,
      now,
      fail,
      navigate: (hash: string) => {
        location.hash = hash;
      },
      async run<T>(what: string, target: string, operation: () => Promise<T>, summary?: (value: T) => string): Promise<Outcome<T>> {
        const at = new Date().toISOString();
        try {
          const value = await operation();
          setActivity((log) => addEntry(log, { what, target, at, outcome: "ok", detail: summary?.(value) ?? "" }));
          return { ok: true, value };
        } catch (error) {
          const shown = fail(error);
          if (!shown.unauthenticated) {
            setActivity((log) => addEntry(log, { what, target, at, outcome: shown.code, detail: shown.message }));
          }
          return { ok: false, error: shown };
        }
      },
    };
  }, [session, now, fail]);

  if (api === null) {
    if (restoring) return <p class="connecting">Connecting to the server…</p>;
    return <SignIn notice={notice} onSignIn={signIn} />;
  }
  return (
    <AppContext.Provider value={api}>
      <Layout route={route} onSignOut={() => endSession("You signed out.")}>
        <Screen route={route} activity={activity} />
      </Layout>
    </AppContext.Provider>
  );
}

function Screen({ route, activity }: { route: Route; activity: ActivityEntry[] }) {
  switch (route.screen) {
    case "sign-in":
    case "list":
      return <VClusterList filters={route.screen === "list" ? route.filters : { namespace: "", selector: "", phase: "" }} />;
    case "create":
      return <CreateForm namespace={route.namespace} />;
    case "detail":
      return <VClusterDetail key={`${route.namespace}/${route.name}`} namespace={route.namespace} name={route.name} tab={route.tab} />;
    case "activity":
      return <Activity entries={activity} />;
    case "not-found":
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="#/">Go to the vclusters</a>.
          </p>
        </section>
      );
  }
}
