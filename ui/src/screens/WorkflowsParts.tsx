import type { ComponentChildren } from 'preact';
import { navigate } from '../router';
import { progress, Workflow } from './WorkflowsModel';

/** A link that opens a page of the app without reloading it. */
export function AppLink({ to, children, ...rest }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={to}
      {...rest}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab or window, as the user asked
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** Steps ended of all steps, as a bar and in words (the words are what a screen reader reads). */
export function Progress({ workflow }: { workflow: Pick<Workflow, 'steps'> }) {
  const { ended, total, failed } = progress(workflow);
  return (
    <span class="wf-progress">
      <progress max={total || 1} value={ended} aria-hidden="true" />
      <span>
        {ended} of {total} steps{failed ? `, ${failed} failed` : ''}
      </span>
    </span>
  );
}
