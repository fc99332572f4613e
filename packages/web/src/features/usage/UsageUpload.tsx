import { useRef, useState, type DragEvent } from 'react';
import { MAX_USAGE_UPLOAD_BYTES, type IngestSummary } from '@tally/protocol';
import { errorMessage, formatCount } from '../../format.js';
import { uploadUsageFile } from './upload-usage.js';

export interface UsageUploadProps {
  origin: string;
  getAccessToken: () => Promise<string | undefined>;
}

type State =
  | { kind: 'idle' }
  | { kind: 'uploading'; name: string; sent: number; total: number; abort: AbortController }
  | { kind: 'done'; name: string; summary: IngestSummary }
  | { kind: 'failed'; name: string; message: string };

/** Drop an NDJSON usage file (or pick one); shows upload progress, then the ingest summary. */
export function UsageUpload({ origin, getAccessToken }: UsageUploadProps) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  async function upload(file: File) {
    if (file.size > MAX_USAGE_UPLOAD_BYTES) {
      setState({ kind: 'failed', name: file.name, message: `The file is over ${MAX_USAGE_UPLOAD_BYTES / 1024 / 1024} MB; use \`tally ingest\` for it.` });
      return;
    }
    const abort = new AbortController();
    setState({ kind: 'uploading', name: file.name, sent: 0, total: file.size, abort });
    try {
      const token = await getAccessToken();
      if (!token) throw new Error('You are signed out; log in again.');
      const summary = await uploadUsageFile(file, {
        origin,
        accessToken: token,
        signal: abort.signal,
        onProgress: (sent, total) => setState((s) => (s.kind === 'uploading' && s.abort === abort ? { ...s, sent, total } : s)),
      });
      setState({ kind: 'done', name: file.name, summary });
    } catch (error) {
      setState({ kind: 'failed', name: file.name, message: errorMessage(error) });
    }
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void upload(file);
  }

  return (
    <section className="card upload" aria-label="Upload usage data">
      <h2>Usage data</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        onClick={() => input.current?.click()}
        onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
        role="button"
        tabIndex={0}
      >
        Drop an NDJSON usage file here, or <span className="link-button">choose a file</span>
        <input
          ref={input}
          type="file"
          accept=".ndjson,.jsonl,.json,.csv,.txt,application/x-ndjson,application/json,text/csv"
          hidden
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void upload(file);
          }}
        />
      </div>
      {state.kind === 'uploading' && (
        <div className="progress-row">
          <progress max={state.total || 1} value={state.sent} aria-label={`Uploading ${state.name}`} />
          <span className="muted">{Math.round((100 * state.sent) / (state.total || 1))}%</span>
          <button type="button" className="link-button" onClick={() => state.abort.abort()}>cancel</button>
        </div>
      )}
      {state.kind === 'failed' && <p className="error" role="alert">{state.name}: {state.message}</p>}
      {state.kind === 'done' && <IngestSummaryView name={state.name} summary={state.summary} />}
    </section>
  );
}

function IngestSummaryView({ name, summary }: { name: string; summary: IngestSummary }) {
  return (
    <div className="ingest-summary">
      <p>
        <strong>{name}</strong>: {formatCount(summary.lines)} lines, {formatCount(summary.inserted)} new,{' '}
        {formatCount(summary.duplicates)} already there, <span className={summary.rejected ? 'bad' : ''}>{formatCount(summary.rejected)} refused</span>
      </p>
      {summary.unpricedModels.length > 0 && (
        <p className="notice">Models without a known price (stored, not counted in cost): {summary.unpricedModels.join(', ')}</p>
      )}
      {summary.errors.length > 0 && (
        <details open={summary.inserted === 0}>
          <summary>Refused lines{summary.rejected > summary.errors.length ? ` (first ${summary.errors.length})` : ''}</summary>
          <div className="table-scroll">
            <table className="compact">
              <thead>
                <tr><th>Line</th><th>Why</th></tr>
              </thead>
              <tbody>
                {summary.errors.map((e) => (
                  <tr key={e.line}><td className="num">{e.line}</td><td>{e.reason}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </div>
  );
}
