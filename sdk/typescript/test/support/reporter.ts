// A quiet node:test reporter: a dot per passing test, every failure in
// full, and one summary line. node's own reporters print either a line per
// test (spec, tap: hundreds of lines on a passing run) or no summary (dot).
//
//   node --test --test-reporter=./build/test/support/reporter.js build/test/*.test.js

interface TestEventData {
  name: string;
  file?: string;
  skip?: boolean | string;
  todo?: boolean | string;
  details?: { duration_ms?: number; type?: string; error?: unknown };
}

interface TestEvent {
  type: string;
  data: TestEventData;
}

export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const started = Date.now();
  let passed = 0;
  let skipped = 0;
  const failures: string[] = [];
  for await (const event of source) {
    // Suites report too; only tests count.
    if (event.data.details?.type === "suite") continue;
    if (event.type === "test:pass" && (event.data.skip || event.data.todo)) {
      skipped += 1;
    } else if (event.type === "test:pass") {
      passed += 1;
      yield ".";
    } else if (event.type === "test:fail") {
      failures.push(describe(event.data));
      yield "X";
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = `${passed} passed, ${failures.length} failed, ${skipped} skipped in ${seconds} s`;
  yield `\n${failures.join("\n")}${failures.length ? "\n" : ""}${summary}\n`;
}

function describe(data: TestEventData): string {
  const error = data.details?.error;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
  return `FAIL ${data.name}${data.file ? ` (${data.file})` : ""}\n  ${text.replaceAll("\n", "\n  ")}`;
}
