// The logger the token engine's unit specs hand an engine: every line recorded, for the assertions.
import { jest } from '@jest/globals';

/** A logger whose `log`, `warn` and `error` are jest mocks. */
export function recordingLogger() {
  return { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

/** What {@link recordingLogger} returns. */
export type RecordingLogger = ReturnType<typeof recordingLogger>;
