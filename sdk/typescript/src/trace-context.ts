/**
 * W3C trace context from the caller's OpenTelemetry: while the application
 * has a span active, every attempt of every call, unary or stream, carries
 * the headers the application's global propagator writes for it
 * (`traceparent`, and `tracestate` if any), so the server's spans join the
 * caller's trace. `@opentelemetry/api` is an optional peer dependency, not a
 * dependency: the interceptor imports it at its first call and, where it is
 * not installed, sends the calls as they are, at the cost of that one failed
 * import. Nothing here needs Node.
 *
 * @module
 */

import type { Interceptor } from "@connectrpc/connect";

/**
 * What this module uses of `@opentelemetry/api`, spelled out here rather
 * than imported, so that no declaration of the SDK names a package its
 * users may not have.
 */
export interface TraceApi {
  readonly context: { active(): TraceContext };
  readonly trace: {
    getSpanContext(context: TraceContext): SpanContext | undefined;
    isSpanContextValid(spanContext: SpanContext): boolean;
  };
  readonly propagation: { inject(context: TraceContext, carrier: Headers, setter: HeaderSetter): void };
}

/** An OpenTelemetry `Context`, opaque here. */
export interface TraceContext {
  getValue(key: symbol): unknown;
}

/** The identity of a span, as OpenTelemetry's `SpanContext` holds it. */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** Where the propagator writes each header: the call's `Headers` (its default setter assigns properties). */
interface HeaderSetter {
  set(carrier: Headers, key: string, value: string): void;
}

/** Loads `@opentelemetry/api`: null, or a rejection, where it cannot be loaded. */
export type TraceApiLoader = () => Promise<TraceApi | null>;

const HEADERS: HeaderSetter = { set: (carrier, key, value) => carrier.set(key, value) };

/**
 * The interceptor that adds the active span's trace context to each
 * attempt. Install it after the retry interceptor, so that every attempt
 * passes through it. `load` is for tests; by default it imports
 * `@opentelemetry/api`. Whatever `load` settles to is kept: the package is
 * looked for once per interceptor, and from then on the context is read
 * before the call awaits anything (context managers that follow only
 * synchronous code see the caller's span too).
 */
export function createTraceContextInterceptor(load: TraceApiLoader = importTraceApi): Interceptor {
  // undefined until the first call has looked; null where the package cannot be loaded.
  let api: TraceApi | null | undefined;
  let loading: Promise<TraceApi | null> | undefined;
  const lookUp = (): Promise<TraceApi | null> =>
    (loading ??= load().then(
      (found) => (api = found),
      () => (api = null),
    ));
  return (next) => async (req) => {
    const found = api === undefined ? await lookUp() : api;
    if (found !== null) injectTraceContext(found, req.header);
    return next(req);
  };
}

/** Writes the active span's headers into `header`; writes nothing when no valid span is active. */
function injectTraceContext(api: TraceApi, header: Headers): void {
  const active = api.context.active();
  const span = api.trace.getSpanContext(active);
  // The global propagator may carry more than the span (baggage): without a span, nothing is sent.
  if (span === undefined || !api.trace.isSpanContextValid(span)) return;
  api.propagation.inject(active, header, HEADERS);
}

/**
 * A literal specifier, so that a bundler sees it: a page that has the
 * package gets it bundled. Inside `try`, so that a bundler that cannot
 * resolve it (esbuild, for one) leaves the import for run time, where it
 * fails, rather than failing the build.
 */
async function importTraceApi(): Promise<TraceApi | null> {
  try {
    return await import("@opentelemetry/api");
  } catch {
    return null;
  }
}
