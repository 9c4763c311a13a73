// The seven supervisor actions and the log of those taken on this call. Actions that need
// words (coach, transfer, note, flag) open a small form; ending the call asks to confirm.
// Each is one POST; the log fills from the call's own supervisorActions rows, so it shows
// what every supervisor did, as it happens. Each action carries an Idempotency-Key, the same
// when a failed one is tried again: a request that failed with a 503 (or whose answer was
// lost) may still have been taken, and the retry must not take it twice.
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

/** A fresh Idempotency-Key. getRandomValues, unlike randomUUID, works on plain http too. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** How long a failed action's key is kept for trying it again. */
const RETRY_KEY_MS = 60_000;

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
  const confirmButton = useRef<HTMLButtonElement>(null);
  const section = useRef<HTMLElement>(null);
  // Read by handlers that may run before React re-renders (a key pressed twice).
  const busyNow = useRef(false);
  /**
   * The key of the last action that failed, to send again if the same action, with the same
   * details, is tried again: changed details are another action (the server would answer a
   * reused key with the first one's).
   */
  const retry = useRef<
    { kind: SupervisorActionKind; details: string | undefined; key: string; at: number } | undefined
  >(undefined);
  const ended = call.liveCall.status === 'ended';

  /** Focus back inside the controls once a form closes, so the shortcuts keep working. */
  const refocus = () => requestAnimationFrame(() => section.current?.focus());
  const close = () => {
    setOpen(undefined);
    setText('');
    retry.current = undefined; // given up: the next one is a new action
    refocus();
  };

  const submit = async (spec: ActionSpec, details?: string) => {
    if (busyNow.current) return;
    busyNow.current = true;
    setBusy(true);
    setError(undefined);
    const previous = retry.current;
    const key =
      previous?.kind === spec.kind &&
      previous.details === details &&
      Date.now() - previous.at < RETRY_KEY_MS
        ? previous.key
        : newKey();
    retry.current = { kind: spec.kind, details, key, at: Date.now() };
    try {
      await postJson(
        `/api/v1/calls/${encodeURIComponent(call.liveCall.callId)}/actions`,
        { action: spec.kind, ...(details ? { details } : {}) },
        { 'idempotency-key': key },
      );
      close();
    } catch (e) {
      setError(problemText(e));
    } finally {
      busyNow.current = false;
      setBusy(false);
    }
  };

  // Only the actions this user's role allows are offered (a viewer watches and cannot act).
  const can = useCan();
  const allowed = ACTIONS.filter((spec) => can(`act:${spec.kind}`));

  // The same checks as the buttons': a shortcut must not do what a disabled button cannot.
  const start = (spec: ActionSpec) => {
    if (!allowed.includes(spec) || busyNow.current) return;
    if (ended && ACTIONS_ON_CALL.has(spec.kind)) return;
    setError(undefined);
    if (spec.prompt || spec.confirm) {
      setOpen(spec);
      setText('');
      requestAnimationFrame(() => (spec.prompt ? field.current : confirmButton.current)?.focus());
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
    <section
      ref={section}
      tabIndex={-1}
      className="panel controls"
      aria-labelledby="controls-title"
    >
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
            <button
              ref={confirmButton}
              type="submit"
              disabled={busy}
              className={open.confirm ? 'danger' : 'primary'}
            >
              {open.confirm ? 'Yes, end the call' : 'Send'}
            </button>
            <button type="button" onClick={close}>
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
