import { describe, expect, it } from '@jest/globals';
import { context, describeEffect, events, states } from '../../test/support/engine-fixtures.js';
import { transition } from './engine-transition.js';

// The engine's rules as a table: every state × every event, with no timers and no network. Each cell reads
// "next state: effects"; an event a row leaves out must be ignored: state, memory and effects all left as they were.

const IGNORED = 'ignored';
const ADOPTED = 'valid: arm 3300000 ms, log, report acquired, settle token';
const RENEWED = 'valid: arm 3300000 ms, log, report renewed, settle token';
const RETRY = 'retrying: arm 1000 ms, warn, report failed, settle failure';
const LOCK = 'lockedOut: cancel timer, error, report failed, settle failure';
const CLOSE = 'closed: cancel timer, shut down';
const STORE_ADOPTED = 'valid: arm 3300000 ms, log, report acquired, settle token';
const STORE_RENEWED = 'valid: arm 3300000 ms, log, report renewed, settle token';
/** A refresh grant failed with no valid token held: the next attempts use the password grant. */
const RETRY_WITH_PASSWORD = 'retrying: arm 1000 ms, warn, warn, report failed, settle failure';

/** For each state, what each event does; every event a row leaves out is ignored in that state. */
const table: Record<string, Partial<Record<string, string>>> = {
  idle: {
    startAsked: 'acquiring: cancel timer, start password',
    tokenAsked: 'acquiring: cancel timer, start password',
    'tokenAsked, patient': 'acquiring: cancel timer, start password',
    refreshAsked: 'acquiring: cancel timer, start password',
    storeTokenFound: STORE_ADOPTED,
    closeAsked: CLOSE,
  },
  acquiring: {
    tokenObtained: ADOPTED,
    'attemptFailed, retryable': RETRY,
    'attemptFailed, refresh grant': RETRY_WITH_PASSWORD,
    'attemptFailed, final': LOCK,
    closeAsked: CLOSE,
  },
  valid: {
    tokenAsked: 'renewing: cancel timer, start refresh_token',
    'tokenAsked, patient': 'renewing: cancel timer, start refresh_token',
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    storeTokenFound: STORE_RENEWED,
    'tokenRefused, held token':
      'acquiring: cancel timer, start password after 400 ms, warn, report invalidated',
    storeAnswersAgain: 'valid: share',
    renewalAnnounced: 'valid, held back until 11000 ms: ',
    closeAsked: CLOSE,
  },
  'valid, token expired': {
    tokenAsked: 'renewing: cancel timer, start refresh_token',
    'tokenAsked, patient': 'renewing: cancel timer, start refresh_token',
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token':
      'acquiring: cancel timer, start password after 400 ms, warn, report invalidated',
    closeAsked: CLOSE,
  },
  renewing: {
    tokenObtained: RENEWED,
    'attemptFailed, retryable': RETRY,
    'attemptFailed, refresh grant': RETRY,
    'attemptFailed, final': LOCK,
    'tokenRefused, held token': 'acquiring: warn, report invalidated',
    storeAnswersAgain: 'renewing: share',
    closeAsked: CLOSE,
  },
  'retrying, token held': {
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    storeTokenFound: STORE_RENEWED,
    'tokenRefused, held token':
      'acquiring: cancel timer, start password after 500 ms, warn, report invalidated',
    storeAnswersAgain: 'retrying: share',
    closeAsked: CLOSE,
  },
  'retrying, no token, spacing over': {
    startAsked: 'acquiring: cancel timer, start password',
    tokenAsked: 'acquiring: cancel timer, start refresh_token',
    'tokenAsked, patient': 'acquiring: cancel timer, start refresh_token',
    refreshAsked: 'acquiring: cancel timer, start refresh_token',
    timerFired: 'acquiring: cancel timer, start refresh_token',
    storeTokenFound: STORE_ADOPTED,
    closeAsked: CLOSE,
  },
  'retrying, no token, within spacing': {
    startAsked: 'acquiring: cancel timer, start password',
    refreshAsked: 'acquiring: cancel timer, start refresh_token',
    timerFired: 'acquiring: cancel timer, start refresh_token',
    storeTokenFound: STORE_ADOPTED,
    closeAsked: CLOSE,
  },
  // A caller who waits for the spacing's end has the retry come then, rather than at the backoff's end.
  'retrying, no token, backoff past spacing': {
    startAsked: 'acquiring: cancel timer, start password',
    'tokenAsked, patient': 'retrying: arm 4500 ms',
    refreshAsked: 'acquiring: cancel timer, start refresh_token',
    timerFired: 'acquiring: cancel timer, start refresh_token',
    storeTokenFound: STORE_ADOPTED,
    closeAsked: CLOSE,
  },
  lockedOut: {
    refreshAsked: 'acquiring: cancel timer, start password',
    storeTokenFound: 'lockedOut: log, report acquired, settle token',
    closeAsked: CLOSE,
  },
  'lockedOut, a store token held': {
    refreshAsked: 'renewing: cancel timer, start password',
    storeTokenFound: 'lockedOut: log, report renewed, settle token',
    'tokenRefused, held token': 'lockedOut: warn, report invalidated',
    storeAnswersAgain: 'lockedOut: share',
    closeAsked: CLOSE,
  },
  closed: {},
};

function outcome(stateName: string, eventName: string): string {
  const { state, memory: before } = states[stateName]!;
  const next = transition(state, before, events[eventName]!, context);
  if (next.state === state && next.memory === before && next.effects.length === 0) return IGNORED;
  const heldBack =
    next.state.kind === 'valid' && next.state.heldBackUntilMs !== undefined
      ? `, held back until ${next.state.heldBackUntilMs} ms`
      : '';
  return `${next.state.kind}${heldBack}: ${next.effects.map(describeEffect).join(', ')}`;
}

describe('the token engine transition table', () => {
  it('has a row for every state, naming only events that exist', () => {
    expect(Object.keys(table)).toEqual(Object.keys(states));
    for (const row of Object.values(table)) {
      for (const event of Object.keys(row)) expect(Object.keys(events)).toContain(event);
    }
  });

  describe.each(Object.keys(states))('in state %s', (stateName) => {
    it.each(Object.keys(events))('on %s', (eventName) => {
      expect(outcome(stateName, eventName)).toBe(table[stateName]![eventName] ?? IGNORED);
    });
  });
});
