import type { ActivityEntry } from "../activity.js";
import { formatTime } from "../format.js";

/** What this session did and how each operation ended. */
export function Activity({ entries }: { entries: readonly ActivityEntry[] }) {
  return (
    <section>
      <h1>Activity</h1>
      <p>The operations of this browser session, newest first. Signing out clears them.</p>
      {entries.length === 0 ? (
        <p class="empty">Nothing yet: create, change or delete a vcluster and it shows up here.</p>
      ) : (
        <div class="table-wrap">
          <table class="activity">
            <caption class="visually-hidden">Operations of this session</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-outcome={e.outcome}>
                  <td data-label="When">
                    <time dateTime={e.at}>{formatTime(new Date(e.at))}</time>
                  </td>
                  <th scope="row" data-label="What">
                    {e.what}
                  </th>
                  <td data-label="Target">{e.target}</td>
                  <td data-label="Outcome">
                    {e.outcome === "ok" ? <span class="chip chip-ok">ok</span> : <span class="chip chip-bad">{e.outcome}</span>}{" "}
                    {e.detail}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
