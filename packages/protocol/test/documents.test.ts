// The document schemas mirror the seed's validators and name the failing field path.
import { describe, expect, it } from 'vitest';
import {
  callAnalyticsFields,
  EarshotError,
  liveCallDocument,
  liveCallFields,
  liveTranscriptFields,
  parseOrThrow,
} from '../src/index.ts';

const call = {
  callId: 'c-1',
  agentName: 'Dana',
  customerName: 'Sam',
  customerPhone: '+44 7700 900123',
  status: 'connected',
  startTime: '2026-11-23T10:00:00.000Z',
  duration: 12,
  currentPhase: 'Opening',
  campaignName: 'Renewals',
  isRecording: false,
  agentGain: 50,
  customerGain: 40,
  sessionId: 's-1',
  createdAt: 1,
  updatedAt: 2,
};

function failingFields(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EarshotError);
    return (error as EarshotError).fields.map((f) => f.field);
  }
  throw new Error('expected a validation error');
}

describe('document schemas', () => {
  it('accepts a seed-shaped live call, optional fields absent', () => {
    expect(liveCallFields.parse(call)).toEqual(call);
  });

  it.each([
    ['an invalid literal', { status: 'dialling' }, 'status'],
    ['an out-of-range gain', { agentGain: 101 }, 'agentGain'],
    ['a negative duration', { duration: -1 }, 'duration'],
    ['a wrong type', { isRecording: 'yes' }, 'isRecording'],
    ['a malformed ISO timestamp', { startTime: 'yesterday' }, 'startTime'],
    ['an unknown field', { supervisorId: 'x' }, 'supervisorId'],
  ])('refuses %s, naming the field', (_, patch, field) => {
    expect(failingFields(() => parseOrThrow(liveCallFields, { ...call, ...patch }))).toEqual([
      field,
    ]);
  });

  it('refuses a missing required field, naming it', () => {
    const { agentName: _missing, ...rest } = call;
    expect(failingFields(() => parseOrThrow(liveCallFields, rest))).toEqual(['agentName']);
  });

  it('names a nested path', () => {
    const analytics = { phases: [{ phase: 'Opening', status: 'finished', durationSeconds: 3 }] };
    const fields = failingFields(() =>
      parseOrThrow(callAnalyticsFields.pick({ phases: true }), analytics),
    );
    expect(fields).toEqual(['phases.0.status']);
  });

  it('checks the call clock and confidence range of transcripts', () => {
    const base = {
      liveCallId: '7f1c2e4a-1b2c-4d3e-8f90-a1b2c3d4e5f6',
      timestamp: '2:15',
      speaker: 'agent',
      text: 'Hello',
      isFinal: true,
      order: 1,
      createdAt: 1,
    };
    expect(liveTranscriptFields.parse(base)).toEqual(base);
    expect(liveTranscriptFields.parse({ ...base, timestamp: '1:02:03' }).timestamp).toBe('1:02:03');
    expect(
      failingFields(() => parseOrThrow(liveTranscriptFields, { ...base, timestamp: '2m15s' })),
    ).toEqual(['timestamp']);
    expect(
      failingFields(() => parseOrThrow(liveTranscriptFields, { ...base, confidence: 1.2 })),
    ).toEqual(['confidence']);
  });

  it('requires _id and _creationTime on a document', () => {
    expect(failingFields(() => parseOrThrow(liveCallDocument, call)).sort()).toEqual([
      '_creationTime',
      '_id',
    ]);
  });

  it('renders a problem body naming the fields', () => {
    const error = new EarshotError('validation', 'Invalid input: agentGain', {
      fields: [{ field: 'agentGain', message: 'Too big' }],
    });
    expect(error.toProblem()).toMatchObject({
      status: 400,
      kind: 'validation',
      errors: [{ field: 'agentGain', message: 'Too big' }],
    });
  });
});
