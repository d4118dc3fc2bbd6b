import { useState } from "preact/hooks";

import type { ShownError } from "../errors.js";
import { ErrorPanel } from "./ErrorPanel.js";

/**
 * Sign-in with a bearer token. A server started without a tokens file
 * accepts every caller as an editor, so "Continue without a token" is
 * offered too; the server answers UNAUTHENTICATED when it does need one.
 */
export function SignIn({ notice, onSignIn }: { notice: string; onSignIn: (token: string) => Promise<ShownError | null> }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  const attempt = async (value: string): Promise<void> => {
    setBusy(true);
    setError(null);
    setError(await onSignIn(value));
    setBusy(false);
  };

  return (
    <main class="sign-in" id="main">
      <h1>Sign in to open-vcluster</h1>
      <p>
        Paste the bearer token you were given. It stays in this browser tab only (session storage) and is sent to this
        server alone.
      </p>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorPanel error={error} title="Sign-in failed" /> : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void attempt(token.trim());
        }}
      >
        <div class="field">
          <label for="token">Bearer token</label>
          <input
            id="token"
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
          />
        </div>
        <div class="buttons">
          <button type="submit" disabled={busy || token.trim() === ""}>
            Sign in
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => void attempt("")}>
            Continue without a token
          </button>
        </div>
      </form>
      <p class="hint">Without a token works only when the server was started without a tokens file.</p>
    </main>
  );
}
