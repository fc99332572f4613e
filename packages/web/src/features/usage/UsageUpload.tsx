import { useRef, useState, type DragEvent } from 'react';
import { TallyApiError, ingestSummaryOfError } from '@tally/client';
import { MAX_USAGE_UPLOAD_BYTES, USAGE_FORMAT_NAMES, type IngestSummary, type UsageFormatName, type UsageFormatsTried, type UsageMapping } from '@tally/protocol';
import { errorMessage } from '../../format.js';
import { formatBytes } from './format-bytes.js';
import { CsvMappingForm } from './CsvMappingForm.js';
import { IngestSummaryView } from './IngestSummaryView.js';
import { uploadUsageFile } from './upload-usage.js';
import { csvHeaderOf, FORMAT_LABELS, formatsTriedOf } from './usage-formats.js';
import './usage-upload.css';

export interface UsageUploadProps {
  origin: string;
  /** The workspace the records go to. */
  workspaceId: string;
  getAccessToken: () => Promise<string | undefined>;
  /** Some records were stored: whatever shows usage should load again. */
  onUploaded?: (summary: IngestSummary) => void;
  /** Any refusal, for the app to notice one that says the workspace is no longer the user's. */
  onRefused?: (error: TallyApiError) => void;
}

type State =
  | { kind: 'idle' }
  | { kind: 'uploading'; name: string; sent: number; total: number; abort: AbortController }
  | { kind: 'done'; name: string; summary: IngestSummary; format: string | null }
  | { kind: 'failed'; name: string; code: string | null; message: string; summary: IngestSummary | null; tried: UsageFormatsTried['tried'] | null };

/** A CSV no format knew, waiting for the user to map its columns. */
interface PendingMapping {
  file: File;
  columns: string[];
}

const ACCEPT = '.ndjson,.jsonl,.json,.csv,.txt,.log,.gz,application/x-ndjson,application/json,text/csv,application/gzip';

/**
 * Drop a usage file (or pick one): any format the server reads (gzip and UTF-16 too), detected by
 * the server unless one is picked. Shows the upload's progress, then the ingest summary. A CSV no
 * format knows gets a column-mapping form, and the upload is sent again with the mapping.
 */
export function UsageUpload({ origin, workspaceId, getAccessToken, onUploaded, onRefused }: UsageUploadProps) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);
  const [format, setFormat] = useState<UsageFormatName | ''>('');
  const [pending, setPending] = useState<PendingMapping | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function upload(file: File, mapping?: UsageMapping) {
    if (file.size > MAX_USAGE_UPLOAD_BYTES) {
      const message = `The file is ${formatBytes(file.size)}, over the ${formatBytes(MAX_USAGE_UPLOAD_BYTES)} limit; use \`tally ingest\` for it.`;
      setState({ kind: 'failed', name: file.name, code: 'BODY_TOO_LARGE', message, summary: null, tried: null });
      return;
    }
    setPending(null);
    const abort = new AbortController();
    setState({ kind: 'uploading', name: file.name, sent: 0, total: file.size, abort });
    try {
      const token = await getAccessToken();
      if (!token) throw new TallyApiError(401, 'AUTH_REQUIRED', 'You are signed out; log in again.');
      const { summary, format: read } = await uploadUsageFile(file, {
        origin,
        workspaceId,
        accessToken: token,
        ...(format ? { format } : {}),
        ...(mapping ? { mapping } : {}),
        signal: abort.signal,
        onProgress: (sent, total) => setState((s) => (s.kind === 'uploading' && s.abort === abort ? { ...s, sent, total } : s)),
      });
      setState({ kind: 'done', name: file.name, summary, format: read });
      if (summary.inserted > 0) onUploaded?.(summary);
    } catch (error) {
      if (error instanceof TallyApiError) onRefused?.(error);
      const code = error instanceof TallyApiError ? error.code : null;
      const tried = error instanceof TallyApiError && code === 'USAGE_FORMAT_UNKNOWN' ? formatsTriedOf(error.details) : null;
      setState({ kind: 'failed', name: file.name, code, message: errorMessage(error), summary: ingestSummaryOfError(error) ?? null, tried: tried?.tried ?? null });
      // A CSV whose columns no format knows (or that the generic CSV format could not map): offer a mapping.
      const csvColumns = tried?.csvHeader ?? (code === 'VALIDATION_FAILED' && /CSV columns/.test(errorMessage(error)) ? await headerOf(file) : undefined);
      if (csvColumns && csvColumns.length > 0) setPending({ file, columns: csvColumns });
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
        <p className="hint">
          OpenAI, Anthropic, LiteLLM, OpenTelemetry, Claude Code, Codex, Gemini CLI, Cursor, Bedrock, OpenRouter, Langfuse, Helicone, CSV or NDJSON, also gzipped; up to{' '}
          {formatBytes(MAX_USAGE_UPLOAD_BYTES)}.
        </p>
        <label className="format-picker">
          Format{' '}
          <select value={format} disabled={busy} onChange={(e) => setFormat(e.target.value as UsageFormatName | '')}>
            <option value="">Detect automatically</option>
            {USAGE_FORMAT_NAMES.map((name) => (
              <option key={name} value={name}>
                {FORMAT_LABELS[name]}
              </option>
            ))}
          </select>
        </label>
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
          {state.tried && (
            <details className="formats-tried">
              <summary>Formats tried</summary>
              <ul>
                {state.tried.map((t) => (
                  <li key={t.format}>
                    <strong>{FORMAT_LABELS[t.format]}</strong>: {t.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
      {pending && !busy && (
        <CsvMappingForm
          key={pending.file.name + pending.columns.join(',')}
          columns={pending.columns}
          onSubmit={(mapping) => void upload(pending.file, mapping)}
          onCancel={() => setPending(null)}
        />
      )}
      {state.kind === 'done' && <IngestSummaryView name={state.name} summary={state.summary} format={state.format} />}
    </section>
  );
}

/** The column names of a CSV file's first line, read in the browser (for a mapping the server's error did not carry). */
async function headerOf(file: File): Promise<string[]> {
  const start = await file.slice(0, 64 * 1024).text();
  return csvHeaderOf(start.split('\n')[0] ?? '');
}
