import { TallyApiError, apiErrorFromResponse, apiQuery } from '@tally/client';
import { IngestSummarySchema, UsageUploadQuerySchema, type IngestSummary, type UsageFormatName, type UsageMapping } from '@tally/protocol';

export interface UploadOptions {
  origin: string;
  /** The workspace the records go to. */
  workspaceId: string;
  accessToken: string;
  /** The file's format; the server detects it when absent. */
  format?: UsageFormatName;
  /** CSV column → record field, for a CSV no format knows. */
  mapping?: UsageMapping;
  onProgress: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

/** What the server read: the summary, and the format it detected (`Tally-Usage-Format`). */
export interface UploadResult {
  summary: IngestSummary;
  format: string | null;
}

/**
 * POST /v1/workspaces/:workspaceId/usage with XMLHttpRequest, the one browser API that reports upload progress. The body
 * is the file itself, streamed by the browser, never read into memory here. A refused upload
 * rejects with the server's TallyApiError (USAGE_INVALID_RECORD carries the summary as details).
 */
export function uploadUsageFile(file: Blob & { name?: string }, options: UploadOptions): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${options.origin}/v1/workspaces/${encodeURIComponent(options.workspaceId)}/usage${uploadQuery(options)}`);
    xhr.setRequestHeader('content-type', contentTypeOf(file.name ?? ''));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('authorization', `Bearer ${options.accessToken}`);
    xhr.upload.onprogress = (e) => options.onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new TallyApiError(0, 'CLIENT_NETWORK', 'The upload failed: network error (the server may have refused a file this large).'));
    xhr.onabort = () => reject(new TallyApiError(0, 'CLIENT_ABORTED', 'The upload was cancelled.'));
    xhr.onload = () => {
      const text = xhr.responseText;
      if (xhr.status < 200 || xhr.status >= 300) return reject(apiErrorFromResponse(xhr.status, text));
      try {
        resolve({ summary: IngestSummarySchema.parse(JSON.parse(text)), format: xhr.getResponseHeader('tally-usage-format') });
      } catch {
        reject(new TallyApiError(xhr.status, 'CLIENT_UNEXPECTED_RESPONSE', 'The server answered the upload with an unexpected shape.'));
      }
    };
    options.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/** The server detects the format from the content; the type only has to be one it accepts. */
export function contentTypeOf(fileName: string): string {
  const name = fileName.toLowerCase();
  if (name.endsWith('.csv')) return 'text/csv';
  if (name.endsWith('.json')) return 'application/json';
  return 'application/x-ndjson';
}

/**
 * `?format=…&mapping=…` (the mapping as URL-encoded JSON), or nothing; built and checked with the
 * route's protocol schema (a query the server would refuse throws its VALIDATION_FAILED).
 */
export function uploadQuery({ format, mapping }: Pick<UploadOptions, 'format' | 'mapping'>): string {
  return apiQuery(UsageUploadQuerySchema, { format, mapping: mapping && Object.keys(mapping).length > 0 ? JSON.stringify(mapping) : undefined });
}
