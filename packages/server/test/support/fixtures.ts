// Factories for valid documents of every table, with fixed values so tests read clearly.
import type {
  CallAnalyticsFields,
  CallObjectiveFields,
  CallPhaseFields,
  CallSystemConfigFields,
  CampaignFields,
  CoachingRecommendationFields,
  LiveCallFields,
  LivePerformanceMetricsFields,
  LiveTranscriptFields,
  NextActionFields,
  SentimentAnalysisFields,
  SupervisorActionFields,
} from '@earshot/protocol';

export const NOW = Date.parse('2026-11-23T10:00:00.000Z');
let counter = 0;

export function campaignFields(overrides: Partial<CampaignFields> = {}): CampaignFields {
  return {
    name: `Spring renewals ${++counter}`,
    description: 'Outbound renewals for lapsed customers',
    type: 'Outbound',
    status: 'active',
    script: {
      phases: [
        { name: 'Opening', description: 'Greet and confirm identity', cues: ['calling from'] },
      ],
      objectives: [{ text: 'Confirm renewal date', completionCues: ['renew on'] }],
    },
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

export function liveCallFields(overrides: Partial<LiveCallFields> = {}): LiveCallFields {
  return {
    callId: `call-${process.pid}-${++counter}`,
    agentName: 'Dana Whitfield',
    customerName: 'Sam Okafor',
    customerPhone: '+44 7700 900123',
    status: 'connecting',
    startTime: '2026-11-23T10:00:00.000Z',
    duration: 0,
    currentPhase: 'Opening',
    campaignName: 'Spring renewals',
    isRecording: true,
    recordingStartTime: '2026-11-23T10:00:01.000Z',
    agentGain: 62,
    customerGain: 48,
    currentSpeaker: 'agent',
    sipEndpoint: 'sip:agent42@pbx.example.com',
    sessionId: `session-${counter}`,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

export function transcriptFields(
  liveCallId: string,
  order: number,
  overrides: Partial<LiveTranscriptFields> = {},
): LiveTranscriptFields {
  const seconds = order * 3;
  return {
    liveCallId,
    timestamp: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`,
    speaker: order % 2 === 0 ? 'agent' : 'customer',
    text: `Line ${order} of the conversation`,
    sentiment: 'neutral',
    confidence: 0.93,
    isFinal: true,
    order,
    createdAt: NOW + order,
    ...overrides,
  };
}

export function objectiveFields(
  liveCallId: string,
  overrides: Partial<CallObjectiveFields> = {},
): CallObjectiveFields {
  return {
    liveCallId,
    objective: 'Confirm renewal date',
    status: 'pending',
    order: 0,
    ...overrides,
  };
}

export function nextActionFields(
  liveCallId: string,
  overrides: Partial<NextActionFields> = {},
): NextActionFields {
  return {
    liveCallId,
    action: 'Ask about current provider',
    priority: 'next',
    reason: 'Discovery is not complete',
    suggestedAt: '1:10',
    order: 0,
    ...overrides,
  };
}

export function metricsFields(
  liveCallId: string,
  overrides: Partial<LivePerformanceMetricsFields> = {},
): LivePerformanceMetricsFields {
  return {
    liveCallId,
    scriptAdherence: 80,
    agentConfidence: 70,
    conversationQuality: 75,
    prospectEngagement: 60,
    voiceEnergyLevel: 'MEDIUM',
    responseQuality: 'GOOD',
    questionFrequency: 'LOW',
    interestSignals: 'MODERATE',
    conversionProbability: 35,
    demoAcceptanceProbability: 40,
    immediateCloseProbability: 12,
    updatedAt: NOW,
    ...overrides,
  };
}

export function supervisorActionFields(
  liveCallId: string,
  overrides: Partial<SupervisorActionFields> = {},
): SupervisorActionFields {
  return {
    liveCallId,
    supervisorId: 'sup-1',
    supervisorName: 'Morgan Lee',
    action: 'ADD_NOTE',
    details: 'Good rapport',
    timestamp: '2026-11-23T10:01:00.000Z',
    order: 0,
    ...overrides,
  };
}

export function coachingFields(
  liveCallId: string,
  overrides: Partial<CoachingRecommendationFields> = {},
): CoachingRecommendationFields {
  return {
    liveCallId,
    type: 'suggestion',
    title: 'Ask an open question',
    description: 'The customer has answered yes/no three times in a row.',
    priority: 5,
    timestamp: '1:20',
    isActive: true,
    ...overrides,
  };
}

export function phaseFields(
  liveCallId: string,
  overrides: Partial<CallPhaseFields> = {},
): CallPhaseFields {
  return {
    liveCallId,
    phase: 'Opening',
    status: 'completed',
    startTime: '0:00',
    endTime: '0:45',
    duration: '0:45',
    quality: 'good',
    order: 0,
    ...overrides,
  };
}

export function systemConfigFields(
  liveCallId: string,
  overrides: Partial<CallSystemConfigFields> = {},
): CallSystemConfigFields {
  return {
    liveCallId,
    sipProvider: 'Twilio',
    sttProvider: 'Deepgram',
    llmProvider: 'OpenAI',
    ttsProvider: 'ElevenLabs',
    sipStatus: 'connected',
    sttStatus: 'streaming',
    llmStatus: 'active',
    ttsStatus: 'active',
    apiLatency: 180,
    errorRate: 0.5,
    queueDepth: 2,
    costPerMinute: 0.12,
    totalCost: 0.3,
    updatedAt: NOW,
    ...overrides,
  };
}

export function sentimentFields(
  liveCallId: string,
  overrides: Partial<SentimentAnalysisFields> = {},
): SentimentAnalysisFields {
  return {
    liveCallId,
    positivePercentage: 40,
    neutralPercentage: 50,
    negativePercentage: 10,
    trend: 'stable',
    lastPositiveMoment: '0:42 "that sounds great"',
    updatedAt: NOW,
    ...overrides,
  };
}

export function analyticsFields(
  liveCallId: string,
  overrides: Partial<CallAnalyticsFields> = {},
): CallAnalyticsFields {
  return {
    callId: `analytics-${process.pid}-${++counter}`,
    liveCallId,
    agentName: 'Dana Whitfield',
    campaignName: 'Spring renewals',
    startTime: '2026-11-23T10:00:00.000Z',
    endedAt: '2026-11-23T10:06:00.000Z',
    endReason: 'completed',
    durationSeconds: 360,
    agentTalkPercentage: 55,
    positivePercentage: 40,
    neutralPercentage: 50,
    negativePercentage: 10,
    sentimentTrend: 'improving',
    phases: [{ phase: 'Opening', status: 'completed', durationSeconds: 45, quality: 'good' }],
    metricAverages: {
      scriptAdherence: 80,
      agentConfidence: 70,
      conversationQuality: 75,
      prospectEngagement: 60,
    },
    conversionProbability: 35,
    demoAcceptanceProbability: 40,
    immediateCloseProbability: 12,
    objectivesCompleted: 1,
    objectivesTotal: 3,
    supervisorActionCounts: { ADD_NOTE: 1 },
    transcriptChunks: 2,
    totalCost: 0.72,
    createdAt: NOW,
    ...overrides,
  };
}
