// An optional outside adviser: any OpenAI-compatible chat API, set by URL and key, that reads
// the recent conversation and may add coaching and next actions. Off unless --llm-url is set.
// It never holds anything up: requests are fire-and-forget, one in flight per call, at most
// one per call per --llm-interval-seconds, cut off after a timeout; a slow or failing
// provider only means no extra advice. Failures are counted and logged without any text.
import { COACHING_TYPES, NEXT_ACTION_PRIORITIES } from '@earshot/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CallHost } from '../ingest/call-host.ts';
import type { CallUpdate, RealtimeBus } from '../realtime/bus.ts';
import type { Service } from './service.ts';

export interface LlmAdvisorOptions {
  url: string;
  apiKey: string | undefined;
  model: string;
  intervalMs: number;
  timeoutMs: number;
  bus: RealtimeBus;
  calls: CallHost;
  logger: Logger;
  clock?: () => number;
  fetch?: typeof fetch;
}

const adviceSchema = z.object({
  coaching: z
    .array(
      z.object({
        type: z.enum(COACHING_TYPES),
        title: z.string().trim().min(1).max(120),
        description: z.string().trim().min(1).max(500),
        priority: z.number().int().min(1).max(10),
      }),
    )
    .max(3)
    .default([]),
  nextActions: z
    .array(
      z.object({
        action: z.string().trim().min(1).max(200),
        priority: z.enum(NEXT_ACTION_PRIORITIES),
        reason: z.string().trim().min(1).max(300),
      }),
    )
    .max(3)
    .default([]),
});

const INSTRUCTIONS = `You coach contact-centre agents during live calls. Read the conversation and answer
with JSON only: {"coaching":[{"type":"positive"|"warning"|"suggestion","title":"...","description":"...","priority":1-10}],
"nextActions":[{"action":"...","priority":"immediate"|"next"|"follow-up","reason":"..."}]}.
At most 3 of each; empty lists when there is nothing useful to add.`;

/**
 * Masks long digit runs and email addresses before text leaves for the provider. A guard
 * until the full redaction stage exists, not a substitute for it.
 */
export function maskForProvider(text: string): string {
  return text
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, '[EMAIL]')
    .replace(/\d[\d\s().-]{3,}\d/g, '[NUMBER]');
}

export class LlmAdvisor implements Service {
  readonly name = 'llm-advisor';
  private unsubscribe: (() => void) | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lastAsked = new Map<string, number>();
  /** Requests that failed or timed out, for operators (never their content). */
  failures = 0;
  requests = 0;
  private readonly clock: () => number;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: LlmAdvisorOptions) {
    this.clock = options.clock ?? Date.now;
    this.fetcher = options.fetch ?? fetch;
  }

  start(): void {
    this.unsubscribe = this.options.bus.subscribe((update) => this.onUpdate(update));
  }

  private onUpdate(update: CallUpdate): void {
    const finalLine = update.changes.some(
      (c) => c.table === 'liveTranscripts' && 'doc' in c && c.doc.isFinal === true,
    );
    if (!finalLine || this.inFlight.has(update.callId)) return;
    const now = this.clock();
    if (now - (this.lastAsked.get(update.callId) ?? -Infinity) < this.options.intervalMs) return;
    this.lastAsked.set(update.callId, now);
    const request = this.ask(update.callId).finally(() => this.inFlight.delete(update.callId));
    this.inFlight.set(update.callId, request);
  }

  private async ask(callId: string): Promise<void> {
    const snapshot = this.options.calls.snapshot(callId);
    if (!snapshot) return;
    const conversation = snapshot.liveTranscripts
      .filter((t) => t.isFinal)
      .slice(-20)
      .map((t) => `${t.speaker}: ${maskForProvider(t.text)}`)
      .join('\n');
    this.requests++;
    try {
      const response = await this.fetcher(
        `${this.options.url.replace(/\/$/, '')}/chat/completions`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: this.options.model,
            response_format: { type: 'json_object' },
            messages: [
              { role: 'system', content: INSTRUCTIONS },
              {
                role: 'user',
                content: `Campaign: ${snapshot.liveCall.campaignName}\nPhase: ${snapshot.liveCall.currentPhase}\n\n${conversation}`,
              },
            ],
          }),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
      );
      if (!response.ok) throw new Error(`provider answered ${response.status}`);
      const body = (await response.json()) as {
        choices?: Array<{ message?: { content?: string } }>;
      };
      const advice = adviceSchema.parse(JSON.parse(body.choices?.[0]?.message?.content ?? '{}'));
      await this.options.calls.advise(callId, advice);
    } catch (error) {
      this.failures++;
      this.options.logger.warn(
        { callId, reason: error instanceof Error ? error.name : 'error' },
        'llm advice failed',
      );
    }
  }

  async drain(): Promise<void> {
    this.unsubscribe?.();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
  }
}
