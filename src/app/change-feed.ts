import type { Change, ChangeSource } from '../api/index.js';

/** Fans state changes out to live views; a listener that throws never disturbs the change itself. */
export class ChangeFeed implements ChangeSource {
  private readonly listeners = new Set<(change: Change) => void>();

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: Change): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // Live views are best effort; the saved state is what counts.
      }
    }
  }
}
