import { useSignal } from '@preact/signals';
import { Modal } from '../Modal';

/** "Are you sure?" for an action that cannot be undone (delete, cancel). */
export function Confirm({ title, message, confirm, onConfirm, onClose }: {
  title: string;
  message: string;
  confirm: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal title={title} onClose={onClose}>
      <p>{message}</p>
      <div class="actions">
        <button type="button" onClick={onClose}>
          Keep
        </button>
        <button type="button" class="primary danger" onClick={onConfirm}>
          {confirm}
        </button>
      </div>
    </Modal>
  );
}

/** Asks for a reason (a required one cannot be left empty), as the custody record keeps it. */
export function ReasonPrompt({ title, label, required, confirm, onSubmit, onClose, error, intro, maxLength, busy, missing: missingText = 'A reason is required.' }: {
  title: string;
  label: string;
  required: boolean;
  confirm: string;
  onSubmit: (reason: string) => void;
  onClose: () => void;
  /** The API's message for the reason field, shown at it. */
  error?: string;
  /** What the action is about, above the field. */
  intro?: string;
  /** The API's bound on the reason's length: the field takes no more. */
  maxLength?: number;
  /** While the answer is awaited the submit button is disabled, so one click sends once. */
  busy?: boolean;
  /** What is said when a required reason is left empty. */
  missing?: string;
}) {
  const reason = useSignal('');
  const missing = useSignal(false);
  const message = error ?? (missing.value ? missingText : undefined);
  return (
    <Modal title={title} onClose={onClose}>
      <form
        noValidate // the missing reason is said at the field, not by the browser's own bubble
        onSubmit={(e) => {
          e.preventDefault();
          if (required && !reason.value.trim()) {
            missing.value = true;
            return;
          }
          onSubmit(reason.value.trim());
        }}
      >
        {intro && <p>{intro}</p>}
        <div class="field">
          <label for="f-reason">{label}</label>
          <textarea
            id="f-reason"
            name="reason"
            rows={3}
            value={reason.value}
            onInput={(e) => (reason.value = e.currentTarget.value)}
            aria-invalid={message ? true : undefined}
            aria-describedby={message ? 'f-reason-error' : undefined}
            required={required}
            maxLength={maxLength}
          />
          {message && (
            <p id="f-reason-error" class="field-error">
              {message}
            </p>
          )}
        </div>
        <div class="actions">
          <button type="button" onClick={onClose}>
            Back
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {confirm}
          </button>
        </div>
      </form>
    </Modal>
  );
}
