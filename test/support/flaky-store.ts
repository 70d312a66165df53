// A token store that stops answering on demand, for the unit specs of replicas sharing a store.
import type { SharedEnkashToken, TokenStore } from '../../lib/store/token-store.interface.js';

/** A store that stops answering (rejecting or hanging) while `mode` says so, around a working one. */
export class FlakyStore implements TokenStore {
  mode: 'up' | 'rejecting' | 'hanging' = 'up';
  constructor(private readonly inner: TokenStore) {}
  get(key: string): Promise<SharedEnkashToken | undefined> {
    return this.guard(() => this.inner.get(key));
  }
  set(key: string, token: SharedEnkashToken): Promise<boolean> {
    return this.guard(() => this.inner.set(key, token));
  }
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.guard(() => this.inner.acquireLock(key, owner, ttlMs));
  }
  releaseLock(key: string, owner: string): Promise<void> {
    return this.guard(() => this.inner.releaseLock(key, owner));
  }
  onTokenWritten(key: string, listener: () => void): () => void {
    return this.inner.onTokenWritten(key, listener);
  }
  private guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.mode === 'rejecting') return Promise.reject(new Error('connect ECONNREFUSED'));
    if (this.mode === 'hanging') return new Promise<T>(() => undefined);
    return operation();
  }
}
