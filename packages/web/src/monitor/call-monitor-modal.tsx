// LiveCallMonitorModal: one call in full, opened from the wallboard or by its URL
// (/calls/<callId>). A native modal <dialog>: the page behind it is inert, focus stays inside,
// Esc closes it. Single-letter shortcuts act on the call; "?" lists them.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { clock, elapsed, STATUS_LABELS } from '../format.ts';
import { useCall, useConnection } from '../realtime.ts';
import { useNow } from '../use-now.ts';
import {
  AudioMeters,
  Coaching,
  Metrics,
  NextActions,
  Objectives,
  PhaseTimeline,
  Sentiment,
  SystemPanel,
} from './panels.tsx';
import { ACTIONS, SupervisorControls, type ControlsHandle } from './supervisor-controls.tsx';
import { TranscriptPanel, type TranscriptHandle } from './transcript-panel.tsx';

export function CallMonitorModal({ callId, onClose }: { callId: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const controls = useRef<ControlsHandle>(null);
  const transcript = useRef<TranscriptHandle>(null);
  const [help, setHelp] = useState(false);
  const view = useCall(callId);
  const connection = useConnection();
  const now = useNow();

  // Opened once; not closed on unmount (closing fires onClose, which would navigate away
  // during React's development double-mount). Removing the element is enough.
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
    // A held key repeats: one press, one action.
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (event.key === '?') {
      setHelp((shown) => !shown);
      return;
    }
    if (event.key === 'l') {
      transcript.current?.jumpToLive();
      return;
    }
    const spec = ACTIONS.find((a) => a.shortcut === event.key);
    if (spec) {
      event.preventDefault();
      controls.current?.start(spec.kind);
    }
  };

  const call = view.kind === 'live' ? view.call : undefined;
  const live = call?.liveCall;
  return (
    <dialog
      ref={dialog}
      className="monitor"
      aria-labelledby="monitor-title"
      onClose={onClose}
      onKeyDown={onKeyDown}
    >
      <header className="monitor-header">
        <div>
          <h1 id="monitor-title">
            {live ? `${live.agentName} ↔ ${live.customerName}` : `Call ${callId}`}
          </h1>
          {live && (
            <p className="monitor-facts">
              <span className={`status status-${live.status}`}>{STATUS_LABELS[live.status]}</span>
              <span className="num" aria-label="Duration">
                {clock(elapsed(live.startTime, now, live.endedAt))}
              </span>
              <span>{live.campaignName}</span>
              <span>
                Phase: <strong>{live.currentPhase}</strong>
              </span>
              {live.isRecording && (
                <span className="recording" aria-label="Recording">
                  ● REC
                </span>
              )}
              {live.securePauseSince && (
                <span className="secure-pause" role="status">
                  Secure pause since {live.securePauseSince}: transcript not recorded
                </span>
              )}
              {live.endReason && <span>Ended: {live.endReason}</span>}
              {view.kind === 'live' && view.watchers.length > 0 && (
                <span className="watchers" aria-label="Watching this call">
                  Watching: {view.watchers.map((w) => w.name).join(', ')}
                </span>
              )}
            </p>
          )}
        </div>
        <div className="header-buttons">
          <button type="button" onClick={() => setHelp((shown) => !shown)} aria-expanded={help}>
            Shortcuts
          </button>
          <button type="button" onClick={() => dialog.current?.close()} aria-label="Close monitor">
            ✕
          </button>
        </div>
      </header>
      {connection.state !== 'live' && view.kind === 'live' && (
        // The page's own banner is behind the modal: say here that this view has stopped.
        <p className="stale-notice" role="status" data-testid="monitor-stale">
          {connection.state === 'closed' ? 'Disconnected' : 'Reconnecting…'} What you see was true
          when the connection dropped, and is not updating.
        </p>
      )}
      {help && (
        <section className="shortcuts" aria-label="Keyboard shortcuts">
          <ul>
            {ACTIONS.map((a) => (
              <li key={a.kind}>
                <kbd>{a.shortcut}</kbd> {a.label}
              </li>
            ))}
            <li>
              <kbd>l</kbd> Jump to live
            </li>
            <li>
              <kbd>?</kbd> Show or hide this list
            </li>
            <li>
              <kbd>Esc</kbd> Close
            </li>
          </ul>
        </section>
      )}
      {view.kind === 'loading' && <p className="muted">{view.detail ?? 'Loading the call…'}</p>}
      {view.kind === 'missing' && (
        <p className="error" role="alert">
          {view.detail}
        </p>
      )}
      {call && live && (
        <div className="monitor-body">
          <div className="column transcript-column">
            <TranscriptPanel
              rows={call.liveTranscripts}
              handle={transcript}
              pausedSince={live.securePauseSince}
            />
            <AudioMeters call={live} />
          </div>
          <div className="column">
            <PhaseTimeline phases={call.callPhases} />
            <Objectives objectives={call.callObjectives} />
            <NextActions actions={call.nextActions} />
            <Coaching items={call.coachingRecommendations} />
          </div>
          <div className="column">
            <Metrics metrics={call.livePerformanceMetrics} />
            <Sentiment sentiment={call.sentimentAnalysis} transcripts={call.liveTranscripts} />
            <SystemPanel system={call.callSystemConfig} />
          </div>
          <div className="column">
            <SupervisorControls call={call} handle={controls} />
          </div>
        </div>
      )}
    </dialog>
  );
}
