import { useSignal } from '@preact/signals';
import { Problem } from '../api';
import { signIn } from '../session';

export function Login() {
  const username = useSignal('');
  const password = useSignal('');
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);

  async function submit(e: Event) {
    e.preventDefault();
    busy.value = true;
    error.value = null;
    try {
      await signIn(username.value.trim(), password.value);
    } catch (failure) {
      error.value = failure instanceof Problem ? failure.detail : 'The server could not be reached; try again.';
    } finally {
      busy.value = false;
    }
  }

  return (
    <main class="login" id="main">
      <form onSubmit={submit} aria-describedby={error.value ? 'login-error' : undefined}>
        <h1>LIMS</h1>
        <p class="hint">Sign in to the laboratory</p>
        <label for="username">User name</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellcheck={false}
          required
          value={username.value}
          onInput={(e) => (username.value = e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password.value}
          onInput={(e) => (password.value = e.currentTarget.value)}
        />
        {error.value && (
          <p id="login-error" class="error" role="alert">
            {error.value}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy.value}>
          {busy.value ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
