// The tests' command runner ends the whole process group of a command whose
// test times out, grandchildren included (an npm install's own children).

import assert from "node:assert/strict";
import { test } from "node:test";

import { run } from "./support/processes.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `pid` is gone; rejects after `limitMs`. */
async function gone(pid: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs ${limitMs} ms after its group was killed`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test("an aborted test's command is killed with every process it started", async () => {
  const abort = new AbortController();
  let grandchild = 0;
  // bash prints the pid of a background child, then waits on both: a parent
  // and a grandchild of this test, like npm and the processes npm starts.
  const command = run("bash", ["-c", "sleep 300 & echo $!; sleep 300; wait"], {
    signal: abort.signal,
    onStdout: (text) => {
      grandchild = Number(text.trim());
      abort.abort();
    },
  });
  await assert.rejects(command, /was killed by SIGKILL/);
  assert.ok(grandchild > 0);
  await gone(grandchild, 10_000);
});

test("a command that succeeds resolves with its output", async () => {
  const { stdout } = await run("bash", ["-c", "echo out; echo err >&2"]);
  assert.equal(stdout, "out\n");
});

test("a command that fails rejects with its exit code and stderr", async () => {
  await assert.rejects(run("bash", ["-c", "echo why >&2; exit 3"]), /exited with 3:\nwhy/);
});
