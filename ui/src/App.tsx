import { ComponentChildren, FunctionComponent, h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { navigate, path } from './router';
import { screensFor } from './roles';
import { signOut, user } from './session';
import { live } from './events';
import { Login } from './screens/Login';
import { LabTests } from './screens/LabTests';
import { Devices } from './screens/Devices';
import { Specimens } from './screens/Specimens';
import { Workflows } from './screens/Workflows';
import { Admin } from './screens/Admin';
import { Clients } from './screens/Clients';
import { Operations } from './screens/Operations';
import { Alarms } from './screens/Alarms';
import { NotYet } from './screens/NotYet';

/** What each screen shows; `rest` is the path after the screen's own ("/SP-…" on a specimen's page, "" on the list). */
export type ScreenView = FunctionComponent<{ rest: string }>;

const VIEWS: Record<string, ScreenView> = {
  '/lab-tests': LabTests,
  '/devices': Devices,
  '/specimens': Specimens,
  '/workflows': Workflows,
  '/clients': Clients,
  '/operations': Operations,
  '/alarms': Alarms,
  '/admin': Admin,
};

export function App() {
  const current = user.value;
  if (current === undefined) return <p class="loading" role="status">Loading…</p>;
  if (current === null) return <Login />;
  const screens = screensFor(current.roles, current.can);
  const active = screens.find((s) => path.value === s.path || path.value.startsWith(s.path + '/')) ?? screens[0];
  if (active && active.path !== path.value && !path.value.startsWith(active.path + '/')) {
    queueMicrotask(() => navigate(active.path));
  }
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="bar">
        <span class="brand">LIMS</span>
        <nav aria-label="Main">
          <ul>
            {screens.map((s) => (
              <li key={s.path}>
                <a
                  href={s.path}
                  aria-current={s === active ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(s.path);
                  }}
                >
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={live.value ? 'live on' : 'live'} role="status" title={live.value ? 'Changes show as they happen' : 'Reconnecting to live changes…'}>
          {live.value ? 'Live' : 'Offline'}
        </span>
        <span class="who">
          <span class="username">{current.username}</span>
          <span class="roles">{current.roles.join(', ')}</span>
          <button type="button" class="quiet" onClick={() => void signOut()}>
            Log out
          </button>
        </span>
      </header>
      <Main title={active?.label ?? 'Nothing to show'}>
        {active && VIEWS[active.path] ? h(VIEWS[active.path], { rest: path.value.slice(active.path.length) }) : <NotYet screen={active?.label ?? ''} />}
      </Main>
    </div>
  );
}

/** The page's main region; focus moves to its heading when the screen changes, for keyboard and screen-reader users. */
function Main({ title, children }: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · LIMS`;
    if (!first.current) heading.current?.focus();
    first.current = false;
  }, [title]);
  return (
    <main id="main">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </main>
  );
}
