// The Redis token store's layout: the Lua scripts it runs, and the value it holds under a token key. The value is
// the token without its expiry, which is the key's TTL.
import type { SharedEnkashToken } from './token-store.interface.js';

/** Reads the value and the remaining lifetime in one step, so that they belong to the same write. */
export const READ_SCRIPT = `
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return false end
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`;

/**
 * Writes unless the held token lives longer (PTTL is -2 when there is none, -1 for a key without TTL), and tells the
 * listeners. Of two that expire together the later write wins, as the interface's "lives longer" says.
 */
export const WRITE_SCRIPT = `
if redis.call('PTTL', KEYS[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], '1')
return 1`;

/**
 * Takes the lock unless another owner holds it (as the interface says: "unless someone else holds it"). Its holder
 * takes it again, with a new TTL: each instance has one owner id, and `SET NX` would refuse it its own lock.
 */
export const ACQUIRE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Deletes the lock only if `owner` still holds it: it may have expired and been taken by another instance. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The value held under a token key: JSON of the access token and the refresh token, nothing else. */
export function encodeToken(token: SharedEnkashToken): string {
  const { accessToken, refreshToken } = token;
  return JSON.stringify(
    refreshToken === undefined ? { accessToken } : { accessToken, refreshToken },
  );
}

/** The token in a {@link READ_SCRIPT} reply; `undefined` for anything else, whoever wrote it. */
export function parseStoredToken(reply: unknown, now: number): SharedEnkashToken | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [value, remaining] = reply as unknown[];
  // A client with `stringNumbers` answers PTTL as a string.
  const pttl = typeof remaining === 'string' ? Number(remaining) : remaining;
  if (typeof value !== 'string' || typeof pttl !== 'number' || !(pttl > 0)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { accessToken, refreshToken } = parsed as Record<string, unknown>;
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;
  if (refreshToken === undefined) return { accessToken, expiresAt: now + pttl };
  if (typeof refreshToken !== 'string') return undefined;
  return { accessToken, refreshToken, expiresAt: now + pttl };
}
