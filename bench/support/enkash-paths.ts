/** A balance inquiry: a small JSON answer, the most common call, and the one every section sends. */
export const BALANCE_PATH = '/api/v0/payout-account/balance';
