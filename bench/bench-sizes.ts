// How big each measurement is: the full run behind BENCHMARKS.md, and the quick smoke run that npm test makes so that
// the bench never rots (its figures mean little, its tables must still come out).

/** The sizes of one bench run. */
export interface BenchSizes {
  /** Per-call overhead: calls per variant and round, concurrent callers, rounds, warm-up calls per variant. */
  readonly overhead: { calls: number; concurrency: number; rounds: number; warmUpCalls: number };
  /** Cold start: concurrent callers, and the token endpoint's delay standing for the network to EnKash. */
  readonly coldStart: { callers: number; tokenLatencyMs: number };
  /** Cached token: sequential `getAccessToken()` calls. */
  readonly cachedToken: { calls: number };
  /** Renewals under load: token lifetime, load duration and concurrent callers, per client. */
  readonly renewals: { tokenLifetimeSeconds: number; durationMs: number; concurrency: number };
  /** Memory: calls and renewals between the two heap readings. */
  readonly memory: { calls: number; renewals: number };
  /** Replicas: how long each group of three calls EnKash. */
  readonly replicas: { durationMs: number };
  /** A fleet on one Redis: processes × apps each, and how many token lifetimes it runs. */
  readonly fleet: { processes: number; appsPerProcess: number; lifetimes: number };
  /** Failures a caller should never see: the five cases of issue 18. */
  readonly callerFailures: {
    /** Case 1: concurrent callers at a cold start, and the callers that come right after the first answer. */
    burstCallers: number;
    followers: number;
    /** Case 2: how long callers call around (or after) the revocation. */
    revocationRunMs: number;
    /** Case 3: how long callers call around the revocation. */
    forbiddenRunMs: number;
    /** Case 4: token lifetimes, and how long callers call with each. */
    shortTokens: ReadonlyArray<{ lifetimeSeconds: number; durationMs: number }>;
    /** Case 5: token lifetimes the run lasts after the refused token. */
    lifetimesAfterRefusal: number;
  };
}

/** `npm run bench`. */
export const FULL_RUN: BenchSizes = {
  overhead: { calls: 20_000, concurrency: 32, rounds: 3, warmUpCalls: 2_000 },
  coldStart: { callers: 1_000, tokenLatencyMs: 50 },
  cachedToken: { calls: 5_000_000 },
  renewals: { tokenLifetimeSeconds: 5, durationMs: 30_000, concurrency: 16 },
  memory: { calls: 100_000, renewals: 1_000 },
  replicas: { durationMs: 20_000 },
  fleet: { processes: 5, appsPerProcess: 10, lifetimes: 10 },
  callerFailures: {
    burstCallers: 20,
    followers: 5,
    revocationRunMs: 20_000,
    forbiddenRunMs: 6_000,
    shortTokens: [
      { lifetimeSeconds: 2.5, durationMs: 20_000 },
      { lifetimeSeconds: 10, durationMs: 30_000 },
    ],
    lifetimesAfterRefusal: 8,
  },
};

/** `npm run bench -- --quick`: every section, a fraction of the work. */
export const QUICK_RUN: BenchSizes = {
  overhead: { calls: 1_000, concurrency: 32, rounds: 1, warmUpCalls: 200 },
  coldStart: { callers: 1_000, tokenLatencyMs: 50 },
  cachedToken: { calls: 100_000 },
  renewals: { tokenLifetimeSeconds: 2, durationMs: 3_000, concurrency: 4 },
  memory: { calls: 2_000, renewals: 20 },
  replicas: { durationMs: 5_000 },
  fleet: { processes: 2, appsPerProcess: 3, lifetimes: 2 },
  callerFailures: {
    burstCallers: 20,
    followers: 5,
    revocationRunMs: 3_000,
    forbiddenRunMs: 2_000,
    shortTokens: [{ lifetimeSeconds: 2.5, durationMs: 5_000 }],
    lifetimesAfterRefusal: 2,
  },
};
