import { TallyApiError, apiErrorFromResponse, ingestSummaryOfError } from '@tally/client';
import { IngestSummarySchema, type IngestSummary } from '@tally/protocol';

export interface UploadOptions {
  origin: string;
  accessToken: string;
  onProgress: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

/**
 * POST /v1/usage with XMLHttpRequest, the one browser API that reports upload progress. The body
 * is the file itself, streamed by the browser, never read into memory here.
 */
export function uploadUsageFile(file: Blob, options: UploadOptions): Promise<IngestSummary> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${options.origin}/v1/usage`);
    xhr.setRequestHeader('content-type', 'application/x-ndjson');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('authorization', `Bearer ${options.accessToken}`);
    xhr.upload.onprogress = (e) => options.onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new TallyApiError(0, 'CLIENT_NETWORK', 'The upload failed: network error.'));
    xhr.onabort = () => reject(new TallyApiError(0, 'CLIENT_ABORTED', 'The upload was cancelled.'));
    xhr.onload = () => {
      const text = xhr.responseText;
      if (xhr.status < 200 || xhr.status >= 300) {
        const error = apiErrorFromResponse(xhr.status, text);
        // Every line refused: the server answers 400 with the summary, which says why.
        const summary = ingestSummaryOfError(error);
        return summary ? resolve(summary) : reject(error);
      }
      try {
        resolve(IngestSummarySchema.parse(JSON.parse(text)));
      } catch {
        reject(new TallyApiError(xhr.status, 'CLIENT_UNEXPECTED_RESPONSE', 'The server answered the upload with an unexpected shape.'));
      }
    };
    options.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}
