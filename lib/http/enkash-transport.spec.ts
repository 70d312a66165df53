import { describe, expect, it } from '@jest/globals';
import axios, { isAxiosError } from 'axios';
import type { AxiosAdapter } from 'axios';
import type { EnkashTokenWaitOptions } from '../interfaces/enkash-token-wait-options.interface.js';
import { EnkashTransport } from './enkash-transport.js';
import { EnkashOrigin } from './request-target.js';

// How a call waits for a token: with what patience it asks the engine, and that it leaves the engine's queue when it
// gives up, so that a call that is gone never brings a retry forward.

const BASE_URL = 'https://ekpayout-uat.enkash.in';

/** An engine with no token to give: it records how each call asked, and never answers. */
function engineWithoutToken(): {
  asked: EnkashTokenWaitOptions[];
  auth: ConstructorParameters<typeof EnkashTransport>[0]['auth'];
} {
  const asked: EnkashTokenWaitOptions[] = [];
  return {
    asked,
    auth: {
      getCachedAccessToken: () => undefined,
      getAccessToken: (options?: EnkashTokenWaitOptions) => {
        asked.push(options ?? {});
        return new Promise<string>(() => undefined);
      },
      invalidate: () => undefined,
    },
  };
}

function clientOn(transport: EnkashTransport): ReturnType<typeof axios.create> {
  const sent: AxiosAdapter = () => Promise.reject(new Error('nothing may be sent without a token'));
  const client = axios.create({ baseURL: BASE_URL, adapter: sent });
  client.interceptors.request.use((config) => {
    config.adapter = transport.adapterFor(config);
    return config;
  });
  return client;
}

describe('EnkashTransport waiting for a token', () => {
  it("asks with the call's timeout as its patience, and leaves the queue when that timeout ends", async () => {
    const { asked, auth } = engineWithoutToken();
    const transport = new EnkashTransport({ auth, enkashOrigin: new EnkashOrigin(BASE_URL) });

    const error: unknown = await clientOn(transport)
      .get('/api/v0/payout-account/balance', { timeout: 50 })
      .catch((caught: unknown) => caught);

    expect(isAxiosError(error) && error.code).toBe('ECONNABORTED');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.waitMs).toBe(50);
    expect(asked[0]?.signal?.aborted).toBe(true);
  });

  it("leaves the queue when the caller's signal aborts", async () => {
    const { asked, auth } = engineWithoutToken();
    const transport = new EnkashTransport({ auth, enkashOrigin: new EnkashOrigin(BASE_URL) });
    const controller = new AbortController();

    const call = clientOn(transport)
      .get('/api/v0/payout-account/balance', { signal: controller.signal })
      .catch((caught: unknown) => caught);
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked[0]?.signal?.aborted).toBe(false);
    controller.abort();

    expect(axios.isCancel(await call)).toBe(true);
    expect(asked[0]?.waitMs).toBe(Number.POSITIVE_INFINITY);
    expect(asked[0]?.signal?.aborted).toBe(true);
  });
});
