import type { ModelInfo } from '../api.js';
import { bytes, clock, num } from '../format.js';

/** Every version of a model: role, signature, metadata and the metrics it was registered with. */
export function Registry({ model }: { model: ModelInfo }) {
  return (
    <section class="card registry" aria-label="registry">
      <header>
        <h2>Versions</h2>
        <span class="muted">{model.versions.length} registered</span>
      </header>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th>version</th>
              <th>role</th>
              <th>training metrics</th>
              <th>signature</th>
              <th>registered</th>
              <th>artifact</th>
            </tr>
          </thead>
          <tbody>
            {[...model.versions].reverse().map((v) => (
              <tr key={v.version} class={v.status === 'ready' ? '' : 'failed'}>
                <td>
                  <strong>v{v.version}</strong>
                  {v.description && <div class="muted small">{v.description}</div>}
                </td>
                <td>
                  {v.role ? <span class={`role role-${v.role}`}>{v.role}</span> : <span class="muted">–</span>}
                  {v.status === 'failed' && <div class="error small">cannot load: {v.load_error}</div>}
                  {v.status === 'not_ready' && <div class="error small">model server not ready: {v.not_ready}</div>}
                </td>
                <td>
                  {Object.entries(v.metrics).map(([k, x]) => (
                    <div key={k}>
                      {k} <strong>{k === 'accuracy' || k === 'auc' ? `${num(x * 100, 1)}%` : num(x, 4)}</strong>
                    </div>
                  ))}
                  {Object.keys(v.metrics).length === 0 && <span class="muted">none recorded</span>}
                </td>
                <td class="small">
                  <div>
                    {v.signature.task.replace(/_/g, ' ')}
                    {v.signature.classes ? `, ${v.signature.classes} classes` : ''}
                  </div>
                  <div class="muted">
                    in: {v.signature.inputs.map((i) => `${i.name} ${i.type}[${i.shape.map((d, k) => (k === 0 ? 'N' : d < 0 ? '?' : d)).join(', ')}]`).join(', ')} · out:{' '}
                    {Object.values(v.signature.outputs).join(', ')}
                  </div>
                  <div class="muted">
                    {v.upstream ? `${v.upstream.protocol} · ${v.upstream.url}` : `${v.signature.producer || 'unknown producer'} · opsets ${Object.entries(v.signature.opsets).map(([d, n]) => `${d} ${n}`).join(', ')}`}
                  </div>
                  {v.signature.rewrites.length > 0 && <div class="muted">rewritten: {v.signature.rewrites.join('; ')}</div>}
                </td>
                <td class="small">
                  {clock(v.created_at)} <span class="muted">{new Date(v.created_at).toLocaleDateString('en-CA')}</span>
                  <div class="muted">{v.source}</div>
                </td>
                {v.sha256 !== null && v.size_bytes !== null ? (
                  <td class="small mono" title={v.sha256}>
                    {v.sha256.slice(0, 12)}… · {bytes(v.size_bytes)}
                  </td>
                ) : (
                  <td class="small mono" title={v.upstream?.url}>
                    {v.upstream?.protocol ?? ''}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
