import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, Problem } from '../api';
import { Confirm } from '../components/Dialogs';
import { navigate } from '../router';
import { can } from '../session';
import { LabTest, LabTestRow } from './LabTestsModel';

/** What became of a command: the test as the API answered it, or why it was refused. */
export interface Outcome {
  id: string;
  message: string;
  failed?: boolean;
  test?: LabTest;
  deleted?: boolean;
}

type Command = 'pause' | 'resume' | 'trigger' | 'delete';

const DONE: Record<Command, string> = {
  pause: 'paused',
  resume: 'resumed',
  trigger: 'is running now',
  delete: 'deleted',
};

async function run(test: LabTestRow, command: Command): Promise<Outcome> {
  try {
    const answer =
      command === 'delete'
        ? await call<LabTest>('DELETE', `/api/v1/lab-tests/${test.id}`)
        : await call<LabTest>('POST', `/api/v1/lab-tests/${test.id}/${command}`);
    return { id: test.id, test: answer, deleted: command === 'delete', message: `“${test.title}” ${DONE[command]}.` };
  } catch (failure) {
    // A 409 says the test is no longer as this page showed it (running, paused): said, not applied.
    const why = failure instanceof Problem ? failure.detail : 'the server could not be reached';
    return { id: test.id, failed: true, message: `“${test.title}” was not ${command === 'trigger' ? 'run' : DONE[command]}: ${why}` };
  }
}

/**
 * A row's actions behind one button (a disclosure: Tab and Enter reach every item, Escape
 * closes it), each shown only when the API lets this user take it (session.can) and the
 * test's status as shown allows it.
 */
export function LabTestMenu({ test, onEdit, showLogs = true, onDone }: {
  test: LabTestRow;
  onEdit: () => void;
  showLogs?: boolean;
  onDone: (outcome: Outcome) => void;
}) {
  const open = useSignal(false);
  const busy = useSignal(false);
  const confirming = useSignal(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menuId = `actions-${test.id}`;

  useEffect(() => {
    if (!open.value) return;
    box.current?.querySelector<HTMLElement>('li a, li button')?.focus();
    const outside = (e: Event) => !box.current?.contains(e.target as Node) && (open.value = false);
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open.value]);

  function close() {
    open.value = false;
    button.current?.focus();
  }

  async function take(command: Command) {
    close();
    busy.value = true;
    onDone(await run(test, command));
    busy.value = false;
  }

  const paused = test.status === 'paused';
  const items: { label: string; act: () => void; href?: string; danger?: boolean }[] = [];
  if (can('lab_tests.edit')) items.push({ label: 'Edit', act: () => (close(), onEdit()) });
  if (showLogs) {
    const href = `/lab-tests/${test.id}`;
    items.push({ label: 'Show logs', href, act: () => navigate(href) });
  }
  if (paused && can('lab_tests.resume')) items.push({ label: 'Resume', act: () => void take('resume') });
  // While an execution runs (or waits for its next attempt) the test refuses both: not offered.
  const running = test.status === 'running';
  if (!paused && !running && can('lab_tests.trigger')) items.push({ label: 'Run now', act: () => void take('trigger') });
  if (!paused && !running && can('lab_tests.pause')) items.push({ label: 'Pause', act: () => void take('pause') });
  if (can('lab_tests.delete')) {
    items.push({
      label: 'Delete…',
      danger: true,
      act: () => {
        close();
        confirming.value = true;
      },
    });
  }

  if (items.length === 0 && !confirming.value) return null;
  return (
    <div
      class="menu"
      ref={box}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open.value) {
          e.stopPropagation();
          close();
        }
      }}
      onFocusOut={(e) => {
        if (open.value && e.relatedTarget && !box.current?.contains(e.relatedTarget as Node)) open.value = false;
      }}
    >
      <button
        type="button"
        ref={button}
        class="menu-button"
        aria-expanded={open.value}
        aria-controls={menuId}
        aria-label={`Actions for ${test.title}`}
        disabled={busy.value}
        onClick={() => (open.value = !open.value)}
      >
        {busy.value ? 'Working…' : 'Actions'} <span aria-hidden="true">▾</span>
      </button>
      {open.value && (
        <ul id={menuId} class="menu-list">
          {items.map((item) => (
            <li key={item.label}>
              {item.href ? (
                <a
                  href={item.href}
                  onClick={(e) => {
                    e.preventDefault();
                    item.act();
                  }}
                >
                  {item.label}
                </a>
              ) : (
                <button type="button" class={item.danger ? 'quiet danger-text' : 'quiet'} onClick={item.act}>
                  {item.label}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {confirming.value && (
        <Confirm
          title={`Delete “${test.title}”?`}
          message="It will not run again, and its open dead letters are discarded."
          confirm="Delete lab test"
          onClose={() => (confirming.value = false)}
          onConfirm={() => {
            confirming.value = false;
            void take('delete');
          }}
        />
      )}
    </div>
  );
}
