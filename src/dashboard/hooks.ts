import { useEffect, useState } from 'preact/hooks';
import type { LiveState, LiveStore } from './live-store.js';

/** The store's state; re-renders on every change. */
export function useLive(store: LiveStore): LiveState {
  const [state, setState] = useState(store.get());
  useEffect(() => store.subscribe(() => setState(store.get())), [store]);
  return state;
}

/** The server's current time, refreshed every second for countdowns (a local timer, no requests). */
export function useServerNow(store: LiveStore): number {
  const [now, setNow] = useState(store.now());
  useEffect(() => {
    const t = setInterval(() => setNow(store.now()), 1000);
    return () => clearInterval(t);
  }, [store]);
  return now;
}

/** The model named in the address (#/models/churn), so a view can be bookmarked and shared. */
export function useHashModel(): [string | null, (name: string) => void] {
  const read = () => {
    const m = /^#\/models\/(.+)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]!) : null;
  };
  const [name, setName] = useState(read());
  useEffect(() => {
    const on = () => setName(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return [name, (n) => (location.hash = `#/models/${encodeURIComponent(n)}`)];
}
