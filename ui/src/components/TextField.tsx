import { JSX } from 'preact';

/**
 * A labelled input with the API's message for it (Problem.at(name)) shown under it and tied to
 * it for screen readers. `id` defaults to one made from the field's name.
 */
export function TextField({ name, label, value, onValue, error, id, hint, ...attrs }: {
  name: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string;
  id?: string;
  hint?: string;
} & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'id' | 'name'>) {
  const fieldId = id ?? `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const described = [hint ? `${fieldId}-hint` : '', error ? `${fieldId}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={fieldId}>{label}</label>
      {hint && (
        <p id={`${fieldId}-hint`} class="hint">
          {hint}
        </p>
      )}
      <input
        {...attrs}
        id={fieldId}
        name={name}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
      />
      {error && (
        <p id={`${fieldId}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
