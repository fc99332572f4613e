import { useEffect, useState, type FormEvent } from 'react';
import { LLM_PROVIDERS, type LlmConnectionTest, type LlmProvider, type LlmSettings, type UpdateLlmSettingsRequest } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage, formatMs } from '../../format.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { useLoaded } from '../../components/use-loaded.js';

const PROVIDER_LABELS: Record<LlmProvider, string> = {
  offline: 'Offline (no LLM: rule-based answers)',
  'openai-compatible': 'OpenAI-compatible (OpenAI, vLLM, Ollama, LiteLLM…)',
  anthropic: 'Anthropic',
};

/** Which LLM the agents use. The key is write-only: the server says only whether one is set. */
export function LlmSettingsSection({ api }: { api: TallyApi }) {
  const [settings, , setSettings] = useLoaded(() => api.rest.admin.getLlmSettings());
  return (
    <section className="card settings-section" aria-labelledby="llm-title">
      <h2 id="llm-title">LLM configuration</h2>
      <LoadState state={settings} what="the LLM configuration">
        {(value) => <LlmForm api={api} settings={value} onSaved={setSettings} />}
      </LoadState>
      <ConnectionTest api={api} />
    </section>
  );
}

/** "Test connection": one small real call to the saved configuration, and what came of it. */
function ConnectionTest({ api }: { api: TallyApi }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  async function test() {
    setBusy(true);
    setResult(null);
    try {
      setResult(describeTest(await api.rest.admin.testLlmConnection()));
    } catch (e) {
      setResult({ ok: false, text: `The test could not run: ${errorMessage(e)}` });
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="form-actions">
      <button type="button" className="small" disabled={busy} onClick={() => void test()}>
        {busy ? 'Testing…' : 'Test connection'}
      </button>
      <span className="hint">tests the saved settings</span>
      {result && <span className={result.ok ? 'good' : 'error'} role={result.ok ? 'status' : 'alert'} data-testid="llm-test-result">{result.text}</span>}
    </div>
  );
}

function describeTest(t: LlmConnectionTest): { ok: boolean; text: string } {
  if (t.ok) return { ok: true, text: `Connected: ${t.model ?? t.provider} answered in ${formatMs(t.latencyMs)}${t.reply ? ` (“${t.reply}”)` : ''}.` };
  if (t.failure === 'offline') return { ok: false, text: t.message ?? 'No LLM is configured.' };
  return { ok: false, text: `Failed (${t.failure ?? 'error'}) after ${formatMs(t.latencyMs)}: ${t.message ?? 'no details'}` };
}

function LlmForm({ api, settings, onSaved }: { api: TallyApi; settings: LlmSettings; onSaved(settings: LlmSettings): void }) {
  const [provider, setProvider] = useState<LlmProvider>(settings.provider);
  const [baseUrl, setBaseUrl] = useState(settings.baseUrl ?? '');
  const [model, setModel] = useState(settings.model ?? '');
  // Empty means "keep the stored key"; the stored key itself never comes back.
  const [apiKey, setApiKey] = useState('');
  const [removeKey, setRemoveKey] = useState(false);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    setProvider(settings.provider);
    setBaseUrl(settings.baseUrl ?? '');
    setModel(settings.model ?? '');
  }, [settings]);

  async function run(action: () => Promise<LlmSettings>, done: string) {
    setStatus(null);
    try {
      onSaved(await action());
      setApiKey('');
      setRemoveKey(false);
      setStatus({ ok: true, text: done });
    } catch (error) {
      setStatus({ ok: false, text: errorMessage(error) });
    }
  }

  function save(e: FormEvent) {
    e.preventDefault();
    const change: UpdateLlmSettingsRequest = {
      provider,
      baseUrl: baseUrl.trim() || null,
      model: model.trim() || null,
      ...(removeKey ? { apiKey: null } : apiKey ? { apiKey } : {}),
    };
    void run(() => api.rest.admin.updateLlmSettings(change), 'Saved; new runs use it.');
  }

  const online = provider !== 'offline';
  return (
    <form className="settings-form" onSubmit={save} aria-label="LLM configuration">
      <p className="hint">
        From {settings.source === 'database' ? 'this page' : 'the server environment (TALLY_LLM_*)'}
        {settings.updatedAt ? `, changed ${formatWhen(settings.updatedAt)}` : ''}.
      </p>
      <label>
        Provider
        <select value={provider} onChange={(e) => setProvider(e.target.value as LlmProvider)}>
          {LLM_PROVIDERS.map((p) => (
            <option key={p} value={p}>{PROVIDER_LABELS[p]}</option>
          ))}
        </select>
      </label>
      {online && (
        <>
          <label>
            Base URL{provider === 'anthropic' ? ' (optional)' : ''}
            <input type="url" value={baseUrl} required={provider === 'openai-compatible'} placeholder="https://api.openai.com/v1" onChange={(e) => setBaseUrl(e.target.value)} />
          </label>
          <label>
            Model
            <input value={model} required placeholder={provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4o-mini'} onChange={(e) => setModel(e.target.value)} />
          </label>
          <label>
            API key <span className="muted">({settings.apiKeySet ? 'set' : 'not set'})</span>
            <input
              type="password"
              value={apiKey}
              autoComplete="off"
              disabled={removeKey}
              placeholder={settings.apiKeySet ? 'Leave empty to keep the current key' : 'Paste the provider key'}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </label>
          {settings.apiKeySet && (
            <label className="check">
              <input type="checkbox" checked={removeKey} onChange={(e) => setRemoveKey(e.target.checked)} />
              Remove the stored key
            </label>
          )}
        </>
      )}
      <div className="form-actions">
        <button type="submit" className="primary">Save LLM settings</button>
        {settings.source === 'database' && (
          <ConfirmButton
            label="Use the environment's"
            question="Forget these settings and use the server environment's?"
            confirmLabel="Reset"
            onConfirm={() => void run(() => api.rest.admin.clearLlmSettings(), 'Back to the environment configuration.')}
          />
        )}
        {status && <span className={status.ok ? 'good' : 'error'} role={status.ok ? 'status' : 'alert'}>{status.text}</span>}
      </div>
    </form>
  );
}
