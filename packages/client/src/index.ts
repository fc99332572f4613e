export {
  TallyApiError,
  TallyCommandError,
  TallyConnectionError,
  TallyTimeoutError,
  apiErrorFromResponse,
  isAuthError,
  statusOfCode,
} from './errors.js';
export {
  createRestClient,
  ingestSummaryOfError,
  type AccessTokenProvider,
  type AdminClient,
  type RestClient,
  type RestClientOptions,
  type UsageUploadBody,
  type WorkspaceClient,
  type ConnectorClient,
  type ReconciliationClient,
} from './rest-client.js';
export { apiQuery } from './api-query.js';
export {
  createWsClient,
  type ConnectionInfo,
  type ConnectionStatus,
  type SendMessageAck,
  type SubscribeAck,
  type Timers,
  type WebSocketConstructor,
  type WebSocketLike,
  type WsAuth,
  type WsClient,
  type WsClientListeners,
  type WsClientOptions,
} from './ws-client.js';
export {
  createAuthSession,
  type AuthSession,
  type AuthSessionOptions,
  type AuthState,
} from './auth-session.js';
export { createSeqTracker, type RunPosition, type SeqTrackedEvent, type SeqTracker } from './seq-tracker.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { parseServerFrame, type ParsedServerFrame } from './server-frame.js';
export { randomId } from './random-id.js';
