import type { ComponentChildren } from "preact";

import { canEdit } from "../actions.js";
import { useApp } from "../app-context.js";
import type { Route } from "../route.js";

/** The frame of every signed-in screen: the main navigation, who is signed in, and sign-out. */
export function Layout({ route, onSignOut, children }: { route: Route; onSignOut: () => void; children: ComponentChildren }) {
  const app = useApp();
  const caller = app.info.caller;
  const current = (screen: Route["screen"]): "page" | undefined => (route.screen === screen ? "page" : undefined);
  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          open-vcluster
        </a>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href="#/" aria-current={current("list") ?? current("detail")}>
                VClusters
              </a>
            </li>
            {canEdit(app.role) ? (
              <li>
                <a href="#/create" aria-current={current("create")}>
                  Create
                </a>
              </li>
            ) : null}
            <li>
              <a href="#/activity" aria-current={current("activity")}>
                Activity
              </a>
            </li>
          </ul>
        </nav>
        <div class="who">
          <span>
            {caller?.name ?? "unknown"} <span class="role">({canEdit(app.role) ? "editor" : "viewer"})</span>
          </span>
          <button type="button" class="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

// The skip link's "#main" would be read as a route; move focus instead.
function skipToMain(event: MouseEvent): void {
  event.preventDefault();
  document.getElementById("main")?.focus();
}
