// The monitor modal with a 5,000-line transcript while lines keep arriving: frame times
// measured in Chromium (requestAnimationFrame deltas and long tasks), with the real server
// and database behind it. A call gets 5,000 final lines, the modal opens on it, and for
// BENCH_FRAMES_SECONDS (20) the call keeps going like a live one: audio levels at 10 Hz and a
// new line every 500 ms, first as an interim, then replaced by its final.
import { performance } from 'node:perf_hooks';
import { formatCallClock } from '../packages/engine/src/index.ts';
import { SALES_CAMPAIGN, startRequest } from '../packages/server/test/support/scripted-call.ts';
import {
  buildConsole,
  chromiumAvailable,
  CHROMIUM,
  launchBrowser,
  signInThroughForm,
  startConsoleServer,
} from '../packages/web/test/support/browser.ts';
import { percentile } from './support/measure.ts';

const LINES = Number(process.env.BENCH_FRAMES_LINES ?? 5_000);
const SECONDS = Number(process.env.BENCH_FRAMES_SECONDS ?? 20);
const CALL = 'frames-1';
const TEXTS = [
  ['agent', 'You asked for a quote, how much do you currently spend on power each month?'],
  ['customer', 'About two hundred a month, which honestly feels like far too much for us.'],
  ['agent', 'Our panels typically cut that by half, and the savings start straight away.'],
  ['customer', "That sounds interesting, but I'm not sure we can afford the installation."],
  ['agent', 'Many customers felt the same; the finance plan costs less than the saving.'],
  ['customer', 'Okay, how soon could someone come out and look at the roof?'],
] as const;

interface FrameStats {
  frames: number[];
  longTasks: number[];
  heapMb: number;
  lineElements: number;
}

export async function run(): Promise<void> {
  if (!chromiumAvailable) {
    console.log(`console-frames: skipped, no Chromium at ${CHROMIUM}`);
    return;
  }
  await buildConsole();
  const server = await startConsoleServer({ 'simulator-calls': '0' });
  const browser = await launchBrowser();
  try {
    let seq = 0;
    const send = (events: Array<Record<string, unknown>>) =>
      server.send('POST', `/api/v1/calls/${CALL}/events`, {
        events: events.map((e) => ({ ...e, seq: ++seq })),
      });
    await server.send('POST', '/api/v1/campaigns', SALES_CAMPAIGN);
    const started = Date.now() - LINES * 3_000;
    await server.send(
      'POST',
      '/api/v1/calls',
      startRequest(CALL, { startTime: new Date(started).toISOString() }),
    );
    await send([
      { type: 'status', status: 'ringing' },
      { type: 'status', status: 'connected' },
    ]);
    const line = (n: number, isFinal: boolean, words?: number) => {
      const [speaker, text] = TEXTS[n % TEXTS.length]!;
      const seconds = n * 3;
      return {
        type: 'transcript',
        segmentId: `l${n}`,
        speaker,
        text: words ? text.split(' ').slice(0, words).join(' ') : `${text} (${n})`,
        isFinal,
        timestamp: formatCallClock(seconds),
        confidence: 0.9,
      };
    };
    for (let n = 0; n < LINES; n += 250)
      await send(Array.from({ length: Math.min(250, LINES - n) }, (_, i) => line(n + i, true)));
    console.log(`console-frames: call with ${LINES} lines ready (${server.database})`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(server.base);
    await signInThroughForm(page, 'ada', await server.user('ada', 'Ada Supervisor', 'admin'));
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    const opened = performance.now();
    await page.goto(`${server.base}/calls/${CALL}`);
    await page.locator(`[data-segment="l${LINES - 1}"]`).waitFor({ timeout: 60_000 });
    const openMs = performance.now() - opened;

    // In-page code is passed as text: it runs in the browser, not under Node's types.
    await page.evaluate(`(() => {
      const stats = (window.frameStats = { frames: [], longTasks: [] });
      let last = performance.now();
      const loop = (now) => {
        stats.frames.push(now - last);
        last = now;
        requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) stats.longTasks.push(entry.duration);
      }).observe({ type: 'longtask', buffered: false });
    })()`);
    const before = await metrics(cdp);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    let n = LINES;
    for (let tick = 0; tick < SECONDS * 10; tick++) {
      const due = t0 + tick * 100;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const events: Array<Record<string, unknown>> = [
        {
          type: 'audio',
          agentGain: 30 + ((tick * 7) % 50),
          customerGain: 10 + ((tick * 13) % 60),
          currentSpeaker: tick % 20 < 10 ? 'agent' : 'customer',
        },
      ];
      if (tick % 5 === 0) events.push(tick % 10 === 0 ? line(n, false, 5) : line(n++, true));
      await send(events);
      sent += events.length;
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const after = await metrics(cdp);
    const stats = (await page.evaluate(`({
      frames: window.frameStats.frames.slice(1),
      longTasks: window.frameStats.longTasks,
      heapMb: (performance.memory?.usedJSHeapSize ?? 0) / 1024 / 1024,
      lineElements: document.querySelectorAll('.transcript .line').length,
    })`)) as FrameStats;
    const frames = [...stats.frames].sort((a, b) => a - b);
    const rendererBusy = (after.TaskDuration! - before.TaskDuration!) / wallS;
    console.log(
      `console-frames: modal on a ${LINES}-line call (${server.database}), ${SECONDS} s of live updates`,
    );
    console.log(
      `  opened with the last line rendered in ${openMs.toFixed(0)} ms; ${stats.lineElements} line elements in the DOM`,
    );
    console.log(
      `  frame ms: p50 ${percentile(frames, 50).toFixed(1)}  p95 ${percentile(frames, 95).toFixed(1)}  p99 ${percentile(frames, 99).toFixed(1)}  max ${frames.at(-1)!.toFixed(1)}  (${frames.length} frames, ${(frames.length / wallS).toFixed(1)} fps)`,
    );
    console.log(
      `  frames over 50 ms: ${frames.filter((f) => f > 50).length}; long tasks: ${stats.longTasks.length} (longest ${Math.max(0, ...stats.longTasks).toFixed(0)} ms)`,
    );
    console.log(
      `  events/s in ${(sent / wallS).toFixed(1)}; renderer busy ${(rendererBusy * 100).toFixed(0)}% of one core (script ${(((after.ScriptDuration! - before.ScriptDuration!) / wallS) * 100).toFixed(0)}%), JS heap ${stats.heapMb.toFixed(0)} MB`,
    );
    console.log(
      `  server + driver process: cpu ${(((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 100).toFixed(0)}% of one core, rss ${(process.memoryUsage.rss() / 1024 / 1024).toFixed(0)} MB`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

async function metrics(cdp: {
  send(
    method: 'Performance.getMetrics',
  ): Promise<{ metrics: Array<{ name: string; value: number }> }>;
}): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
