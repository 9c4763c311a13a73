// The modal's read-only panels: audio, phases, objectives, next actions, performance metrics,
// sentiment, coaching and the pipeline's health. Each renders one part of the call snapshot.
import type { CallSnapshot, LivePerformanceMetrics, NextActionPriority } from '@earshot/protocol';
import { money, percent } from '../format.ts';
import { Sparkline } from './sparkline.tsx';

function Meter({ label, value, active }: { label: string; value: number; active: boolean }) {
  return (
    <div className={`meter${active ? ' speaking' : ''}`}>
      <span className="meter-label">
        {label}
        {active && <span className="badge speaking-badge">speaking</span>}
      </span>
      <div
        className="meter-track"
        role="meter"
        aria-label={`${label} level`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(value)}
      >
        <div
          className="meter-fill"
          style={{ transform: `scaleX(${Math.min(100, value) / 100})` }}
        />
      </div>
    </div>
  );
}

export function AudioMeters({ call }: { call: CallSnapshot['liveCall'] }) {
  return (
    <section className="panel" aria-labelledby="audio-title">
      <h2 id="audio-title">Audio</h2>
      <Meter label="Agent" value={call.agentGain} active={call.currentSpeaker === 'agent'} />
      <Meter
        label="Customer"
        value={call.customerGain}
        active={call.currentSpeaker === 'customer'}
      />
    </section>
  );
}

