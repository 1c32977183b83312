import { useState } from 'preact/hooks';
import { adminToken, setAdminToken } from '../api.js';
import { useHashModel, useLive, useServerNow } from '../hooks.js';
import type { LiveStore, ModelState } from '../live-store.js';
import { ModelPage } from './model-page.js';
import { PHASE_LABEL } from './rollout-panel.js';

const CONNECTION_LABEL = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

function ModelNav({ models, selected, onSelect }: { models: ModelState[]; selected: string | null; onSelect: (name: string) => void }) {
  return (
    <nav class="models" aria-label="models">
      {models.map((s) => (
        <button key={s.model.name} type="button" class={s.model.name === selected ? 'active' : ''} aria-current={s.model.name === selected ? 'page' : undefined} onClick={() => onSelect(s.model.name)}>
          <span class="name">{s.model.name}</span>
          <span class="small muted">
            v{s.model.stable_version}
            {s.model.canary_version !== null ? ` · v${s.model.canary_version} at ${s.model.canary_weight}%` : ''}
          </span>
          {s.rollout && <span class={`phase small phase-${s.rollout.phase}`}>{PHASE_LABEL[s.rollout.phase]}</span>}
        </button>
      ))}
    </nav>
  );
}

/** Asked for when the server refuses an admin action: the same token the CLI reads from COALMINE_TOKEN. */
function TokenForm({ onDone, why }: { onDone: (saved: boolean) => void; why: string }) {
  const [value, setValue] = useState(adminToken() ?? '');
  return (
    <form
      class="card token"
      onSubmit={(e) => {
        e.preventDefault();
        setAdminToken(value.trim() || null);
        onDone(true);
      }}
    >
      <p class="small">{why}</p>
      <label>
        Admin token <span class="muted small">(kept in this browser only)</span>
        <input type="password" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Save</button>
      <button type="button" onClick={() => onDone(false)}>
        Cancel
      </button>
    </form>
  );
}

export function App({ store }: { store: LiveStore }) {
  const state = useLive(store);
  const now = useServerNow(store);
  const [hashModel, select] = useHashModel();
  const [askToken, setAskToken] = useState(false);
  const models = Object.values(state.models).sort((a, b) => a.model.name.localeCompare(b.model.name));
  const selected = (hashModel && state.models[hashModel] ? hashModel : null) ?? (state.info && state.models[state.info.default_model] ? state.info.default_model : models[0]?.model.name ?? null);
  const current = selected ? state.models[selected] : undefined;
  return (
    <div class="app">
      <header class="top">
        <h1>
          <svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M12 3 3 20h18L12 3Z" fill="#0f172a" />
            <circle cx="12" cy="14" r="3.2" fill="#fbbf24" />
          </svg>
          coalmine
        </h1>
        <span class={`conn conn-${state.connection}`} data-testid="connection">
          {CONNECTION_LABEL[state.connection]}
        </span>
        <span class="muted small">{new Date(now).toLocaleTimeString('en-GB', { hour12: false })} server time</span>
        {adminToken() && (
          <button type="button" class="link small" onClick={() => setAskToken(true)}>
            admin token set
          </button>
        )}
      </header>
      {(askToken || state.authNeeded) && (
        <TokenForm
          why={state.authNeeded ? 'This server needs the admin token even to read (COALMINE_PROTECT_READS).' : 'The server refused that action without the admin token (COALMINE_ADMIN_TOKEN, or the admin-token file in its data directory).'}
          onDone={(saved) => {
            setAskToken(false);
            if (saved && state.authNeeded) store.restart();
          }}
        />
      )}
      {state.loadError && (
        <div class="banner" role="alert">
          Cannot read the API: {state.loadError}
        </div>
      )}
      <div class="layout">
        <ModelNav models={models} selected={selected} onSelect={select} />
        <main>{current ? <ModelPage s={current} info={state.info} now={now} onAuthNeeded={() => setAskToken(true)} /> : <p class="muted">{state.info ? 'No models registered yet. Add one with coalmine models add.' : 'Loading…'}</p>}</main>
      </div>
    </div>
  );
}
