// The console end to end, in Chromium against the real server and database: a supervisor
// signs in with a one-time password and replaces it; the wallboard shows a call as soon as ingest starts it; the modal opens from the board and by URL; an
// interim line becomes final in place; metrics change on the 5 s tick; each of the seven
// supervisor actions is taken and appears in the log; the call ends and leaves the board; a
// viewer is offered no actions; an admin creates a user and reads the audit log; sign-out.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_CAMPAIGN, startRequest } from '../../server/test/support/scripted-call.ts';
import {
  buildConsole,
  chromiumAvailable,
  launchBrowser,
  signInThroughForm,
  startConsoleServer,
  type ConsoleServer,
} from './support/browser.ts';

describe.skipIf(!chromiumAvailable)('supervisor console in Chromium', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let seq = 0;
  /** Ada's password once she has replaced her one-time password. */
  const ADA_PASSWORD = 'my own supervisor passphrase';
  const CALL = 'e2e-call-1';
  const events = (...list: Array<Record<string, unknown>>) =>
    server.send('POST', `/api/v1/calls/${CALL}/events`, {
      events: list.map((e) => ({ ...e, seq: ++seq })),
    });

  beforeAll(async () => {
    await buildConsole();
    server = await startConsoleServer();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await server.send('POST', '/api/v1/campaigns', SALES_CAMPAIGN);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with a one-time password, replaces it, and shows the connection as live', async () => {
    const sales = await server.earshot.store.campaigns.findByName(SALES_CAMPAIGN.name);
    const { password } = await server.earshot.users.create({
      username: 'ada',
      displayName: 'Ada Supervisor',
      role: 'supervisor',
      campaignIds: [sales!._id],
    });
    await page.goto(server.base);
    await signInThroughForm(page, 'ada', 'not her password');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username');
    await signInThroughForm(page, 'ada', password);
    const form = page.getByRole('form', { name: 'Choose your password' });
    await form.waitFor();
    await form.getByLabel('One-time password').fill(password);
    await form.getByLabel('New password (at least 12 characters)').fill(ADA_PASSWORD);
    await form.getByLabel('New password again').fill(ADA_PASSWORD);
    await form.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    await page.locator('.connection[data-state="live"]').waitFor();
    expect(await page.getByTestId('who').textContent()).toContain('Ada Supervisor');
    // The session cookie is HttpOnly: the page's scripts cannot read it.
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
      ),
    ).toBe('');
  });

  it('shows a call on the wallboard as soon as ingest starts it', async () => {
    await server.send(
      'POST',
      '/api/v1/calls',
      startRequest(CALL, { startTime: new Date().toISOString() }),
    );
    const row = page.locator(`tr[data-call-id="${CALL}"]`);
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('Dana Whitfield');
    expect(await row.textContent()).toContain('+•• •••• ••0123'); // masked phone
    await events(
      { type: 'status', status: 'ringing' },
      { type: 'status', status: 'connected' },
      {
        type: 'health',
        providers: { sip: 'Twilio', stt: 'Deepgram', llm: 'OpenAI', tts: 'ElevenLabs' },
        services: { sip: 'connected', stt: 'streaming', llm: 'active', tts: 'active' },
        apiLatency: 180,
        errorRate: 0.5,
        queueDepth: 2,
        costPerMinute: 0.12,
      },
      { type: 'audio', agentGain: 64, customerGain: 4, currentSpeaker: 'agent' },
    );
    await expect.poll(() => row.textContent()).toContain('Connected');
  });

  it('opens the modal from the wallboard, and an interim line becomes final in place', async () => {
    await page.getByRole('button', { name: /Monitor Dana Whitfield's call/ }).click();
    const dialog = page.getByRole('dialog', { name: /Dana Whitfield/ });
    await dialog.waitFor();
    expect(page.url()).toBe(`${server.base}/calls/${CALL}`);
    await events({
      type: 'transcript',
      segmentId: 'u1',
      speaker: 'agent',
      text: 'Hi, this is Dana calling',
      isFinal: false,
      timestamp: '0:02',
      confidence: 0.7,
    });
    const line = dialog.locator('[data-segment="u1"]');
    await line.waitFor();
    expect(await line.getAttribute('class')).toContain('interim');
    expect(await line.textContent()).toContain('provisional');
    await events({
      type: 'transcript',
      segmentId: 'u1',
      speaker: 'agent',
      text: 'Hi, this is Dana calling from Brightside Solar.',
      isFinal: true,
      timestamp: '0:02',
      confidence: 0.95,
    });
    await expect.poll(() => line.getAttribute('class')).not.toContain('interim');
    expect(await line.textContent()).toContain('Brightside Solar.');
    expect(await line.textContent()).not.toContain('provisional');
    expect(await dialog.locator('[data-segment="u1"]').count()).toBe(1);
    // A low-confidence final is marked.
    await events({
      type: 'transcript',
      segmentId: 'u2',
      speaker: 'customer',
      text: 'Oh hi, yes, speaking. We pay about two hundred a month.',
      isFinal: true,
      timestamp: '0:05',
      confidence: 0.41,
    });
    await expect
      .poll(() => dialog.locator('[data-segment="u2"]').textContent())
      .toContain('low confidence');
    // The system panel shows the pipeline's health.
    expect(await dialog.getByRole('region', { name: 'System' }).textContent()).toContain(
      'Deepgram',
    );
  });

  it('shows metrics that change on the 5 s tick', async () => {
    const updated = page.locator('[data-metrics-updated]');
    await updated.waitFor({ timeout: 15_000 });
    const first = await updated.getAttribute('data-metrics-updated');
    await events({ type: 'audio', agentGain: 20, customerGain: 70, currentSpeaker: 'customer' });
    await expect
      .poll(() => updated.getAttribute('data-metrics-updated'), { timeout: 15_000 })
      .not.toBe(first);
    const conversion = await page
      .locator('[data-probability="conversionProbability"]')
      .textContent();
    expect(conversion).toMatch(/^\d+%$/);
  });

  it('shows a secure pause, keeps nothing said during it, and redacts card numbers', async () => {
    const dialog = page.getByRole('dialog');
    await events({ type: 'secure_pause', active: true });
    await expect
      .poll(() => dialog.locator('.monitor-facts').textContent())
      .toContain('Secure pause');
    await events({
      type: 'transcript',
      segmentId: 'paused-1',
      speaker: 'customer',
      text: 'the card is 4111 1111 1111 1111',
      isFinal: true,
      timestamp: '0:20',
    });
    await events({ type: 'secure_pause', active: false });
    await expect
      .poll(() => dialog.locator('.monitor-facts').textContent())
      .not.toContain('Secure pause');
    await events({
      type: 'transcript',
      segmentId: 'after-1',
      speaker: 'customer',
      text: 'my other card is 5555 5555 5555 4444',
      isFinal: true,
      timestamp: '0:30',
    });
    const line = dialog.locator('[data-segment="after-1"]');
    await expect.poll(() => line.textContent()).toContain('my other card is [CARD]');
    expect(await dialog.locator('[data-segment="paused-1"]').count()).toBe(0);
    expect(await page.content()).not.toContain('4111 1111');
  });

  it('takes each of the seven supervisor actions and lists them in the log', async () => {
    const dialog = page.getByRole('dialog');
    const log = dialog.getByRole('list', { name: 'Actions on this call' });
    const take = async (button: string, text?: string, submit = 'Send') => {
      const before = await log.locator('li').count();
      await dialog.getByRole('toolbar').getByRole('button', { name: button, exact: true }).click();
      if (text !== undefined) await dialog.locator('.action-form textarea').fill(text);
      if (text !== undefined || submit !== 'Send')
        await dialog.locator('.action-form').getByRole('button', { name: submit }).click();
      await expect.poll(() => log.locator('li').count()).toBe(before + 1);
    };
    await take('Coach', 'Ask about their current supplier');
    await take('Join');
    await take('Transfer', 'retention-queue');
    await take('Note', 'Customer mentioned a second property');
    await take('Bookmark');
    await take('Flag', 'Possible mis-sold tariff');
    // Keyboard shortcut: "e" opens the end-call confirmation.
    await dialog.locator('.transcript-scroll').focus();
    await page.keyboard.press('e');
    await dialog.getByRole('button', { name: 'Yes, end the call' }).click();
    await expect.poll(() => log.locator('li').count()).toBe(7);
    const kinds = await log
      .locator('li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
    expect(kinds.sort()).toEqual(
      [
        'ADD_NOTE',
        'BOOKMARK_MOMENT',
        'COACH_AGENT',
        'END_CALL',
        'FLAG_FOR_REVIEW',
        'JOIN_CALL',
        'TRANSFER_CALL',
      ].sort(),
    );
    const text = await log.textContent();
    expect(text).toContain('Ada Supervisor'); // who acted, from the session, not the page
    expect(text).toContain('retention-queue');
    // A missing required field is refused by the server with the field named.
    const response = await page.evaluate(async (callId) => {
      // Runs in the page, which sends its session cookie.
      const r = await fetch(`/api/v1/calls/${callId}/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'COACH_AGENT' }),
      });
      return { status: r.status, body: (await r.json()) as { errors: Array<{ field: string }> } };
    }, CALL);
    expect(response.status).toBe(400);
    expect(response.body.errors[0]?.field).toBe('details');
  });

  it('opens the same call from a shared link, and Esc closes the modal', async () => {
    const other = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await other.goto(`${server.base}/calls/${CALL}`);
    await signInThroughForm(other, 'ada', ADA_PASSWORD);
    await other.getByRole('dialog', { name: /Dana Whitfield/ }).waitFor();
    await other.keyboard.press('Escape');
    await expect.poll(() => other.url()).toBe(`${server.base}/`);
    await other.close();
  });

  it('shows the call ended, then lets it leave the wallboard', async () => {
    await server.send('POST', `/api/v1/calls/${CALL}/end`, { reason: 'completed' });
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.locator('.monitor-facts').textContent()).toContain('Ended');
    await page.keyboard.press('Escape');
    const row = page.locator(`tr[data-call-id="${CALL}"]`);
    await expect.poll(() => row.getAttribute('class')).toContain('ended');
    await row.waitFor({ state: 'detached', timeout: 25_000 });
  });

  it('offers a viewer the call but no actions, and hides other campaigns', async () => {
    await server.send('POST', '/api/v1/campaigns', { ...SALES_CAMPAIGN, name: 'Other team' });
    await server.send('POST', '/api/v1/calls', {
      ...startRequest('e2e-own', { startTime: new Date().toISOString() }),
    });
    await server.send('POST', '/api/v1/calls', {
      ...startRequest('e2e-other', { startTime: new Date().toISOString() }),
      customerName: 'Other Team Customer',
      campaignName: 'Other team',
    });
    const password = await server.user('vic', 'Vic Viewer', 'viewer', [SALES_CAMPAIGN.name]);
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await viewer.goto(server.base);
    await signInThroughForm(viewer, 'vic', password);
    await viewer.locator('tr[data-call-id="e2e-own"]').waitFor();
    expect(await viewer.locator('tr[data-call-id="e2e-other"]').count()).toBe(0);
    expect(await viewer.textContent('body')).not.toContain('Other Team Customer');
    await viewer.locator('tr[data-call-id="e2e-own"]').click();
    const dialog = viewer.getByRole('dialog', { name: /Dana Whitfield/ });
    await dialog.waitFor();
    await dialog.getByTestId('watch-only').waitFor();
    expect(
      await dialog.getByRole('toolbar', { name: 'Supervisor actions' }).locator('button').count(),
    ).toBe(0);
    // The shortcut does nothing either, and a link to the other team's call shows nothing.
    await viewer.keyboard.press('e');
    expect(await dialog.getByRole('form').count()).toBe(0);
    await viewer.goto(`${server.base}/calls/e2e-other`);
    await viewer.locator('.connection[data-state="live"]').waitFor();
    await expect.poll(() => viewer.textContent('body')).toMatch(/No call e2e-other|not found/i);
    expect(await viewer.textContent('body')).not.toContain('Other Team Customer');
    await viewer.close();
  });

  it('lets an admin create a user, shows the one-time password once, and reads the audit log', async () => {
    const password = await server.user('root', 'Rita Admin', 'admin');
    const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await admin.goto(server.base);
    await signInThroughForm(admin, 'root', password);
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('heading', { name: 'Administration' }).waitFor();
    // The admin screen has its own address, which survives a reload.
    expect(admin.url()).toBe(`${server.base}/admin`);
    await admin.reload();
    await admin.getByRole('heading', { name: 'Administration' }).waitFor();
    const form = admin.getByRole('form', { name: 'New user' });
    await form.getByLabel('Username', { exact: true }).fill('sam');
    await form.getByLabel('Name', { exact: true }).fill('Sam Supervisor');
    await form.getByLabel('Role').selectOption('supervisor');
    await form.getByLabel(SALES_CAMPAIGN.name).check();
    await form.getByRole('button', { name: 'Create user' }).click();
    const secret = admin.getByTestId('secret');
    await expect.poll(() => secret.textContent()).toContain('One-time password for sam');
    const oneTime = (await secret.locator('code').textContent())!;
    expect(oneTime.length).toBeGreaterThanOrEqual(20);
    await admin.getByRole('row', { name: /Sam Supervisor/ }).waitFor();
    expect(await admin.getByRole('row', { name: /Sam Supervisor/ }).textContent()).toContain(
      SALES_CAMPAIGN.name,
    );
    const audit = admin.getByTestId('audit');
    await expect.poll(() => audit.textContent()).toContain('user_created');
    expect(await audit.textContent()).toContain('sign_in');
    expect(await audit.textContent()).not.toContain(oneTime);
    // The new user can sign in with it (and is asked to replace it).
    expect((await server.earshot.users.signIn('sam', oneTime)).principal.mustChangePassword).toBe(
      true,
    );
    await admin.close();
  });

  it('signs out: back to the sign-in form, and the session no longer works', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    expect(status).toBe(401);
  });
});