export function PhaseTimeline({ phases }: { phases: CallSnapshot['callPhases'] }) {
  const ordered = [...phases].sort((a, b) => a.order - b.order);
  return (
    <section className="panel" aria-labelledby="phases-title">
      <h2 id="phases-title">Phases</h2>
      {ordered.length === 0 ? (
        <p className="muted">This campaign has no script.</p>
      ) : (
        <ol className="phases">
          {ordered.map((p) => (
            <li
              key={p._id}
              className={`phase phase-${p.status}`}
              aria-current={p.status === 'active' ? 'step' : undefined}
            >
              <span className="phase-name">{p.phase}</span>
              <span className="phase-detail">
                {p.status}
                {p.duration ? ` · ${p.duration}` : p.startTime ? ` · from ${p.startTime}` : ''}
                {p.quality ? ` · ${p.quality}` : ''}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

const OBJECTIVE_ICONS = { pending: '○', in_progress: '◐', completed: '✓', failed: '✗' } as const;

export function Objectives({ objectives }: { objectives: CallSnapshot['callObjectives'] }) {
  return (
    <section className="panel" aria-labelledby="objectives-title">
      <h2 id="objectives-title">Objectives</h2>
      <ul className="objectives">
        {[...objectives]
          .sort((a, b) => a.order - b.order)
          .map((o) => (
            <li key={o._id} className={`objective objective-${o.status}`}>
              <span aria-hidden="true">{OBJECTIVE_ICONS[o.status]}</span> {o.objective}
              <span className="muted">
                {' '}
                {o.status.replace('_', ' ')}
                {o.completedAt ? ` at ${o.completedAt}` : ''}
              </span>
            </li>
          ))}
      </ul>
      {objectives.length === 0 && <p className="muted">No objectives set.</p>}
    </section>
  );
}

const PRIORITY_ORDER: Record<NextActionPriority, number> = {
  immediate: 0,
  next: 1,
  'follow-up': 2,
};

export function NextActions({ actions }: { actions: CallSnapshot['nextActions'] }) {
  const ordered = [...actions].sort(
    (a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || b.order - a.order,
  );
  return (
    <section className="panel" aria-labelledby="next-title">
      <h2 id="next-title">Next actions</h2>
      <ul className="next-actions">
        {ordered.map((a) => (
          <li key={a._id}>
            <span className={`badge priority-${a.priority}`}>{a.priority}</span> {a.action}
            <div className="muted">{a.reason}</div>
          </li>
        ))}
      </ul>
      {actions.length === 0 && <p className="muted">None yet.</p>}
    </section>
  );
}

function Bar({ label, value }: { label: string; value: number }) {
  return (
    <div className="bar">
      <span className="bar-label">{label}</span>
      <div
        className="bar-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(value)}
      >
        <div className="bar-fill" style={{ width: `${Math.max(0, Math.min(100, value))}%` }} />
      </div>
      <span className="bar-value" data-metric={label}>
        {Math.round(value)}
      </span>
    </div>
  );
}

/** The last `count` metric rows, oldest first (rows arrive every 5 s). */
function recent(metrics: LivePerformanceMetrics[], count = 24): LivePerformanceMetrics[] {
  return [...metrics].sort((a, b) => a.updatedAt - b.updatedAt).slice(-count);
}

export function Metrics({ metrics }: { metrics: LivePerformanceMetrics[] }) {
  const rows = recent(metrics);
  const latest = rows.at(-1);
  return (
    <section className="panel" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Performance</h2>
      {!latest ? (
        <p className="muted">The first metrics arrive within 5 seconds of connecting.</p>
      ) : (
        <>
          <Bar label="Script adherence" value={latest.scriptAdherence} />
          <Bar label="Agent confidence" value={latest.agentConfidence} />
          <Bar label="Conversation quality" value={latest.conversationQuality} />
          <Bar label="Prospect engagement" value={latest.prospectEngagement} />
          <div className="badges">
            <span className="badge">Voice energy {latest.voiceEnergyLevel}</span>
            <span className="badge">Responses {latest.responseQuality}</span>
            <span className="badge">Questions {latest.questionFrequency}</span>
            <span className="badge">Interest {latest.interestSignals}</span>
          </div>
          <table className="probabilities">
            <tbody>
              {(
                [
                  ['Conversion', 'conversionProbability'],
                  ['Demo acceptance', 'demoAcceptanceProbability'],
                  ['Immediate close', 'immediateCloseProbability'],
                ] as const
              ).map(([label, key]) => (
                <tr key={key}>
                  <th scope="row">{label}</th>
                  <td className="num" data-probability={key}>
                    {percent(latest[key])}
                  </td>
                  <td>
                    <Sparkline
                      values={rows.map((r) => r[key])}
                      label={`${label} probability, last ${rows.length} readings`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small" data-metrics-updated={latest.updatedAt}>
            Updated {new Date(latest.updatedAt).toLocaleTimeString()}
          </p>
        </>
      )}
    </section>
  );
}

const SENTIMENT_SCORE = { positive: 1, neutral: 0, negative: -1 } as Record<string, number>;

/** Running sentiment over the call: mean of the last 5 labelled lines, mapped to 0-100. */
function sentimentLine(transcripts: CallSnapshot['liveTranscripts']): number[] {
  const scores = transcripts
    .filter((t) => t.isFinal && t.sentiment)
    .map((t) => SENTIMENT_SCORE[t.sentiment!] ?? 0);
  const points: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const window = scores.slice(Math.max(0, i - 4), i + 1);
    points.push(((window.reduce((a, b) => a + b, 0) / window.length + 1) / 2) * 100);
  }
  return points.slice(-60);
}

export function Sentiment({
  sentiment,
  transcripts,
}: {
  sentiment: CallSnapshot['sentimentAnalysis'];
  transcripts: CallSnapshot['liveTranscripts'];
}) {
  return (
    <section className="panel" aria-labelledby="sentiment-title">
      <h2 id="sentiment-title">Sentiment</h2>
      {!sentiment ? (
        <p className="muted">No final lines yet.</p>
      ) : (
        <>
          <div className="stacked" aria-hidden="true">
            <span className="pos" style={{ width: `${sentiment.positivePercentage}%` }} />
            <span className="neu" style={{ width: `${sentiment.neutralPercentage}%` }} />
            <span className="neg" style={{ width: `${sentiment.negativePercentage}%` }} />
          </div>
          <p>
            <span className="sentiment-positive">
              {percent(sentiment.positivePercentage)} positive
            </span>{' '}
            · {percent(sentiment.neutralPercentage)} neutral ·{' '}
            <span className="sentiment-negative">
              {percent(sentiment.negativePercentage)} negative
            </span>{' '}
            · <strong className={`trend trend-${sentiment.trend}`}>{sentiment.trend}</strong>
          </p>
          <Sparkline
            values={sentimentLine(transcripts)}
            label="Sentiment over the call"
            width={260}
            height={36}
          />
          {sentiment.lastPositiveMoment && (
            <p className="moment">+ {sentiment.lastPositiveMoment}</p>
          )}
          {sentiment.lastNegativeMoment && (
            <p className="moment">− {sentiment.lastNegativeMoment}</p>
          )}
        </>
      )}
    </section>
  );
}

export function Coaching({ items }: { items: CallSnapshot['coachingRecommendations'] }) {
  const active = items
    .filter((c) => c.isActive)
    .sort((a, b) => b.priority - a.priority || b._creationTime - a._creationTime);
  const resolved = items.filter((c) => !c.isActive).length;
  return (
    <section className="panel" aria-labelledby="coaching-title">
      <h2 id="coaching-title">Coaching</h2>
      <ul className="coaching">
        {active.map((c) => (
          <li key={c._id} className={`coach coach-${c.type}`}>
            <span className="badge">P{c.priority}</span> <strong>{c.title}</strong>{' '}
            <span className="muted">{c.timestamp}</span>
            <div>{c.description}</div>
          </li>
        ))}
      </ul>
      {active.length === 0 && <p className="muted">Nothing to coach right now.</p>}
      {resolved > 0 && <p className="muted small">{resolved} resolved</p>}
    </section>
  );
}

export function SystemPanel({ system }: { system: CallSnapshot['callSystemConfig'] }) {
  if (!system) {
    return (
      <section className="panel" aria-labelledby="system-title">
        <h2 id="system-title">System</h2>
        <p className="muted">The pipeline has not reported its health yet.</p>
      </section>
    );
  }
  const services = [
    ['SIP', system.sipProvider, system.sipStatus],
    ['STT', system.sttProvider, system.sttStatus],
    ['LLM', system.llmProvider, system.llmStatus],
    ['TTS', system.ttsProvider, system.ttsStatus],
  ] as const;
  return (
    <section className="panel" aria-labelledby="system-title">
      <h2 id="system-title">System</h2>
      <ul className="services">
        {services.map(([kind, provider, status]) => (
          <li key={kind} className={status === 'error' ? 'service-error' : ''}>
            <strong>{kind}</strong> {provider} <span className="badge">{status}</span>
          </li>
        ))}
      </ul>
      <dl className="figures">
        <dt>API latency</dt>
        <dd>{Math.round(system.apiLatency)} ms</dd>
        <dt>Error rate</dt>
        <dd>{system.errorRate.toFixed(1)}%</dd>
        <dt>Queue depth</dt>
        <dd>{system.queueDepth}</dd>
        <dt>Cost per minute</dt>
        <dd>{money(system.costPerMinute)}</dd>
        <dt>Total cost</dt>
        <dd>{money(system.totalCost)}</dd>
      </dl>
    </section>
  );
}
