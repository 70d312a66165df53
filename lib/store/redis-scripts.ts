// The Redis token store's layout: the Lua scripts it runs, and the value it holds under a token key. The value is
// the token without its expiry, which is the key's TTL, sealed by token-at-rest.ts.
//
// Each script touches one key, so that it runs on one node of a Redis Cluster; the token key and the lock key of an
// account carry its store key as a hash tag (`{...}`), so that they share a slot, hence a node and its failovers.
// No script compares token values: sealing draws a random IV, so one token is stored differently each time.
import type { SharedEnkashToken } from './token-store.interface.js';

/** What a release of the lock publishes on the account's channel: instances waiting for the holder look again. */
export const RELEASED_NOTICE = 'released';

/** What an instance about to send the refresh grant publishes on the account's channel. */
export const RENEWING_NOTICE = 'renewing';

/** Reads the value and the remaining lifetime in one step, so that they belong to the same write. */
export const READ_SCRIPT = `
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return false end
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`;

/**
 * Writes unless the held token lives longer (PTTL is -2 when there is none, -1 for a key without TTL), and tells the
 * listeners. Of two that expire together the later write wins, as the interface's "lives longer" says. A held value
 * that does not start with the writer's prefix (`ARGV[4]`: format and key id) is not one it could read, so it counts
 * as no token and is written over, however long it lives.
 */
export const WRITE_SCRIPT = `
if redis.call('PTTL', KEYS[1]) > tonumber(ARGV[2]) then
  local held = redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1])
  if held and string.sub(held, 1, string.len(ARGV[4])) == ARGV[4] then return 0 end
end
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

/**
 * Deletes the lock only if `owner` still holds it (it may have expired and been taken by another instance), and says
 * so on the account's channel.
 */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], '${RELEASED_NOTICE}')
  return 1
end
return 0`;

/** What is sealed under a token key: JSON of the access token and the refresh token, nothing else. */
export function encodeToken(token: SharedEnkashToken): string {
  const { accessToken, refreshToken } = token;
  return JSON.stringify(
    refreshToken === undefined ? { accessToken } : { accessToken, refreshToken },
  );
}

/** The value and the remaining lifetime in a {@link READ_SCRIPT} reply; `undefined` for no live string value. */
export function parseReadReply(reply: unknown): { value: string; pttlMs: number } | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [value, remaining] = reply as unknown[];
  // A client with `stringNumbers` answers PTTL as a string.
  const pttl = typeof remaining === 'string' ? Number(remaining) : remaining;
  if (typeof value !== 'string' || typeof pttl !== 'number' || !(pttl > 0)) return undefined;
  return { value, pttlMs: pttl };
}

/** The token in an opened value, expiring at `expiresAt`; `undefined` for anything else. */
export function decodeToken(json: string, expiresAt: number): SharedEnkashToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { accessToken, refreshToken } = parsed as Record<string, unknown>;
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;
  if (refreshToken === undefined) return { accessToken, expiresAt };
  if (typeof refreshToken !== 'string') return undefined;
  return { accessToken, refreshToken, expiresAt };
}
