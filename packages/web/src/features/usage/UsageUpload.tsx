import { useRef, useState, type DragEvent } from 'react';
import { TallyApiError, ingestSummaryOfError } from '@tally/client';
import { MAX_USAGE_UPLOAD_BYTES, type IngestSummary } from '@tally/protocol';
import { errorMessage } from '../../format.js';
import { formatBytes } from './format-bytes.js';
import { IngestSummaryView } from './IngestSummaryView.js';
import { uploadUsageFile } from './upload-usage.js';
import './usage-upload.css';

export interface UsageUploadProps {
  origin: string;
  getAccessToken: () => Promise<string | undefined>;
  /** Some records were stored: whatever shows usage should load again. */
  onUploaded?: (summary: IngestSummary) => void;
}

type State =
  | { kind: 'idle' }
  | { kind: 'uploading'; name: string; sent: number; total: number; abort: AbortController }
  | { kind: 'done'; name: string; summary: IngestSummary; format: string | null }
  | { kind: 'failed'; name: string; code: string | null; message: string; summary: IngestSummary | null };

const ACCEPT = '.ndjson,.jsonl,.json,.csv,.txt,.log,application/x-ndjson,application/json,text/csv';

/**
 * Drop a usage file (or pick one): OpenAI, Anthropic, LiteLLM, OTel, Claude Code, CSV or Tally's
 * own NDJSON, detected by the server. Shows the upload's progress, then the ingest summary.
 */
export function UsageUpload({ origin, getAccessToken, onUploaded }: UsageUploadProps) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  async function upload(file: File) {
    if (file.size > MAX_USAGE_UPLOAD_BYTES) {
      const message = `The file is ${formatBytes(file.size)}, over the ${formatBytes(MAX_USAGE_UPLOAD_BYTES)} limit; use \`tally ingest\` for it.`;
      setState({ kind: 'failed', name: file.name, code: 'BODY_TOO_LARGE', message, summary: null });
      return;
    }
    const abort = new AbortController();
    setState({ kind: 'uploading', name: file.name, sent: 0, total: file.size, abort });
    try {
      const token = await getAccessToken();
      if (!token) throw new TallyApiError(401, 'AUTH_REQUIRED', 'You are signed out; log in again.');
      const { summary, format } = await uploadUsageFile(file, {
        origin,
        accessToken: token,
        signal: abort.signal,
        onProgress: (sent, total) => setState((s) => (s.kind === 'uploading' && s.abort === abort ? { ...s, sent, total } : s)),
      });
      setState({ kind: 'done', name: file.name, summary, format });
      if (summary.inserted > 0) onUploaded?.(summary);
    } catch (error) {
      const code = error instanceof TallyApiError ? error.code : null;
      setState({ kind: 'failed', name: file.name, code, message: errorMessage(error), summary: ingestSummaryOfError(error) ?? null });
    }
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void upload(file);
  }

  const busy = state.kind === 'uploading';
  return (
    <section className="card upload" aria-label="Upload usage data">
      <h2>Upload usage data</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="usage-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="dropzone-text">Drop a usage file here</p>
        <p className="hint">OpenAI, Anthropic, LiteLLM, OpenTelemetry, Claude Code, CSV or NDJSON; up to {formatBytes(MAX_USAGE_UPLOAD_BYTES)}.</p>
        <label className={`file-button${busy ? ' disabled' : ''}`}>
          Choose a file
          <input
            ref={input}
            type="file"
            accept={ACCEPT}
            disabled={busy}
            className="visually-hidden"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void upload(file);
            }}
          />
        </label>
      </div>
      {state.kind === 'uploading' && (
        <div className="progress-row" role="status" aria-live="polite">
          <progress max={state.total || 1} value={state.sent} aria-label={`Uploading ${state.name}`} />
          <span className="progress-text">
            {Math.round((100 * state.sent) / (state.total || 1))}% · {formatBytes(state.sent)} of {formatBytes(state.total)}
          </span>
          <button type="button" className="small" onClick={() => state.abort.abort()}>Cancel</button>
        </div>
      )}
      {state.kind === 'failed' && (
        <div className="upload-failed" role="alert">
          <p className="error">
            {state.name}: {state.message}
            {state.code && !state.code.startsWith('CLIENT_') && <code className="error-code">{state.code}</code>}
          </p>
          {state.summary && <IngestSummaryView name={state.name} summary={state.summary} format={null} />}
        </div>
      )}
      {state.kind === 'done' && <IngestSummaryView name={state.name} summary={state.summary} format={state.format} />}
    </section>
  );
}
