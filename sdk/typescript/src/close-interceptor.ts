/**
 * Closing a client: the calls still running, watches included, are aborted
 * as cancelled by the caller, before the connection goes. Ending only the
 * connection would not do: a call it fails looks UNAVAILABLE and is retried
 * on a new connection, and fetch (in a browser) keeps no connection the
 * client could end at all.
 *
 * @module
 */

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** What a transport needs to close: the interceptor to install first, and the switch that trips it. */
export interface Closer {
  /** Install first, so that closing also ends a call waiting to retry. */
  readonly interceptor: Interceptor;
  /** Aborts every call running through the interceptor, now and later. */
  close(): void;
}

/** A new {@link Closer}; its calls end with a CANCELLED "the client is closed". */
export function createCloser(): Closer {
  const closed = new AbortController();
  return {
    interceptor: createCloseInterceptor(closed.signal),
    close: () => closed.abort(new ConnectError("the client is closed", Code.Canceled)),
  };
}

/**
 * An interceptor that aborts every call, unary or stream, once `closed`
 * aborts (with its reason); each call still ends with its own signal too.
 */
function createCloseInterceptor(closed: AbortSignal): Interceptor {
  return (next) => async (req) => {
    const call = new AbortController();
    const release = follow(call, [req.signal, closed]);
    try {
      const response = await next({ ...req, signal: call.signal });
      if (!response.stream) {
        release();
        return response;
      }
      return { ...response, message: releasing(response.message, release) };
    } catch (reason) {
      release();
      throw reason;
    }
  };
}

/** Aborts `controller` as soon as one of `signals` aborts; returns what stops listening. */
function follow(controller: AbortController, signals: readonly AbortSignal[]): () => void {
  const stops = signals.map((signal) => {
    const abort = (): void => controller.abort(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
    return () => signal.removeEventListener("abort", abort);
  });
  return () => {
    for (const stop of stops) stop();
  };
}

/** The messages of a stream, calling `release` once the stream is over, however it ends. */
async function* releasing<T>(messages: AsyncIterable<T>, release: () => void): AsyncGenerator<T, void, undefined> {
  try {
    yield* messages;
  } finally {
    release();
  }
}
