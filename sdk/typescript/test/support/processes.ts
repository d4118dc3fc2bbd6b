// Running a command for a test so that nothing it starts outlives the test.
//
// execFile with a timeout kills only the process it started, and a test's
// timeout kills nothing at all: an `npm install` that keeps retrying a
// registry it cannot reach, with its own children, goes on long after the
// test has failed. Here each command gets a process group of its own, and
// the whole group is killed when the test's signal aborts (the test timed
// out or was cancelled) or the test process exits.

import { spawn } from "node:child_process";

/** What a finished command printed. */
export interface Output {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The test's `t.signal`: aborting it kills the command's process group. */
  signal?: AbortSignal;
  /** Called with each piece of standard output as it arrives. */
  onStdout?: (text: string) => void;
}

const running = new Set<number>();

process.on("exit", () => {
  for (const pgid of running) killGroup(pgid);
});

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Runs a command in its own process group; resolves with its output when it exits 0. */
export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Output> {
  const { code, signal, ...output } = await runToEnd(command, args, options);
  if (code === 0) return output;
  const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
  throw new Error(`${command} ${args.join(" ")} ${how}:\n${output.stderr}`);
}

/** What a command printed, and how it ended. */
export interface Ending extends Output {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs a command as {@link run} does, but resolves however it exits. */
export function runToEnd(command: string, args: readonly string[], options: RunOptions = {}): Promise<Ending> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new Error(`${command} not started: the test was already aborted`));
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      options.onStdout?.(chunk.toString());
    });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const pgid = child.pid;
    const abort = (): void => {
      if (pgid !== undefined) killGroup(pgid);
    };
    if (pgid !== undefined) {
      running.add(pgid);
      options.signal?.addEventListener("abort", abort, { once: true });
    }
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (pgid !== undefined) running.delete(pgid);
      options.signal?.removeEventListener("abort", abort);
      resolve({ stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), code, signal });
    });
  });
}
