// The 5-second performance metrics of a call, from its signals and rows. Every formula and
// weight is here and in docs/analytics.md#performance-metrics.
import type { CallSnapshot, LivePerformanceMetricsFields } from '@earshot/protocol';
import type { ConversationSignals } from './signals.ts';

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const pct = (x: number) => Math.round(clamp01(x) * 1000) / 10;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The inputs every metric is computed from, all in 0-1 unless stated. */
export interface MetricInputs {
  agentShare: number;
  customerShare: number;
  silenceShare: number;
  overtalkShare: number;
  meanAgentGain: number;
  sttConfidence: number;
  fillerRate: number;
  /** Mean VADER compound of the customer's final lines, mapped from -1..1 to 0..1. */
  customerSentiment: number;
  overallSentiment: number;
  questionsPerMinute: number;
  customerQuestions: number;
  buyingSignals: number;
  refusals: number;
  unaddressedObjections: number;
  addressedRatio: number;
  objectiveProgress: number;
  phaseProgress: number;
  skippedShare: number;
  minutes: number;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

export function metricInputs(
  signals: ConversationSignals,
  snapshot: CallSnapshot,
  callSeconds: number,
): MetricInputs {
  const talk = signals.agentMs + signals.customerMs;
  const audio = talk + signals.silenceMs;
  // Without audio events, fall back to words spoken for the talk split.
  const agentShare =
    talk > 0
      ? signals.agentMs / talk
      : signals.agentWords + signals.customerWords > 0
        ? signals.agentWords / (signals.agentWords + signals.customerWords)
        : 0.5;
  const lines = signals.lines.toArray();
  const customerLines = lines.filter((l) => l.speaker === 'customer');
  const objectives = snapshot.callObjectives;
  const phases = snapshot.callPhases;
  const reached = phases.filter((p) => p.status !== 'pending').length;
  const skipped = phases.filter((p) => p.status === 'skipped').length;
  const minutes = Math.max(callSeconds / 60, 0.25);
  return {
    agentShare,
    customerShare: 1 - agentShare,
    silenceShare: audio > 0 ? signals.silenceMs / audio : 0,
    overtalkShare: talk > 0 ? signals.overtalkMs / talk : 0,
    meanAgentGain:
      signals.agentGainSamples > 0 ? signals.agentGainSum / signals.agentGainSamples / 100 : 0.5,
    sttConfidence:
      signals.confidenceCount > 0 ? signals.confidenceSum / signals.confidenceCount : 0.85,
    fillerRate: signals.agentWords > 0 ? signals.fillerWords / signals.agentWords : 0,
    customerSentiment: (mean(customerLines.map((l) => l.compound)) + 1) / 2,
    overallSentiment: (mean(lines.map((l) => l.compound)) + 1) / 2,
    questionsPerMinute: (signals.questionsByAgent + signals.questionsByCustomer) / minutes,
    customerQuestions: signals.questionsByCustomer,
    buyingSignals: signals.buyingSignals,
    refusals: signals.refusals,
    unaddressedObjections: signals.openObjections.length,
    addressedRatio:
      signals.objectionsRaised === 0 ? 1 : signals.objectionsAddressed / signals.objectionsRaised,
    objectiveProgress:
      objectives.length === 0
        ? 0
        : (objectives.filter((o) => o.status === 'completed').length +
            0.5 * objectives.filter((o) => o.status === 'in_progress').length) /
          objectives.length,
    phaseProgress: phases.length === 0 ? 0 : reached / phases.length,
    skippedShare: reached === 0 ? 0 : skipped / reached,
    minutes,
  };
}

/** The stated logistic models behind the three probabilities (weights on MetricInputs). */
export const PROBABILITY_MODELS = {
  conversion: {
    intercept: -2.2,
    buyingSignals: 0.55,
    unaddressedObjections: -0.8,
    refusals: -1.5,
    customerSentiment: 2.0,
    objectiveProgress: 1.6,
    engagement: 1.0,
  },
  demoAcceptance: {
    intercept: -1.6,
    buyingSignals: 0.45,
    unaddressedObjections: -0.6,
    refusals: -1.5,
    customerSentiment: 1.6,
    objectiveProgress: 0.8,
    engagement: 1.4,
  },
  immediateClose: {
    intercept: -3.6,
    buyingSignals: 0.7,
    unaddressedObjections: -1.0,
    refusals: -2.0,
    customerSentiment: 1.8,
    objectiveProgress: 2.2,
    engagement: 0.6,
  },
} as const;

function probability(
  model: (typeof PROBABILITY_MODELS)[keyof typeof PROBABILITY_MODELS],
  inputs: MetricInputs,
  engagement: number,
): number {
  // Centre sentiment on neutral (0.5) so a neutral call is not pushed either way.
  const z =
    model.intercept +
    model.buyingSignals * Math.min(inputs.buyingSignals, 5) +
    model.unaddressedObjections * Math.min(inputs.unaddressedObjections, 4) +
    model.refusals * Math.min(inputs.refusals, 2) +
    model.customerSentiment * (inputs.customerSentiment - 0.5) * 2 +
    model.objectiveProgress * inputs.objectiveProgress +
    model.engagement * engagement;
  return sigmoid(z);
}

export function computeMetrics(
  inputs: MetricInputs,
): Omit<LivePerformanceMetricsFields, 'liveCallId' | 'updatedAt'> {
  const balance = 1 - Math.min(1, Math.abs(inputs.agentShare - 0.5) * 2);
  const scriptAdherence =
    0.6 * (1 - inputs.skippedShare) * (inputs.phaseProgress > 0 ? 1 : 0.5) +
    0.4 * inputs.objectiveProgress;
  const agentConfidence =
    0.4 * Math.min(1, inputs.meanAgentGain / 0.6) +
    0.3 * inputs.sttConfidence +
    0.3 * (1 - Math.min(1, inputs.fillerRate * 10));
  const conversationQuality =
    0.35 * balance +
    0.25 * (1 - Math.min(1, inputs.overtalkShare * 4)) +
    0.2 * (1 - Math.min(1, inputs.silenceShare * 2)) +
    0.2 * inputs.overallSentiment;
  const prospectEngagement =
    0.4 * Math.min(1, inputs.customerShare * 2) +
    0.3 * Math.min(1, inputs.customerQuestions / 3) +
    0.3 * inputs.customerSentiment;
  const responseScore = 0.5 * inputs.addressedRatio + 0.5 * conversationQuality;
  const interest = inputs.buyingSignals - inputs.unaddressedObjections;
  return {
    scriptAdherence: pct(scriptAdherence),
    agentConfidence: pct(agentConfidence),
    conversationQuality: pct(conversationQuality),
    prospectEngagement: pct(prospectEngagement),
    voiceEnergyLevel:
      inputs.meanAgentGain < 0.35 ? 'LOW' : inputs.meanAgentGain < 0.65 ? 'MEDIUM' : 'HIGH',
    responseQuality:
      responseScore < 0.4
        ? 'POOR'
        : responseScore < 0.6
          ? 'FAIR'
          : responseScore < 0.8
            ? 'GOOD'
            : 'EXCELLENT',
    questionFrequency:
      inputs.questionsPerMinute < 0.5 ? 'LOW' : inputs.questionsPerMinute < 1.5 ? 'MEDIUM' : 'HIGH',
    interestSignals: interest <= 0 ? 'WEAK' : interest <= 2 ? 'MODERATE' : 'STRONG',
    conversionProbability: pct(
      probability(PROBABILITY_MODELS.conversion, inputs, prospectEngagement),
    ),
    demoAcceptanceProbability: pct(
      probability(PROBABILITY_MODELS.demoAcceptance, inputs, prospectEngagement),
    ),
    immediateCloseProbability: pct(
      probability(PROBABILITY_MODELS.immediateClose, inputs, prospectEngagement),
    ),
  };
}
