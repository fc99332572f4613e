import { useCopy } from './use-copy.js';

export interface SecretOnceProps {
  label: string;
  secret: string;
  warning: string;
  onDismiss(): void;
}

/** A secret the server shows only once (an API key, a reset token), with a copy button. */
export function SecretOnce({ label, secret, warning, onDismiss }: SecretOnceProps) {
  // No clipboard permission (or plain http): copied is false and the text is selectable.
  const { copied, copy } = useCopy();
  return (
    <div className="secret-once notice" role="region" aria-label={label}>
      <p><strong>{label}</strong></p>
      <p className="secret-warning">{warning}</p>
      <div className="secret-row">
        <input className="secret-value" readOnly value={secret} aria-label={`${label}, secret`} onFocus={(e) => e.target.select()} />
        <button type="button" className="small" onClick={() => void copy(secret)}>Copy</button>
        <button type="button" className="small" onClick={onDismiss}>Done</button>
      </div>
      {copied !== null && (
        <p className={copied ? 'good' : 'error'} role="status">{copied ? 'Copied.' : 'Copying is not allowed here; select the text and copy it.'}</p>
      )}
    </div>
  );
}
