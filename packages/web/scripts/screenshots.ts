// Takes the screenshots kept in docs/screenshots: the wallboard and the LiveCallMonitorModal
// mid-call, at 1280×720 and on a tablet, and after its connection dropped; the sign-in form
// and the admin screen, from the real server with the demo's simulated calls.
//   npm run screenshots   (needs Chromium; about a minute)
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { WebSocketRoute } from 'playwright-core';
import { Simulator } from '@earshot/simulator';
import {
  buildConsole,
  launchBrowser,
  signInThroughForm,
  startConsoleServer,
} from '../test/support/browser.ts';

const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const SETTLE_S = Number(process.env.SCREENSHOT_SETTLE_S ?? 40);

await mkdir(OUT, { recursive: true });
console.log('building the console…');
await buildConsole();
const server = await startConsoleServer({ 'simulator-calls': '0' });
const simulator = new Simulator({
  baseUrl: server.base,
  apiKey: server.ingestKey,
  calls: 12,
  seed: 7,
  onError: (message) => console.warn(`simulator: ${message}`),
});
await simulator.start();
console.log(`letting 12 simulated calls run for ${SETTLE_S} s…`);
await new Promise((resolve) => setTimeout(resolve, SETTLE_S * 1000));

// A supervisor of every campaign the simulator plays, and an admin for the admin screen.
const campaigns = (await server.earshot.store.campaigns.list({})).map((c) => c.name);
const adaPassword = await server.user('ada', 'Ada Supervisor', 'supervisor', campaigns);
const ritaPassword = await server.user('rita', 'Rita Admin', 'admin');

const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(server.base);
  await page.getByRole('form', { name: 'Sign in' }).waitFor();
  await page.screenshot({ path: `${OUT}sign-in.png` });
  console.log('sign-in.png');
  await signInThroughForm(page, 'ada', adaPassword);
  await page.locator('tr[data-call-id]').first().waitFor();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${OUT}wallboard.png` });
  console.log('wallboard.png');

  // The connected call with the longest transcript so far makes the fullest picture.
  const callId = await pickBusiestCall();
  await page.goto(`${server.base}/calls/${encodeURIComponent(callId)}`);
  await page.getByRole('dialog').waitFor();
  await page.waitForTimeout(2500);
  await page.screenshot({ path: `${OUT}monitor.png` });
  console.log('monitor.png');

  const tablet = await browser.newPage({ viewport: { width: 820, height: 1180 } });
  await tablet.goto(`${server.base}/calls/${encodeURIComponent(callId)}`);
  await signInThroughForm(tablet, 'ada', adaPassword);
  await tablet.getByRole('dialog').waitFor();
  await tablet.waitForTimeout(2500);
  await tablet.screenshot({ path: `${OUT}monitor-tablet.png` });
  console.log('monitor-tablet.png');

  // The same call on a page whose socket then drops: the modal says it has stopped updating.
  const dropped = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  let socket: WebSocketRoute | undefined;
  let refuse = false;
  await dropped.routeWebSocket(/\/api\/v1\/realtime/, (ws) => {
    if (refuse) return ws.close();
    socket = ws;
    ws.connectToServer();
  });
  await dropped.goto(`${server.base}/calls/${encodeURIComponent(callId)}`);
  await signInThroughForm(dropped, 'ada', adaPassword);
  await dropped.getByRole('dialog').waitFor();
  await dropped.waitForTimeout(1500);
  refuse = true;
  await socket?.close();
  await dropped.getByTestId('monitor-stale').waitFor();
  await dropped.screenshot({ path: `${OUT}monitor-reconnecting.png` });
  console.log('monitor-reconnecting.png');

  const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await admin.goto(`${server.base}/admin`);
  await signInThroughForm(admin, 'rita', ritaPassword);
  await admin.getByRole('heading', { name: 'Administration' }).waitFor();
  await admin.getByTestId('audit').locator('tbody tr').first().waitFor();
  await admin.waitForTimeout(500);
  await admin.screenshot({ path: `${OUT}admin.png`, fullPage: true });
  console.log('admin.png');
} finally {
  await browser.close();
  await simulator.stop();
  await server.close();
}

function pickBusiestCall(): string {
  const calls = server.earshot.calls
    .liveCalls()
    .filter((c) => c.status === 'connected')
    .map((c) => ({
      callId: c.callId,
      lines: server.earshot.calls.snapshot(c.callId)!.liveTranscripts.length,
    }))
    .sort((a, b) => b.lines - a.lines);
  if (calls.length === 0) throw new Error('no connected call to show');
  return calls[0]!.callId;
}
