/**
 * Says that live updates stopped (the server ended the watch: an error such
 * as RESOURCE_EXHAUSTED for too many watches, or the end of the stream) and
 * offers to start them again. Nothing reconnects by itself, so a refused
 * watch is not retried in a loop.
 */
export function WatchBanner({ reason, onReconnect }: { reason: string; onReconnect: () => void }) {
  return (
    <div class="banner" role="alert">
      <p>
        <strong>Live updates stopped.</strong> {reason} What is shown may be out of date.
      </p>
      <button type="button" onClick={onReconnect}>
        Reconnect
      </button>
    </div>
  );
}
