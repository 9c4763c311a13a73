// The seven supervisor actions and the log of those taken on this call. Actions that need
// words (coach, transfer, note, flag) open a small form; ending the call asks to confirm.
// Each is one POST; the log fills from the call's own supervisorActions rows, so it shows
// what every supervisor did, as it happens.
import { ACTIONS_ON_CALL, type CallSnapshot, type SupervisorActionKind } from '@earshot/protocol';
import { useImperativeHandle, useRef, useState, type Ref } from 'react';
import { ACTION_LABELS } from '../format.ts';
import { postJson, problemText, useCan } from '../session.ts';

interface ActionSpec {
  kind: SupervisorActionKind;
  label: string;
  shortcut: string;
  /** What the form asks for; undefined acts at once. */
  prompt?: string;
  confirm?: boolean;
}

/** Where an action on the call stands in its delivery to the voice platform. */
const DELIVERY_LABELS: Record<string, string> = {
  pending: 'sending to the voice platform',
  delivered: 'delivered to the voice platform',
  failed: 'not delivered',
  not_configured: 'recorded only: no voice platform configured',
};

export const ACTIONS: readonly ActionSpec[] = [
  { kind: 'COACH_AGENT', label: 'Coach', shortcut: 'c', prompt: 'Message for the agent' },
  { kind: 'JOIN_CALL', label: 'Join', shortcut: 'j' },
  {
    kind: 'TRANSFER_CALL',
    label: 'Transfer',
    shortcut: 't',
    prompt: 'Transfer to (queue, extension or number)',
  },
  { kind: 'END_CALL', label: 'End call', shortcut: 'e', confirm: true },
  { kind: 'ADD_NOTE', label: 'Note', shortcut: 'n', prompt: 'Note' },
  { kind: 'BOOKMARK_MOMENT', label: 'Bookmark', shortcut: 'b' },
  { kind: 'FLAG_FOR_REVIEW', label: 'Flag', shortcut: 'f', prompt: 'Reason for review' },
];

export interface ControlsHandle {
  start(kind: SupervisorActionKind): void;
}

export function SupervisorControls({
  call,
  handle,
}: {
  call: CallSnapshot;
  handle?: Ref<ControlsHandle>;
}) {
  const [open, setOpen] = useState<ActionSpec | undefined>();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const field = useRef<HTMLTextAreaElement>(null);
  const ended = call.liveCall.status === 'ended';

  const submit = async (spec: ActionSpec, details?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await postJson(`/api/v1/calls/${encodeURIComponent(call.liveCall.callId)}/actions`, {
        action: spec.kind,
        ...(details ? { details } : {}),
      });
      setOpen(undefined);
      setText('');
    } catch (e) {
      setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  // Only the actions this user's role allows are offered (a viewer watches and cannot act).
  const can = useCan();
  const allowed = ACTIONS.filter((spec) => can(`act:${spec.kind}`));

  const start = (spec: ActionSpec) => {
    if (!allowed.includes(spec)) return;
    setError(undefined);
    if (spec.prompt || spec.confirm) {
      setOpen(spec);
      setText('');
      requestAnimationFrame(() => field.current?.focus());
    } else void submit(spec);
  };
  useImperativeHandle(handle, () => ({
    start: (kind) => {
      const spec = ACTIONS.find((a) => a.kind === kind);
      if (spec) start(spec);
    },
  }));

  const log = [...call.supervisorActions].sort((a, b) => b.order - a.order);
  return (
    <section className="panel controls" aria-labelledby="controls-title">
      <h2 id="controls-title">Supervisor</h2>
      {allowed.length === 0 && (
        <p className="muted" data-testid="watch-only">
          You can watch this call. Acting on it needs the supervisor or admin role.
        </p>
      )}
      <div className="action-buttons" role="toolbar" aria-label="Supervisor actions">
        {allowed.map((spec) => (
          <button
            key={spec.kind}
            type="button"
            className={spec.kind === 'END_CALL' ? 'danger' : ''}
            disabled={busy || (ended && ACTIONS_ON_CALL.has(spec.kind))}
            aria-keyshortcuts={spec.shortcut}
            onClick={() => start(spec)}
          >
            {spec.label}
          </button>
        ))}
      </div>
      {open && (
        <form
          className="action-form"
          aria-label={open.label}
          onSubmit={(e) => {
            e.preventDefault();
            void submit(open, open.prompt ? text.trim() : undefined);
          }}
        >
          {open.prompt ? (
            <label>
              {open.prompt}
              <textarea
                ref={field}
                rows={2}
                value={text}
                required
                maxLength={2000}
                onChange={(e) => setText(e.target.value)}
                onKeyDown={(e) => e.stopPropagation()}
              />
            </label>
          ) : (
            <p>
              End this call for both parties? <span className="muted">It cannot be undone.</span>
            </p>
          )}
          <div className="form-buttons">
            <button type="submit" disabled={busy} className={open.confirm ? 'danger' : 'primary'}>
              {open.confirm ? 'Yes, end the call' : 'Send'}
            </button>
            <button type="button" onClick={() => setOpen(undefined)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <h3>Actions on this call</h3>
      <ol className="action-log" aria-label="Actions on this call">
        {log.map((a) => (
          <li key={a._id} data-action={a.action}>
            <strong>{ACTION_LABELS[a.action]}</strong>
            {a.details ? <>: {a.details}</> : null}
            <div className="muted small">
              {a.supervisorName} · {new Date(a.timestamp).toLocaleTimeString()}
              {a.delivery && (
                <>
                  {' · '}
                  <span
                    className={`delivery delivery-${a.delivery.status}`}
                    data-delivery={a.delivery.status}
                  >
                    {DELIVERY_LABELS[a.delivery.status]}
                    {a.delivery.status === 'pending' && a.delivery.attempts > 0
                      ? ` (retrying after ${a.delivery.attempts} attempt${a.delivery.attempts > 1 ? 's' : ''}: ${a.delivery.lastError ?? 'error'})`
                      : ''}
                    {a.delivery.status === 'failed' ? `: ${a.delivery.lastError ?? 'error'}` : ''}
                  </span>
                </>
              )}
            </div>
          </li>
        ))}
      </ol>
      {log.length === 0 && <p className="muted">No actions yet.</p>}
    </section>
  );
}
