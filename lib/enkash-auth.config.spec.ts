import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError } from './errors/enkash-auth.error.js';
import {
  enkashConfig,
  enkashConfigFor,
  enkashEnvironmentVariables,
  readEnkashOptionsFromEnvironment,
} from './enkash-auth.config.js';
import { resolveEnkashAuthOptions } from './enkash-auth.options.js';
import { thrownBy } from '../test/support/thrown.js';

const validEnvironment = {
  ENKASH_BASE_URL: 'https://ekpayout-uat.enkash.in/',
  ENKASH_CLIENT_ID: 'CEK1GZBO6A',
  ENKASH_CLIENT_SECRET: 'the-client-secret',
  ENKASH_USERNAME: 'ops@example.com',
  ENKASH_PASSWORD: 'Test@1234567',
};

function configErrorFor(environment: Record<string, string | undefined>): EnkashAuthError {
  return thrownBy(EnkashAuthError, () =>
    readEnkashOptionsFromEnvironment({ ...validEnvironment, ...environment }),
  );
}

describe('enkashConfig: reading ENKASH_* variables', () => {
  it('applies the documented defaults', () => {
    expect(readEnkashOptionsFromEnvironment(validEnvironment)).toEqual({
      baseUrl: 'https://ekpayout-uat.enkash.in',
      clientId: 'CEK1GZBO6A',
      clientSecret: 'the-client-secret',
      username: 'ops@example.com',
      password: 'Test@1234567',
      tokenPath: '/oauth/token',
      refreshBeforeExpirySeconds: 300,
      tokenRequestTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      acquireOnStartup: true,
      serverTokenCheck: 'auto',
      defaultHeaders: {},
      unwrapEnvelopes: false,
      encryptPayloads: false,
    });
  });

  it('shares the token through Redis when ENKASH_REDIS_URL is set', () => {
    expect(
      readEnkashOptionsFromEnvironment({
        ...validEnvironment,
        ENKASH_REDIS_URL: 'rediss://:redis-pass@cache.internal:6380/2',
      }).redis,
    ).toEqual({
      url: 'rediss://:redis-pass@cache.internal:6380/2',
      keyPrefix: 'enkash-auth:',
      operationTimeoutMs: 500,
    });
  });

  it('reaches a Redis Cluster from ENKASH_REDIS_CLUSTER_NODES, its URLs separated by commas', () => {
    expect(
      readEnkashOptionsFromEnvironment({
        ...validEnvironment,
        ENKASH_REDIS_CLUSTER_NODES:
          'rediss://:redis-pass@10.0.0.1:6379,rediss://:redis-pass@10.0.0.2',
      }).redis,
    ).toEqual({
      clusterNodes: ['rediss://:redis-pass@10.0.0.1:6379', 'rediss://:redis-pass@10.0.0.2'],
      keyPrefix: 'enkash-auth:',
      operationTimeoutMs: 500,
    });
  });

  it('reaches the primary that ENKASH_REDIS_URL names through ENKASH_REDIS_SENTINELS', () => {
    expect(
      readEnkashOptionsFromEnvironment({
        ...validEnvironment,
        ENKASH_REDIS_URL: 'redis://:redis-pass@mymaster/2',
        ENKASH_REDIS_SENTINELS: 'redis://10.0.0.1:26379,redis://10.0.0.2:26379',
      }).redis,
    ).toEqual({
      url: 'redis://:redis-pass@mymaster/2',
      sentinels: ['redis://10.0.0.1:26379', 'redis://10.0.0.2:26379'],
      keyPrefix: 'enkash-auth:',
      operationTimeoutMs: 500,
    });
  });

  it('reads the optional variables', () => {
    expect(
      readEnkashOptionsFromEnvironment({
        ...validEnvironment,
        ENKASH_TOKEN_PATH: '/auth/oauth/token',
        ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: '600',
        ENKASH_TOKEN_TIMEOUT_MS: '2500',
        ENKASH_REQUEST_TIMEOUT_MS: '45000',
        ENKASH_ACQUIRE_ON_STARTUP: 'false',
        ENKASH_SERVER_TOKEN_CHECK: 'always',
      }),
    ).toMatchObject({
      serverTokenCheck: 'always',
      tokenPath: '/auth/oauth/token',
      refreshBeforeExpirySeconds: 600,
      tokenRequestTimeoutMs: 2500,
      requestTimeoutMs: 45_000,
      acquireOnStartup: false,
    });
  });

  it('names every missing variable at once', () => {
    const error = configErrorFor({ ENKASH_CLIENT_SECRET: undefined, ENKASH_PASSWORD: undefined });
    expect(error.code).toBe('config');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('ENKASH_CLIENT_SECRET is required');
    expect(error.message).toContain('ENKASH_PASSWORD is required');
  });

  it('treats empty and whitespace-only values as missing', () => {
    const error = configErrorFor({ ENKASH_USERNAME: '', ENKASH_CLIENT_ID: '  \t' });
    expect(error.message).toContain('ENKASH_USERNAME is required (it is empty or only whitespace)');
    expect(error.message).toContain(
      'ENKASH_CLIENT_ID is required (it is empty or only whitespace)',
    );
  });

  it('rejects a secret with stray whitespace without printing it', () => {
    const error = configErrorFor({ ENKASH_PASSWORD: 'Test@1234567 ' });
    expect(error.message).toContain('ENKASH_PASSWORD has leading or trailing whitespace');
    expect(error.message).not.toContain('Test@1234567');
  });

  it.each([
    ['not a url', 'must be an absolute URL'],
    ['http://ekpayout-uat.enkash.in', 'must use https://'],
    ['ftp://127.0.0.1', 'must use https://'],
    ['https://user:pw@api.enkash.in', 'must not contain credentials'],
    ['https://api.enkash.in/?x=1', 'must not contain a query string'],
  ])('rejects ENKASH_BASE_URL=%s', (baseUrl, problem) => {
    expect(configErrorFor({ ENKASH_BASE_URL: baseUrl }).message).toContain(
      `ENKASH_BASE_URL ${problem}`,
    );
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:9000'])(
    'allows plain http for the loopback host %s',
    (baseUrl) => {
      expect(
        readEnkashOptionsFromEnvironment({ ...validEnvironment, ENKASH_BASE_URL: baseUrl }).baseUrl,
      ).toBe(baseUrl);
    },
  );

  it.each(['0', '-5', '1.5', 'ten', '99999999999'])(
    'rejects ENKASH_TOKEN_TIMEOUT_MS=%s',
    (value) => {
      expect(configErrorFor({ ENKASH_TOKEN_TIMEOUT_MS: value }).message).toContain(
        'ENKASH_TOKEN_TIMEOUT_MS must be a positive whole number',
      );
    },
  );

  it('rejects a non-numeric ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS', () => {
    expect(configErrorFor({ ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: 'soon' }).message).toContain(
      'ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS must be a positive whole number',
    );
  });

  it('rejects a token path that is not a path', () => {
    expect(configErrorFor({ ENKASH_TOKEN_PATH: 'oauth/token' }).message).toContain(
      'ENKASH_TOKEN_PATH must be a path starting with "/"',
    );
  });
});

const secretValues = [
  validEnvironment.ENKASH_CLIENT_SECRET,
  validEnvironment.ENKASH_PASSWORD,
  validEnvironment.ENKASH_USERNAME,
  // The Redis password of one of the bad ENKASH_REDIS_URL values below.
  'Test1234567x',
];
const MAX_TIMEOUT = 2_147_483_647;
const MAX_REFRESH_BEFORE_EXPIRY = 604_800;
const numericVariables = [
  ['ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS', MAX_REFRESH_BEFORE_EXPIRY],
  ['ENKASH_TOKEN_TIMEOUT_MS', MAX_TIMEOUT],
  ['ENKASH_REQUEST_TIMEOUT_MS', MAX_TIMEOUT],
] as const;
const requiredVariables = [
  'ENKASH_BASE_URL',
  'ENKASH_CLIENT_ID',
  'ENKASH_CLIENT_SECRET',
  'ENKASH_USERNAME',
  'ENKASH_PASSWORD',
] as const;
const allVariables = [
  ...requiredVariables,
  ...numericVariables.map(([variable]) => variable),
  'ENKASH_TOKEN_PATH',
  'ENKASH_ACQUIRE_ON_STARTUP',
  'ENKASH_SERVER_TOKEN_CHECK',
  'ENKASH_REDIS_URL',
  'ENKASH_REDIS_SENTINELS',
  'ENKASH_REDIS_CLUSTER_NODES',
];

/** One bad value of one variable, and the problem the error must state about that variable. */
const badValues: Array<[variable: string, value: string, problem: string]> = [
  ...requiredVariables.flatMap((variable): Array<[string, string, string]> => [
    [variable, '', 'is required (it is empty or only whitespace)'],
    [variable, ' \t ', 'is required (it is empty or only whitespace)'],
  ]),
  // Secrets with stray whitespace: named, never echoed.
  ['ENKASH_CLIENT_SECRET', ' the-client-secret', 'has leading or trailing whitespace: remove it'],
  ['ENKASH_PASSWORD', 'Test@1234567\n', 'has leading or trailing whitespace: remove it'],
  ['ENKASH_USERNAME', 'ops@example.com ', 'has leading or trailing whitespace: remove it'],
  [
    'ENKASH_CLIENT_ID',
    'CEK1GZBO6A ',
    'has leading or trailing whitespace ("CEK1GZBO6A "): remove it',
  ],
  ['ENKASH_BASE_URL', 'not a url', 'must be an absolute URL such as https://api.enkash.in'],
  ['ENKASH_BASE_URL', 'enkash.in', 'must be an absolute URL such as https://api.enkash.in'],
  ['ENKASH_BASE_URL', 'api.enkash.in:443', 'must be an absolute URL such as https://api.enkash.in'],
  ['ENKASH_BASE_URL', 'https://', 'must be an absolute URL such as https://api.enkash.in'],
  ['ENKASH_BASE_URL', 'ftp://api.enkash.in', 'must use https:// (plain http:// is allowed only'],
  ['ENKASH_BASE_URL', 'http://api.enkash.in', 'must use https:// (plain http:// is allowed only'],
  ['ENKASH_BASE_URL', 'http://127.0.0.1.nip.io', 'must use https://'],
  ['ENKASH_BASE_URL', 'https://ops:Test@1234567@api.enkash.in', 'must not contain credentials'],
  ['ENKASH_BASE_URL', 'http://ops:Test@1234567@api.enkash.in', 'must use https://'],
  ['ENKASH_BASE_URL', 'https://api.enkash.in/?client_secret=x', 'must not contain a query string'],
  [
    'ENKASH_BASE_URL',
    'https://api.enkash.in/#top',
    'must not contain a query string or a fragment',
  ],
  ['ENKASH_BASE_URL', ' https://api.enkash.in', 'has leading or trailing whitespace'],
  // Whatever stands between the scheme and the last "@" of an echoed base URL is masked: it could be credentials.
  [
    'ENKASH_BASE_URL',
    ' https://ops:Test@1234567@api.enkash.in',
    'has leading or trailing whitespace (" https://***@api.enkash.in")',
  ],
  [
    'ENKASH_BASE_URL',
    ' https://ops:pa/ss@api.enkash.in',
    'has leading or trailing whitespace (" https://***@api.enkash.in")',
  ],
  ['ENKASH_BASE_URL', 'ops:Test@1234567@api.enkash.in', 'must be an absolute URL'],
  // An unparsable URL is not echoed at all: it may hold a password with no "@" to mask at.
  [
    'ENKASH_BASE_URL',
    'https://:Test1234567x',
    'must be an absolute URL such as https://api.enkash.in',
  ],
  ...numericVariables.flatMap(([variable, max]): Array<[string, string, string]> => [
    ...['-5', '0', 'abc', '1.5', '1e3', '0x10', '+5', '30.0', '1_000', 'Infinity', '   '].map(
      (value): [string, string, string] => [
        variable,
        value,
        `must be a positive whole number no greater than ${max} (got "${value}")`,
      ],
    ),
    [variable, String(max + 1), `must be a positive whole number no greater than ${max}`],
    [variable, '9'.repeat(400), `must be a positive whole number no greater than ${max}`],
    [variable, ' 30 ', 'has leading or trailing whitespace (" 30 "): remove it'],
  ]),
  ['ENKASH_ACQUIRE_ON_STARTUP', 'yes', 'must be true or false (got "yes")'],
  ['ENKASH_ACQUIRE_ON_STARTUP', '1', 'must be true or false (got "1")'],
  ['ENKASH_ACQUIRE_ON_STARTUP', 'TRUE', 'must be true or false (got "TRUE")'],
  ['ENKASH_ACQUIRE_ON_STARTUP', 'true ', 'has leading or trailing whitespace ("true "): remove it'],
  ['ENKASH_TOKEN_PATH', 'oauth/token', 'must be a path starting with "/"'],
  ['ENKASH_TOKEN_PATH', ' /oauth/token', 'has leading or trailing whitespace'],
  ['ENKASH_SERVER_TOKEN_CHECK', 'true', 'must be one of auto, always, never (got "true")'],
  ['ENKASH_SERVER_TOKEN_CHECK', 'Always', 'must be one of auto, always, never (got "Always")'],
  [
    'ENKASH_SERVER_TOKEN_CHECK',
    'never ',
    'has leading or trailing whitespace ("never "): remove it',
  ],
  ['ENKASH_REDIS_URL', 'localhost:6379', 'must be a redis:// or rediss:// URL'],
  ['ENKASH_REDIS_URL', 'http://cache.internal', 'must be a redis:// or rediss:// URL'],
  ['ENKASH_REDIS_URL', 'redis://', 'must be a redis:// or rediss:// URL'],
  // An unparsable URL is not echoed at all: it may hold a password with no "@" to mask at.
  ['ENKASH_REDIS_URL', 'redis://:Test1234567x', 'must be a redis:// or rediss:// URL'],
  ['ENKASH_REDIS_URL', 'redis://default:Test1234567x', 'must be a redis:// or rediss:// URL'],
  // A Redis password in the URL is masked when the URL is echoed.
  [
    'ENKASH_REDIS_URL',
    'https://:Test@1234567@cache.internal',
    'must be a redis:// or rediss:// URL such as redis://localhost:6379 (got "https://***@cache.internal")',
  ],
  [
    'ENKASH_REDIS_URL',
    'redis://:Test@1234567@cache.internal ',
    'has leading or trailing whitespace ("redis://***@cache.internal "): remove it',
  ],
  [
    'ENKASH_REDIS_CLUSTER_NODES',
    'redis://:Test1234567x@10.0.0.1:6379,redis://10.0.0.2:6379',
    'must share one scheme and one set of credentials',
  ],
];

describe('enkashConfig: one bad value of one variable', () => {
  it.each(badValues)('%s=%j is refused: %s', (variable, value, problem) => {
    let caught: unknown;
    try {
      readEnkashOptionsFromEnvironment({ ...validEnvironment, [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnkashAuthError);
    const error = caught as EnkashAuthError;
    expect(error).toMatchObject({ code: 'config', retryable: false });
    expect(error.message).toContain(`${variable} ${problem}`);
    // The one bad variable is the only one named.
    for (const other of allVariables.filter((name) => name !== variable)) {
      expect(error.message).not.toContain(other);
    }
    for (const secret of secretValues) expect(error.message).not.toContain(secret);
  });

  it.each([
    [
      'ENKASH_REDIS_CLUSTER_NODES',
      'redis://:Test1234567x@10.0.0.1:6379, redis://:Test1234567x@10.0.0.2:6379',
      'ENKASH_REDIS_CLUSTER_NODES[1] has leading or trailing whitespace (" redis://***@10.0.0.2:6379"): remove it',
    ],
    [
      'ENKASH_REDIS_CLUSTER_NODES',
      '10.0.0.1:6379',
      'ENKASH_REDIS_CLUSTER_NODES[0] must be a redis:// or rediss:// URL',
    ],
    [
      'ENKASH_REDIS_SENTINELS',
      'redis://10.0.0.1:26379',
      'ENKASH_REDIS_SENTINELS needs ENKASH_REDIS_URL naming the primary as the sentinels know it, such as redis://mymaster',
    ],
  ])('refuses the Redis list %s=%j, naming the URL at fault: %s', (variable, value, problem) => {
    const error = configErrorFor({ ...validEnvironment, [variable]: value });
    expect(error.message).toContain(problem);
    for (const secret of secretValues) expect(error.message).not.toContain(secret);
  });

  it.each([
    ['ENKASH_BASE_URL', 'http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['ENKASH_BASE_URL', 'http://localhost', 'http://localhost'],
    ['ENKASH_BASE_URL', 'http://127.12.0.1:3000/', 'http://127.12.0.1:3000'],
    ['ENKASH_BASE_URL', 'https://api.enkash.in/payouts/', 'https://api.enkash.in/payouts'],
    ['ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS', String(MAX_REFRESH_BEFORE_EXPIRY), 604_800],
    ['ENKASH_TOKEN_TIMEOUT_MS', String(MAX_TIMEOUT), MAX_TIMEOUT],
    ['ENKASH_REQUEST_TIMEOUT_MS', '030', 30],
    ['ENKASH_ACQUIRE_ON_STARTUP', 'false', false],
  ])('accepts %s=%j', (variable, value, expected) => {
    const resolved = readEnkashOptionsFromEnvironment({ ...validEnvironment, [variable]: value });
    expect(Object.values(resolved)).toContainEqual(expected);
  });

  it('treats an optional variable set to an empty string as unset', () => {
    expect(
      readEnkashOptionsFromEnvironment({
        ...validEnvironment,
        ENKASH_TOKEN_PATH: '',
        ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: '',
        ENKASH_TOKEN_TIMEOUT_MS: '',
        ENKASH_REQUEST_TIMEOUT_MS: '',
        ENKASH_ACQUIRE_ON_STARTUP: '',
        ENKASH_SERVER_TOKEN_CHECK: '',
        ENKASH_REDIS_URL: '',
        ENKASH_REDIS_SENTINELS: '',
        ENKASH_REDIS_CLUSTER_NODES: '',
      }),
    ).toEqual(readEnkashOptionsFromEnvironment(validEnvironment));
  });

  it('names every bad variable of one environment in one error', () => {
    const error = configErrorFor({
      ENKASH_BASE_URL: 'http://api.enkash.in',
      ENKASH_PASSWORD: ' Test@1234567',
      ENKASH_TOKEN_TIMEOUT_MS: '1e3',
      ENKASH_ACQUIRE_ON_STARTUP: 'yes',
    });
    expect(error.message.match(/ENKASH_\w+/g)).toEqual([
      'ENKASH_BASE_URL',
      'ENKASH_PASSWORD',
      'ENKASH_TOKEN_TIMEOUT_MS',
      'ENKASH_ACQUIRE_ON_STARTUP',
    ]);
    expect(error.message).not.toContain('Test@1234567');
  });
});

describe('forRoot options validation', () => {
  it('names the option, not the variable', () => {
    expect(() =>
      resolveEnkashAuthOptions({
        baseUrl: 'https://api.enkash.in',
        clientId: 'id',
        clientSecret: 'secret',
        username: 'user',
        password: 'password',
        refreshBeforeExpirySeconds: -1,
      }),
    ).toThrow('refreshBeforeExpirySeconds must be a positive whole number');
  });

  const validOptions = {
    baseUrl: 'https://api.enkash.in',
    clientId: 'id',
    clientSecret: 'the-client-secret',
    username: 'user',
    password: 'Test@1234567',
  };

  it.each([
    ['baseUrl', 'http://api.enkash.in', 'baseUrl must use https://'],
    ['baseUrl', 42, 'baseUrl must be a string'],
    [
      'clientSecret',
      'the-client-secret ',
      'clientSecret has leading or trailing whitespace: remove it',
    ],
    ['password', '', 'password is required (it is empty or only whitespace)'],
    ['refreshBeforeExpirySeconds', 0, 'refreshBeforeExpirySeconds must be a positive whole number'],
    ['tokenRequestTimeoutMs', 1.5, 'tokenRequestTimeoutMs must be a positive whole number'],
    ['tokenRequestTimeoutMs', Number.NaN, 'tokenRequestTimeoutMs must be a positive whole number'],
    ['requestTimeoutMs', 2 ** 31, 'requestTimeoutMs must be a positive whole number'],
    ['requestTimeoutMs', '1e3', 'requestTimeoutMs must be a positive whole number'],
    ['acquireOnStartup', 'yes', 'acquireOnStartup must be true or false'],
    ['serverTokenCheck', true, 'serverTokenCheck must be one of auto, always, never'],
    ['redis', 'redis://localhost', 'redis must be an object with a url, clusterNodes or a client'],
    ['redis', {}, 'redis.url is required'],
    [
      'redis',
      { url: 'redis://localhost', keyPrefix: 'a b' },
      'redis.keyPrefix must be a non-empty',
    ],
    [
      'redis',
      { url: 'redis://localhost', operationTimeoutMs: 0 },
      'redis.operationTimeoutMs must be',
    ],
    ['redis', { client: {} }, 'redis.client must be an ioredis client'],
    [
      'redis',
      { url: 'redis://localhost', client: { duplicate: () => undefined } },
      'redis.url and redis.client cannot be set together: redis takes one of url, clusterNodes and client',
    ],
    [
      'redis',
      { url: 'redis://localhost', clusterNodes: ['redis://10.0.0.1:6379'], client: {} },
      'redis.url, redis.clusterNodes and redis.client cannot be set together',
    ],
    ['redis', { clusterNodes: [] }, 'redis.clusterNodes must be a non-empty list of redis://'],
    [
      'redis',
      { clusterNodes: 'redis://10.0.0.1:6379' },
      'redis.clusterNodes must be a non-empty list',
    ],
    [
      'redis',
      { clusterNodes: ['redis://10.0.0.1:6379', 'http://10.0.0.2:6379'] },
      'redis.clusterNodes[1] must be a redis:// or rediss:// URL',
    ],
    [
      'redis',
      { clusterNodes: ['redis://10.0.0.1:6379/1'] },
      'redis.clusterNodes[0] must be a redis:// or rediss:// URL such as redis://10.0.0.1:6379, without a database',
    ],
    [
      'redis',
      { clusterNodes: ['redis://:Test@1234567@10.0.0.1:6379', 'redis://10.0.0.2:6379'] },
      'redis.clusterNodes must share one scheme and one set of credentials',
    ],
    [
      'redis',
      { clusterNodes: ['rediss://10.0.0.1:6379', 'redis://10.0.0.2:6379'] },
      'redis.clusterNodes must share one scheme',
    ],
    [
      'redis',
      { sentinels: ['redis://10.0.0.1:26379'] },
      'redis.sentinels needs redis.url naming the primary as the sentinels know it',
    ],
    [
      'redis',
      { url: 'redis://:Test@1234567@mymaster:6379', sentinels: ['redis://10.0.0.1:26379'] },
      'redis.url must name the primary as the sentinels know it, without a port',
    ],
    [
      'redis',
      {
        url: 'redis://mymaster',
        sentinels: ['redis://10.0.0.1:26379', 'redis://:x@10.0.0.2:26379'],
      },
      'redis.sentinels must share one scheme and one set of credentials',
    ],
    [
      'redis',
      { url: 'redis://localhost', keyPrefix: 'app{:' },
      'redis.keyPrefix must close the { it opens',
    ],
    ['redis', { url: 'redis://localhost', keyPrefix: '{}app:' }, 'redis.keyPrefix must close'],
    ['tokenStore', { get: () => undefined }, 'tokenStore must implement TokenStore'],
  ])('names the option %s=%p, never an ENKASH_* variable', (option, value, problem) => {
    let caught: unknown;
    try {
      resolveEnkashAuthOptions({ ...validOptions, [option]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnkashAuthError);
    const { code, message } = caught as EnkashAuthError;
    expect(code).toBe('config');
    expect(message).toContain(problem);
    expect(message).not.toContain('ENKASH_');
    expect(message).not.toContain('the-client-secret');
    expect(message).not.toContain('Test@1234567');
  });

  it('accepts whole numbers given as digit strings, as a config service may hand them over', () => {
    expect(
      resolveEnkashAuthOptions({ ...validOptions, requestTimeoutMs: '45000' }).requestTimeoutMs,
    ).toBe(45_000);
  });
});

describe('token store options', () => {
  const validOptions = {
    baseUrl: 'https://api.enkash.in',
    clientId: 'id',
    clientSecret: 'the-client-secret',
    username: 'user',
    password: 'Test@1234567',
  };
  const store = {
    get: () => Promise.resolve(undefined),
    set: () => Promise.resolve(true),
    acquireLock: () => Promise.resolve(true),
    releaseLock: () => Promise.resolve(),
    onTokenWritten: () => () => undefined,
  };

  it("keeps a store of the application's own as it is", () => {
    expect(resolveEnkashAuthOptions({ ...validOptions, tokenStore: store }).tokenStore).toBe(store);
  });

  it('refuses two stores at once', () => {
    expect(() =>
      resolveEnkashAuthOptions({
        ...validOptions,
        tokenStore: store,
        redis: { url: 'redis://localhost' },
      }),
    ).toThrow('tokenStore and redis cannot both be set: choose one store');
  });

  it('leaves the token unshared when neither is set', () => {
    const resolved = resolveEnkashAuthOptions(validOptions);
    expect(resolved.redis).toBeUndefined();
    expect(resolved.tokenStore).toBeUndefined();
  });
});

describe("enkashConfigFor(name): a named registration's own variables", () => {
  const cardsEnvironment = {
    ENKASH_CARDS_BASE_URL: 'https://cards.example.com',
    ENKASH_CARDS_CLIENT_ID: 'CARDS01',
    ENKASH_CARDS_CLIENT_SECRET: 'the-cards-secret',
    ENKASH_CARDS_USERNAME: 'cards@example.com',
    ENKASH_CARDS_PASSWORD: 'Cards@1234567',
    ENKASH_CARDS_REFRESH_BEFORE_EXPIRY_SECONDS: '120',
  };

  it("reads ENKASH_<NAME>_* and none of the unnamed registration's variables", () => {
    const options = readEnkashOptionsFromEnvironment(
      { ...validEnvironment, ENKASH_REDIS_URL: 'redis://127.0.0.1:6379', ...cardsEnvironment },
      'cards',
    );

    expect(options).toMatchObject({
      baseUrl: 'https://cards.example.com',
      clientId: 'CARDS01',
      username: 'cards@example.com',
      refreshBeforeExpirySeconds: 120,
    });
    expect(options.redis).toBeUndefined();
  });

  it('names the prefixed variables that are missing, even when the unnamed ones are set', () => {
    let error: unknown;
    try {
      readEnkashOptionsFromEnvironment(
        { ...validEnvironment, ENKASH_CARDS_BASE_URL: 'https://cards.example.com' },
        'cards',
      );
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(EnkashAuthError);
    expect((error as EnkashAuthError).code).toBe('config');
    for (const variable of [
      'ENKASH_CARDS_CLIENT_ID',
      'ENKASH_CARDS_CLIENT_SECRET',
      'ENKASH_CARDS_USERNAME',
      'ENKASH_CARDS_PASSWORD',
    ]) {
      expect((error as Error).message).toContain(variable);
    }
    expect((error as Error).message).not.toContain('ENKASH_CLIENT_ID');
  });

  it('turns the name into a variable prefix: capitals, and _ for -', () => {
    expect(enkashEnvironmentVariables('business-unit-2')).toMatchObject({
      baseUrl: 'ENKASH_BUSINESS_UNIT_2_BASE_URL',
      redis: 'ENKASH_BUSINESS_UNIT_2_REDIS_URL',
    });
    expect(enkashEnvironmentVariables().baseUrl).toBe('ENKASH_BASE_URL');
    expect(enkashEnvironmentVariables('default').baseUrl).toBe('ENKASH_BASE_URL');
  });

  it('gives one config object per name, under its own key', () => {
    expect(enkashConfigFor('cards')).toBe(enkashConfigFor('cards'));
    expect(enkashConfigFor('cards').KEY).not.toBe(enkashConfig.KEY);
    expect(enkashConfigFor('default')).toBe(enkashConfig);
  });
});

describe('environment, default headers, envelopes and encryption settings', () => {
  const { ENKASH_BASE_URL: _baseUrl, ...withoutBaseUrl } = validEnvironment;

  it.each([
    ['uat', 'https://ekpayout-uat.enkash.in'],
    ['production', 'https://api.enkash.in'],
  ])("ENKASH_ENVIRONMENT=%s picks EnKash's Payouts host %s", (environment, host) => {
    const options = readEnkashOptionsFromEnvironment({
      ...withoutBaseUrl,
      ENKASH_ENVIRONMENT: environment,
    });
    expect(options).toMatchObject({ baseUrl: host, environment });
    // A .env template's blank base URL beside an environment is left out, not refused.
    expect(
      readEnkashOptionsFromEnvironment({
        ...withoutBaseUrl,
        ENKASH_BASE_URL: '',
        ENKASH_ENVIRONMENT: environment,
      }).baseUrl,
    ).toBe(host);
  });

  it('lets ENKASH_BASE_URL win over ENKASH_ENVIRONMENT', () => {
    const options = readEnkashOptionsFromEnvironment({
      ...validEnvironment,
      ENKASH_BASE_URL: 'https://pay-uat.enkash.in',
      ENKASH_ENVIRONMENT: 'production',
    });
    expect(options).toMatchObject({
      baseUrl: 'https://pay-uat.enkash.in',
      environment: 'production',
    });
  });

  it('refuses an unknown environment, naming the values it takes', () => {
    const error = configErrorFor({ ENKASH_BASE_URL: undefined, ENKASH_ENVIRONMENT: 'staging' });
    expect(error.message).toContain(
      'ENKASH_ENVIRONMENT must be one of uat, production (got "staging")',
    );
    expect(error.message).not.toContain('ENKASH_BASE_URL');
    expect(() =>
      resolveEnkashAuthOptions({
        clientId: 'id',
        clientSecret: 'secret',
        username: 'user',
        password: 'password',
        environment: 'prod',
      }),
    ).toThrow('environment must be one of uat, production (got "prod")');
    expect(configErrorFor({ ENKASH_ENVIRONMENT: 'uat ' }).message).toContain(
      'ENKASH_ENVIRONMENT has leading or trailing whitespace ("uat ")',
    );
  });

  it('asks for a base URL or an environment when neither is set', () => {
    const error = configErrorFor({ ENKASH_BASE_URL: undefined });
    expect(error.message).toContain(
      'ENKASH_BASE_URL is required (or ENKASH_ENVIRONMENT: uat or production)',
    );
  });

  it('reads default headers as a JSON object', () => {
    const options = readEnkashOptionsFromEnvironment({
      ...validEnvironment,
      ENKASH_DEFAULT_HEADERS: '{"partnerId":"P123","X-Channel":"api"}',
    });
    expect(options.defaultHeaders).toEqual({ partnerId: 'P123', 'X-Channel': 'api' });
  });

  it.each([
    ['partnerId=P123', 'ENKASH_DEFAULT_HEADERS must be a JSON object of header names to values'],
    ['["partnerId"]', 'ENKASH_DEFAULT_HEADERS must be a JSON object of header names to values'],
    ['{"Authorization":"Bearer x-key-9"}', 'ENKASH_DEFAULT_HEADERS must not set Authorization'],
    ['{"partner id":"x-key-9"}', 'ENKASH_DEFAULT_HEADERS has an invalid header name "partner id"'],
    [
      '{"partnerId":"x-key-9\\r\\nX-Evil: 1"}',
      'the value of partnerId must not contain line breaks',
    ],
    ['{"partnerId":""}', 'the value of partnerId must be a non-empty string'],
    ['{"partnerId":7}', 'the value of partnerId must be a non-empty string'],
    ['{"partnerId":" x-key-9"}', 'the value of partnerId has leading or trailing whitespace'],
  ])('refuses ENKASH_DEFAULT_HEADERS=%s without echoing a value', (value, problem) => {
    const error = configErrorFor({ ENKASH_DEFAULT_HEADERS: value });
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain('x-key-9');
  });

  it('reads the envelope and encryption switches as booleans', () => {
    const options = readEnkashOptionsFromEnvironment({
      ...validEnvironment,
      ENKASH_UNWRAP_ENVELOPES: 'true',
      ENKASH_ENCRYPT_PAYLOADS: 'true',
    });
    expect(options).toMatchObject({ unwrapEnvelopes: true, encryptPayloads: true });
    expect(configErrorFor({ ENKASH_ENCRYPT_PAYLOADS: 'yes' }).message).toContain(
      'ENKASH_ENCRYPT_PAYLOADS must be true or false (got "yes")',
    );
  });
});
