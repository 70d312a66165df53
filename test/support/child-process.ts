// Stopping the server processes that tests start (django-oauth-toolkit, redis-server), politely and then not.
import type { ChildProcess } from 'node:child_process';

/**
 * Stops `child`: sends SIGTERM unless it has already exited, waits up to `timeoutMs` for `exited`, and if it has not
 * settled by then sends SIGKILL and waits for `exited` again.
 *
 * @param child the process to stop.
 * @param exited settles once `child` has exited or failed to start (its `exit` or `error` event); it must not reject.
 * @param timeoutMs how long the process may take to exit after SIGTERM.
 */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const exitedInTime = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!exitedInTime) {
    child.kill('SIGKILL');
    await exited;
  }
}
