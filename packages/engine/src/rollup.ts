// The permanent record of an ended call: callAnalytics (one row) and the archived final
// transcript. Every number is derived from the call's own rows; docs/analytics.md lists
// the formulas.
import {
  SUPERVISOR_ACTIONS,
  type CallAnalytics,
  type CallSnapshot,
  type PiiKind,
  type SupervisorActionKind,
  type TranscriptArchive,
} from '@earshot/protocol';
import { callSeconds, parseCallClock } from './call-clock.ts';

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function round(value: number, places = 2): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

export function rollUpCall(
  snapshot: CallSnapshot,
  ctx: { now: number; newId: () => string },
  redactions: Partial<Record<PiiKind, number>> = {},
): { analytics: CallAnalytics; archive: TranscriptArchive[] } {
  const call = snapshot.liveCall;
  const finals = snapshot.liveTranscripts
    .filter((t) => t.isFinal)
    .sort((a, b) => a.order - b.order);

  // Talk share by words spoken in final results: the pipeline sends no per-utterance durations.
  const agentWords = finals
    .filter((t) => t.speaker === 'agent')
    .reduce((n, t) => n + words(t.text), 0);
  const allWords = finals.reduce((n, t) => n + words(t.text), 0);

  // Sentiment: the running analysis when there is one, else the share of labelled final lines.
  const labelled = finals.filter((t) => t.sentiment);
  const share = (label: string) =>
    labelled.length === 0
      ? label === 'neutral'
        ? 100
        : 0
      : (100 * labelled.filter((t) => t.sentiment === label).length) / labelled.length;
  const sentiment = snapshot.sentimentAnalysis;

  // Rows the ticker wrote after the end (a call ended as stale, at its last event) describe
  // silence on a dead line, not the call.
  const endedAtMs = call.endedAt ? Date.parse(call.endedAt) : ctx.now;
  const metrics = snapshot.livePerformanceMetrics.filter((m) => m._creationTime <= endedAtMs);
  const last = metrics.at(-1);
  const counts: Partial<Record<SupervisorActionKind, number>> = {};
  for (const action of snapshot.supervisorActions)
    counts[action.action] = (counts[action.action] ?? 0) + 1;
  for (const kind of SUPERVISOR_ACTIONS) if (counts[kind] === 0) delete counts[kind];

  const analyticsId = ctx.newId();
  const analytics: CallAnalytics = {
    _id: analyticsId,
    _creationTime: ctx.now,
    callId: call.callId,
    liveCallId: call._id,
    agentName: call.agentName,
    ...(call.campaignId ? { campaignId: call.campaignId } : {}),
    campaignName: call.campaignName,
    startTime: call.startTime,
    endedAt: call.endedAt ?? new Date(ctx.now).toISOString(),
    endReason: call.endReason ?? 'completed',
    durationSeconds: round(
      callSeconds(call.startTime, call.endedAt ? Date.parse(call.endedAt) : ctx.now),
      3,
    ),
    agentTalkPercentage: allWords === 0 ? 0 : round((100 * agentWords) / allWords),
    positivePercentage: round(sentiment?.positivePercentage ?? share('positive')),
    neutralPercentage: round(sentiment?.neutralPercentage ?? share('neutral')),
    negativePercentage: round(sentiment?.negativePercentage ?? share('negative')),
    sentimentTrend: sentiment?.trend ?? 'stable',
    phases: [...snapshot.callPhases]
      .sort((a, b) => a.order - b.order)
      .map((phase) => ({
        phase: phase.phase,
        status: phase.status,
        durationSeconds: phase.duration ? (parseCallClock(phase.duration) ?? 0) : 0,
        ...(phase.quality ? { quality: phase.quality } : {}),
      })),
    ...(metrics.length > 0
      ? {
          metricAverages: {
            scriptAdherence: round(mean(metrics.map((m) => m.scriptAdherence))),
            agentConfidence: round(mean(metrics.map((m) => m.agentConfidence))),
            conversationQuality: round(mean(metrics.map((m) => m.conversationQuality))),
            prospectEngagement: round(mean(metrics.map((m) => m.prospectEngagement))),
          },
        }
      : {}),
    ...(last
      ? {
          conversionProbability: last.conversionProbability,
          demoAcceptanceProbability: last.demoAcceptanceProbability,
          immediateCloseProbability: last.immediateCloseProbability,
        }
      : {}),
    objectivesCompleted: snapshot.callObjectives.filter((o) => o.status === 'completed').length,
    objectivesTotal: snapshot.callObjectives.length,
    supervisorActionCounts: counts,
    redactions,
    transcriptChunks: finals.length,
    totalCost: snapshot.callSystemConfig?.totalCost ?? 0,
    createdAt: ctx.now,
  };
  const archive: TranscriptArchive[] = finals.map((line) => ({
    _id: ctx.newId(),
    _creationTime: ctx.now,
    callAnalyticsId: analyticsId,
    callId: call.callId,
    order: line.order,
    timestamp: line.timestamp,
    speaker: line.speaker,
    text: line.text,
    ...(line.sentiment ? { sentiment: line.sentiment } : {}),
    ...(line.confidence !== undefined ? { confidence: line.confidence } : {}),
    createdAt: ctx.now,
  }));
  return { analytics, archive };
}
