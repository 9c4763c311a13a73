// The console end to end, in Chromium against the real server and database: a supervisor
// signs in with a one-time password and replaces it; the wallboard shows a call as soon as ingest starts it; the modal opens from the board and by URL; an
// interim line becomes final in place; metrics change on the 5 s tick; each of the seven
// supervisor actions is taken and appears in the log, each with an Idempotency-Key that a
// retry reuses; shortcuts act once per press and never where the button could not; the call
// ends and leaves the board; a viewer is offered no actions; an admin creates a user and reads
// the audit log; a sign-out the server refused says so; a session that ended while the socket
// was down shows sign-in; sign-out.
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
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

/** A 503 problem, as the server answers while its database is unavailable. */
function unavailable(detail: string) {
  return {
    status: 503,
    contentType: 'application/problem+json',
    body: JSON.stringify({
      type: 'urn:earshot:error:unavailable',
      title: 'Service unavailable',
      status: 503,
      detail,
      kind: 'unavailable',
    }),
  };
}

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

  it('sends each action with an Idempotency-Key, the same one when a failed action is tried again', async () => {
    const dialog = page.getByRole('dialog');
    const log = dialog.getByRole('list', { name: 'Actions on this call' });
    const keys: string[] = [];
    let refuseNext = true;
    await page.route('**/api/v1/calls/*/actions', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!refuseNext) return route.continue();
      refuseNext = false;
      await route.fulfill(unavailable('The database is unavailable; retry shortly'));
    });
    try {
      const before = await log.locator('li').count();
      await dialog.getByRole('toolbar').getByRole('button', { name: 'Note', exact: true }).click();
      const form = dialog.locator('.action-form');
      await form.locator('textarea').fill('Asked for a call back');
      await form.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('unavailable');
      await form.getByRole('button', { name: 'Send' }).click(); // the same note, tried again
      await expect.poll(() => log.locator('li').count()).toBe(before + 1);
      await dialog
        .getByRole('toolbar')
        .getByRole('button', { name: 'Bookmark', exact: true })
        .click();
      await expect.poll(() => log.locator('li').count()).toBe(before + 2);
      expect(keys).toHaveLength(3);
      expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(keys[1]).toBe(keys[0]);
      expect(keys[2]).not.toBe(keys[0]);
      // A failed note sent again with other words is another note, with a key of its own.
      refuseNext = true;
      await dialog.getByRole('toolbar').getByRole('button', { name: 'Note', exact: true }).click();
      await form.locator('textarea').fill('Call back on Monday');
      await form.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('unavailable');
      await form.locator('textarea').fill('Call back on Tuesday');
      await form.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => log.textContent()).toContain('Call back on Tuesday');
      expect(keys).toHaveLength(5);
      expect(keys[4]).not.toBe(keys[3]);
      // The form closed with focus back in the dialog: a shortcut works without a click. The
      // note reaches the log over the socket, which can be before the answer that closes the
      // form; a '?' pressed before then would go into the textarea.
      await form.waitFor({ state: 'detached' });
      await page.keyboard.press('?');
      await dialog.getByRole('region', { name: 'Keyboard shortcuts' }).waitFor();
      await page.keyboard.press('?');
    } finally {
      await page.unroute('**/api/v1/calls/*/actions');
    }
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

  it('takes one action per key press, and none on an ended call that its button would refuse', async () => {
    await page.goto(`${server.base}/calls/${CALL}`);
    const dialog = page.getByRole('dialog', { name: /Dana Whitfield/ });
    await dialog.waitFor();
    await expect.poll(() => dialog.locator('.monitor-facts').textContent()).toContain('Ended');
    const log = dialog.getByRole('list', { name: 'Actions on this call' });
    const before = await log.locator('li').count();
    const posts: string[] = [];
    const onRequest = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST' && request.url().includes('/actions'))
        posts.push(request.url());
    };
    page.on('request', onRequest);
    try {
      await dialog.locator('.transcript-scroll').focus();
      await page.keyboard.press('e'); // End call: disabled on an ended call
      await page.keyboard.press('j'); // Join: likewise
      expect(await dialog.locator('.action-form').count()).toBe(0);
      // A held key repeats; it bookmarks once (a bookmark is allowed after the end).
      await page.keyboard.down('b');
      await page.keyboard.down('b');
      await page.keyboard.down('b');
      await page.keyboard.up('b');
      await expect.poll(() => log.locator('li').count()).toBe(before + 1);
      await page.keyboard.press('?'); // a later key is still handled, after the bookmark
      await dialog.getByRole('region', { name: 'Keyboard shortcuts' }).waitFor();
      expect(posts).toHaveLength(1);
    } finally {
      page.off('request', onRequest);
    }
    await page.keyboard.press('Escape');
  });

  it('shows ended calls when the status filter asks for them, and keeps a chosen agent after its last call leaves', async () => {
    const board = page.getByRole('search');
    // By the label's own text: a select's accessible name also holds its chosen option's.
    const statusFilter = board.locator('label', { hasText: /^Status/ }).locator('select');
    const agentFilter = board.locator('label', { hasText: /^Agent/ }).locator('select');
    await statusFilter.selectOption('ended');
    await page.locator(`tr[data-call-id="${CALL}"]`).waitFor();
    await statusFilter.selectOption('');

    // An agent whose only call ends and is swept (its live data expired) leaves the board.
    await server.send(
      'POST',
      '/api/v1/calls',
      startRequest('e2e-quinn', { agentName: 'Quinn Agent', startTime: new Date().toISOString() }),
    );
    await page.locator('tr[data-call-id="e2e-quinn"]').waitFor();
    await agentFilter.selectOption('Quinn Agent');
    await server.send('POST', '/api/v1/calls/e2e-quinn/end', { reason: 'completed' });
    await server.earshot.calls.sweep(0);
    await page.locator('tr[data-call-id="e2e-quinn"]').waitFor({ state: 'detached' });
    // The select still says what it filters by, and the board says nothing matches.
    expect(await agentFilter.inputValue()).toBe('Quinn Agent');
    expect(
      await agentFilter.evaluate((select) => {
        const element = select as unknown as { selectedOptions: Array<{ textContent: string }> };
        return element.selectedOptions[0]?.textContent;
      }),
    ).toBe('Quinn Agent');
    await expect.poll(() => page.locator('.empty').textContent()).toContain('No calls match');
    // Quinn's next call shows at once.
    await server.send(
      'POST',
      '/api/v1/calls',
      startRequest('e2e-quinn-2', {
        agentName: 'Quinn Agent',
        startTime: new Date().toISOString(),
      }),
    );
    await page.locator('tr[data-call-id="e2e-quinn-2"]').waitFor();
    await agentFilter.selectOption('');
  });

  it('shows the wallboard for a malformed call address instead of failing', async () => {
    // The server refuses such a path itself (400); the console can still be sent to one by
    // history, and must not fail to render.
    const goTo = (path: string) =>
      page.evaluate(
        `history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`,
      );
    await goTo('/calls/%E0%A4%A');
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await goTo('/');
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

  it('says so when the server could not sign out, and stays signed in', async () => {
    await page.route('**/api/v1/session', (route) =>
      route.request().method() === 'DELETE'
        ? route.fulfill(unavailable('The audit log is unavailable; retry shortly'))
        : route.continue(),
    );
    try {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect
        .poll(() => page.locator('.sign-out-error').textContent())
        .toContain('still signed in');
      expect(await page.getByRole('form', { name: 'Sign in' }).count()).toBe(0);
      expect(await page.getByTestId('who').textContent()).toContain('Ada Supervisor');
    } finally {
      await page.unroute('**/api/v1/session');
    }
  });

  it('shows sign-in when the session ended while the socket could not reconnect', async () => {
    const other = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    // Sockets pass through to the server until `refuse`; then each is closed before it opens,
    // as a browser reports an upgrade answered 401: a plain drop, no close code.
    let refuse = false;
    let open: WebSocketRoute | undefined;
    await other.routeWebSocket(/\/api\/v1\/realtime/, (ws) => {
      if (refuse) return ws.close();
      open = ws;
      ws.connectToServer();
    });
    await other.goto(`${server.base}/calls/e2e-own`);
    await signInThroughForm(other, 'ada', ADA_PASSWORD);
    const dialog = other.getByRole('dialog', { name: /Dana Whitfield/ });
    await dialog.waitFor();
    await other.locator('.connection[data-state="live"]').waitFor();
    expect(await dialog.getByTestId('monitor-stale').count()).toBe(0);
    refuse = true;
    await open!.close(); // the link drops (a laptop goes to sleep)
    await other.locator('.connection[data-state="reconnecting"]').waitFor();
    // The banner is behind the modal: the modal says itself that it has stopped updating.
    await expect
      .poll(() => dialog.getByTestId('monitor-stale').textContent())
      .toContain('not updating');
    // Meanwhile the session ends (signed out in another tab, say): no socket hears of it.
    const ended = await other.evaluate(
      async () => (await fetch('/api/v1/session', { method: 'DELETE' })).status,
    );
    expect(ended).toBe(204);
    await other.getByRole('form', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    await other.close();
  });

  it('signs out: back to the sign-in form, and the session no longer works', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    expect(status).toBe(401);
  });
});
