import { describe, expect, it } from '@jest/globals';
import { context, describeEffect, events, states } from '../../test/support/engine-fixtures.js';
import { transition } from './engine-transition.js';

// The engine's rules as a table: every state × every event, with no timers and no network. Each cell reads
// "next state: effects", or "ignored" when the state, the memory and the effects are all left as they were.

const IGNORED = 'ignored';
const ADOPTED = 'valid: arm 3300000 ms, log, report acquired, settle token';
const RENEWED = 'valid: arm 3300000 ms, log, report renewed, settle token';
const RETRY = 'retrying: arm 1000 ms, warn, report failed, settle failure';
const LOCK = 'lockedOut: cancel timer, error, report failed, settle failure';
const CLOSE = 'closed: cancel timer, shut down';
const STORE_ADOPTED = 'valid: arm 3300000 ms, log, report acquired';
const STORE_RENEWED = 'valid: arm 3300000 ms, log, report renewed';

/** Rows: states; columns: events, in the order of `events`. */
const table: Record<string, Record<keyof typeof events, string>> = {
  idle: {
    startAsked: 'acquiring: cancel timer, start password',
    tokenAsked: 'acquiring: cancel timer, start password',
    refreshAsked: 'acquiring: cancel timer, start password',
    timerFired: IGNORED,
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  acquiring: {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: IGNORED,
    timerFired: IGNORED,
    tokenObtained: ADOPTED,
    'attemptFailed, retryable': RETRY,
    'attemptFailed, final': LOCK,
    storeTokenFound: IGNORED,
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  valid: {
    startAsked: IGNORED,
    tokenAsked: 'renewing: cancel timer, start refresh_token',
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_RENEWED,
    'tokenRefused, held token':
      'acquiring: warn, cancel timer, start password after 400 ms, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: 'valid: share',
    closeAsked: CLOSE,
  },
  'valid, token expired': {
    startAsked: IGNORED,
    tokenAsked: 'renewing: cancel timer, start refresh_token',
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token':
      'acquiring: warn, cancel timer, start password after 400 ms, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  renewing: {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: IGNORED,
    timerFired: IGNORED,
    tokenObtained: RENEWED,
    'attemptFailed, retryable': RETRY,
    'attemptFailed, final': LOCK,
    storeTokenFound: IGNORED,
    'tokenRefused, held token': 'acquiring: warn, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: 'renewing: share',
    closeAsked: CLOSE,
  },
  'retrying, token held': {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_RENEWED,
    'tokenRefused, held token':
      'acquiring: warn, cancel timer, start password after 500 ms, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: 'retrying: share',
    closeAsked: CLOSE,
  },
  'retrying, no token, spacing over': {
    startAsked: 'acquiring: cancel timer, start password',
    tokenAsked: 'acquiring: cancel timer, start refresh_token',
    refreshAsked: 'acquiring: cancel timer, start refresh_token',
    timerFired: 'acquiring: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  lockedOut: {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: 'acquiring: cancel timer, start password',
    timerFired: IGNORED,
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: 'lockedOut: log, report acquired',
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  closed: Object.fromEntries(Object.keys(events).map((event) => [event, IGNORED])),
};

function outcome(stateName: string, eventName: string): string {
  const { state, memory: before } = states[stateName]!;
  const next = transition(state, before, events[eventName]!, context);
  if (next.state === state && next.memory === before && next.effects.length === 0) return IGNORED;
  return `${next.state.kind}: ${next.effects.map(describeEffect).join(', ')}`;
}

describe('the token engine transition table', () => {
  it('has a row for every state and a cell for every event', () => {
    expect(Object.keys(table)).toEqual(Object.keys(states));
    for (const row of Object.values(table)) expect(Object.keys(row)).toEqual(Object.keys(events));
  });

  describe.each(Object.keys(states))('in state %s', (stateName) => {
    it.each(Object.keys(events))('on %s', (eventName) => {
      expect(outcome(stateName, eventName)).toBe(table[stateName]![eventName]);
    });
  });
});
