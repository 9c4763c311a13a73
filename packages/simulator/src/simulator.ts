// Keeps N simulated calls live against an Earshot: when one ends, another starts. Seeded:
// call i of a run with seed s is always planned from seed s + i, so a run can be reproduced.
import { setMaxListeners } from 'node:events';
import { SCENARIOS } from './scenarios.ts';
import { planCall } from './call-plan.ts';
import { CallControl, playCall, type PlayStats } from './call-player.ts';
import type { PlatformAction } from './platform-receiver.ts';

export interface SimulatorOptions {
  baseUrl: string;
  apiKey: string;
  calls: number;
  seed?: number;
  speed?: number;
  /** Stop starting new calls after this long (ms); undefined runs until stopped. */
  durationMs?: number;
  onError?: (message: string) => void;
}

export class Simulator {
  /** `failed`: calls that could not be played at all (their start refused, say). */
  readonly totals: PlayStats & { calls: number; failed: number } = {
    calls: 0,
    failed: 0,
    sent: 0,
    acknowledged: 0,
    refused: 0,
  };
  private readonly controller = new AbortController();
  private readonly lanes: Array<Promise<void>> = [];
  private next = 0;
  /** The calls being played, by callId, for the platform's actions. */
  private readonly controls = new Map<string, CallControl>();
  private readonly runId = Date.now().toString(36);

  constructor(private readonly options: SimulatorOptions) {
    // Every lane waits on this one signal at once; more than ten lanes is not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  /** Creates the scenarios' campaigns (an existing one is fine), then starts the calls. */
  async start(): Promise<void> {
    for (const scenario of SCENARIOS) {
      const response = await fetch(`${this.options.baseUrl}/api/v1/campaigns`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(scenario.campaign),
      });
      if (response.status !== 201 && response.status !== 409) {
        throw new Error(
          `creating campaign "${scenario.campaign.name}": HTTP ${response.status} ${await response.text()}`,
        );
      }
    }
    const until =
      this.options.durationMs === undefined ? Infinity : Date.now() + this.options.durationMs;
    for (let lane = 0; lane < this.options.calls; lane++) {
      this.lanes.push(
        (async () => {
          // Stagger the first calls so they are not all at the same moment of their script.
          await new Promise((r) => setTimeout(r, lane * 250));
          while (!this.controller.signal.aborted && Date.now() < until) {
            const index = this.next++;
            const seed = (this.options.seed ?? 1) + index;
            const plan = planCall(seed, `sim-${this.runId}-${index}`, Date.now());
            this.totals.calls++;
            const control = new CallControl();
            this.controls.set(plan.start.callId, control);
            try {
              const stats = await playCall(plan, {
                control,
                baseUrl: this.options.baseUrl,
                apiKey: this.options.apiKey,
                ...(this.options.speed ? { speed: this.options.speed } : {}),
                signal: this.controller.signal,
                ...(this.options.onError ? { onError: this.options.onError } : {}),
              });
              this.totals.sent += stats.sent;
              this.totals.acknowledged += stats.acknowledged;
              this.totals.refused += stats.refused;
            } catch (error) {
              this.totals.failed++;
              this.options.onError?.(
                `${plan.start.callId}: ${error instanceof Error ? error.message : String(error)}`,
              );
              await new Promise((r) => setTimeout(r, 1000));
            } finally {
              this.controls.delete(plan.start.callId);
            }
          }
        })(),
      );
    }
  }

  /**
   * What the voice platform does with a supervisor's action on one of its calls: END_CALL
   * hangs up, TRANSFER_CALL transfers it, JOIN_CALL brings the supervisor on the line,
   * COACH_AGENT makes the agent change course. False when the call is not being played.
   */
  act(action: PlatformAction): boolean {
    const control = this.controls.get(action.callId);
    if (!control) return false;
    const name = action.supervisor.name;
    switch (action.type) {
      case 'END_CALL':
        control.end('supervisor');
        return true;
      case 'TRANSFER_CALL': {
        const line = (text: string) => ({
          type: 'transcript' as const,
          segmentId: `transfer-${action.id}`,
          speaker: 'agent' as const,
          text,
          isFinal: true,
          timestamp: '0:00',
        });
        if (control.transferring) return true;
        control.transferring = true;
        if (control.status === 'on-hold') control.inject({ type: 'status', status: 'connected' });
        control.inject(
          line(`I'm transferring you to ${action.details ?? 'a colleague'} now, please hold.`),
          { type: 'status', status: 'transferring' },
        );
        // The other side picks up a couple of seconds later.
        setTimeout(() => {
          control.inject({ type: 'status', status: 'connected' });
          control.transferring = false;
        }, 2_000);
        return true;
      }
      case 'JOIN_CALL':
        control.inject({
          type: 'transcript',
          segmentId: `join-${action.id}`,
          speaker: 'agent',
          text: `Hi, this is ${name}, a supervisor; I've joined the call to help.`,
          isFinal: true,
          timestamp: '0:00',
        });
        return true;
      case 'COACH_AGENT':
        control.inject({
          type: 'transcript',
          segmentId: `coach-${action.id}`,
          speaker: 'agent',
          text: `Let me take a step back for a moment. ${action.details ?? ''}`.trim(),
          isFinal: true,
          timestamp: '0:00',
        });
        return true;
      default:
        return false;
    }
  }

  /** Resolves when every lane has finished (after stop, or when the duration is up). */
  done(): Promise<void> {
    return Promise.all(this.lanes).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.done();
  }
}
