// An in-memory token store that counts who listens to it, for specs that check an engine stops listening.
import { InMemoryTokenStore } from '../../lib/store/in-memory-token-store.js';

/** An {@link InMemoryTokenStore} that counts, for each key, the `onTokenWritten` subscriptions not yet stopped. */
export class ListenerCountingStore extends InMemoryTokenStore {
  private readonly subscribed = new Map<string, number>();
  private readonly unsubscribed = new Map<string, number>();

  /** How many listeners of `key` subscribed and have not stopped: subscriptions less unsubscriptions. */
  listeners(key: string): number {
    return (this.subscribed.get(key) ?? 0) - (this.unsubscribed.get(key) ?? 0);
  }

  override onTokenWritten(key: string, listener: () => void): () => void {
    const stop = super.onTokenWritten(key, listener);
    this.subscribed.set(key, (this.subscribed.get(key) ?? 0) + 1);
    let stopped = false;
    return () => {
      stop();
      // A stop function called twice unsubscribes once.
      if (stopped) return;
      stopped = true;
      this.unsubscribed.set(key, (this.unsubscribed.get(key) ?? 0) + 1);
    };
  }
}
