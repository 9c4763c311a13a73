// The wallboard: every live call as a row, filtered, searched and sorted, with a duration that
// ticks and alerts for a declining sentiment, a long hold and a pipeline error. A call that
// ends stays a few seconds marked "Ended", then leaves the board.
import { useMemo, useRef, useState } from 'react';
import { clock, elapsed, percent, STATUS_LABELS } from './format.ts';
import { useWallboard, type WallboardRow } from './realtime.ts';
import { useNow } from './use-now.ts';
import { endedRowShown } from './wallboard-rules.ts';

/** A hold longer than this is an alert. */
const LONG_HOLD_MS = 60_000;

type SortKey = 'duration' | 'newest' | 'conversion' | 'sentiment' | 'agent';
const SORTS: Record<
  SortKey,
  { label: string; compare: (a: WallboardRow, b: WallboardRow) => number }
> = {
  duration: { label: 'Longest first', compare: (a, b) => a.startTime.localeCompare(b.startTime) },
  newest: { label: 'Newest first', compare: (a, b) => b.startTime.localeCompare(a.startTime) },
  conversion: {
    label: 'Conversion probability',
    compare: (a, b) => (b.conversionProbability ?? -1) - (a.conversionProbability ?? -1),
  },
  sentiment: {
    label: 'Most negative first',
    compare: (a, b) => (b.sentiment?.negative ?? 0) - (a.sentiment?.negative ?? 0),
  },
  agent: { label: 'Agent name', compare: (a, b) => a.agentName.localeCompare(b.agentName) },
};

export interface Alert {
  kind: 'negative-trend' | 'long-hold' | 'pipeline-error';
  label: string;
}

export function alertsOf(row: WallboardRow, holdSince: number | undefined, now: number): Alert[] {
  const alerts: Alert[] = [];
  if (row.sentiment?.trend === 'declining')
    alerts.push({ kind: 'negative-trend', label: 'Sentiment declining' });
  if (row.status === 'on-hold' && holdSince !== undefined && now - holdSince > LONG_HOLD_MS)
    alerts.push({ kind: 'long-hold', label: `On hold ${clock((now - holdSince) / 1000)}` });
  if (row.pipelineError) alerts.push({ kind: 'pipeline-error', label: 'Pipeline error' });
  return alerts;
}

export function Wallboard({ onOpen }: { onOpen: (callId: string) => void }) {
  const rows = useWallboard();
  const now = useNow();
  const [status, setStatus] = useState('');
  const [campaign, setCampaign] = useState('');
  const [agent, setAgent] = useState('');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortKey>('duration');
  // When this console first saw each call on hold (the row carries no hold start).
  const holds = useRef(new Map<string, number>());
  // Calls this console saw live, and when it saw each of them end.
  const seenLive = useRef(new Set<string>());
  const seenEnding = useRef(new Map<string, number>());

  const all = useMemo(() => [...(rows?.values() ?? [])], [rows]);
  for (const row of all) {
    if (row.status === 'on-hold') {
      if (!holds.current.has(row.callId)) holds.current.set(row.callId, Date.now());
    } else holds.current.delete(row.callId);
    if (!row.endedAt) seenLive.current.add(row.callId);
    else if (seenLive.current.delete(row.callId)) seenEnding.current.set(row.callId, Date.now());
  }
  for (const callId of seenEnding.current.keys())
    if (!rows?.has(callId)) seenEnding.current.delete(callId);
  // The chosen value stays an option when its last call leaves the board: otherwise the select
  // would show "All" while still filtering by it, and the board would say no call matches.
  const optionsOf = (values: string[], chosen: string) =>
    [...new Set(chosen ? [...values, chosen] : values)].sort();
  const campaigns = optionsOf(
    all.map((r) => r.campaignName),
    campaign,
  );
  const agents = optionsOf(
    all.map((r) => r.agentName),
    agent,
  );
  const needle = search.trim().toLowerCase();
  const visible = all
    // Ended calls leave the board after a few seconds, unless the filter asks for them.
    .filter(
      (r) =>
        status === 'ended' ||
        !r.endedAt ||
        endedRowShown(r.endedAt, seenEnding.current.get(r.callId), now),
    )
    .filter((r) => !status || r.status === status)
    .filter((r) => !campaign || r.campaignName === campaign)
    .filter((r) => !agent || r.agentName === agent)
    .filter(
      (r) =>
        !needle ||
        [r.agentName, r.customerName, r.campaignName, r.callId, r.currentPhase]
          .join(' ')
          .toLowerCase()
          .includes(needle),
    )
    .sort(SORTS[sort].compare);
  const live = all.filter((r) => r.status !== 'ended').length;

  return (
    <section className="wallboard" aria-labelledby="wallboard-title">
      <header className="wallboard-header">
        <h1 id="wallboard-title">Live calls</h1>
        <span className="count" aria-live="polite">
          {rows === undefined ? 'Loading…' : `${live} live`}
        </span>
      </header>
      <div className="filters" role="search">
        <label>
          Search
          <input
            type="search"
            value={search}
            placeholder="Agent, customer, call…"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            {Object.entries(STATUS_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Campaign
          <select value={campaign} onChange={(e) => setCampaign(e.target.value)}>
            <option value="">All</option>
            {campaigns.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Agent
          <select value={agent} onChange={(e) => setAgent(e.target.value)}>
            <option value="">All</option>
            {agents.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            {Object.entries(SORTS).map(([key, { label }]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <table className="calls">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Customer</th>
            <th scope="col">Campaign</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
            <th scope="col">Phase</th>
            <th scope="col">Speaking</th>
            <th scope="col">Sentiment</th>
            <th scope="col">Conversion</th>
            <th scope="col">Alerts</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((row) => {
            const alerts = alertsOf(row, holds.current.get(row.callId), now);
            return (
              <tr
                key={row.callId}
                data-call-id={row.callId}
                className={row.status === 'ended' ? 'ended' : alerts.length > 0 ? 'alerting' : ''}
                onClick={() => onOpen(row.callId)}
              >
                <td>
                  <button
                    type="button"
                    className="link"
                    aria-label={`Monitor ${row.agentName}'s call with ${row.customerName}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      onOpen(row.callId);
                    }}
                  >
                    {row.agentName}
                  </button>
                </td>
                <td>
                  {row.customerName}
                  <div className="muted">{row.customerPhone}</div>
                </td>
                <td>{row.campaignName}</td>
                <td>
                  <span className={`status status-${row.status}`}>{STATUS_LABELS[row.status]}</span>
                </td>
                <td className="num">{clock(elapsed(row.startTime, now, row.endedAt))}</td>
                <td>{row.currentPhase}</td>
                <td>{row.currentSpeaker ?? '–'}</td>
                <td>
                  {row.sentiment ? (
                    <span className={`trend trend-${row.sentiment.trend}`}>
                      {percent(row.sentiment.positive)} / {percent(row.sentiment.negative)}{' '}
                      {row.sentiment.trend === 'improving'
                        ? '↑'
                        : row.sentiment.trend === 'declining'
                          ? '↓'
                          : '→'}
                      <span className="sr-only"> {row.sentiment.trend}</span>
                    </span>
                  ) : (
                    '–'
                  )}
                </td>
                <td className="num">{percent(row.conversionProbability)}</td>
                <td>
                  {alerts.map((a) => (
                    <span key={a.kind} className={`alert alert-${a.kind}`}>
                      {a.label}
                    </span>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows !== undefined && visible.length === 0 && (
        <p className="empty">
          No calls match. Calls appear here as soon as the pipeline starts them.
        </p>
      )}
    </section>
  );
}
