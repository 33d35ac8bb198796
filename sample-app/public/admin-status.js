// The one status line at the top of the admin page (#route-banner). Green (or the relay's blue)
// only while mail can go out; amber while it goes through the backup connection after a failover;
// red, with the reason and what to do, while it cannot (the API's `delivery`), while the outbox
// holds mail, since the product's last message failed, or since a test email failed. Codes and
// technical facts sit behind "Details". It stays current without a reload: it asks GET
// /smtp-settings every few seconds while the page is visible, and follows what the other scripts
// announce (admin:state, admin:test-email, admin:outbox-summary).
(function () {
  'use strict';

  const API = '/smtp-settings';
  const POLL_MS = 3000;
  const words = () => window.AdminWords;

  const s = {
    api: null,
    timer: null,
    /** The latest GET /smtp-settings (or PUT answer): settings, `updatedAt` and `delivery`. */
    state: null,
    maxRecipients: 50,
    /** From the outbox: `{ count, reason, kind }`, or null without an outbox. */
    held: null,
    /** A failed test email, and the state it failed in: shown until that state changes. */
    testFailure: null,
    /** Requests are numbered: an answer older than the state shown is dropped. */
    asked: 0,
    applied: 0,
  };

  // ---- Keeping the state current ----

  async function refresh() {
    if (!s.api) return;
    const number = ++s.asked;
    const res = await s.api('GET', API);
    if (!s.api || !res.ok || number <= s.applied) return; // signed out meanwhile, or outrun
    s.applied = number;
    s.state = res.data;
    render();
    // Counted, so that a test (or an admin) can tell the line caught up with the API.
    const banner = document.querySelector('#route-banner');
    banner.dataset.polls = String(Number(banner.dataset.polls || 0) + 1);
  }

  function poll() {
    refresh().catch(() => undefined); // signed out, or the network: the next poll tries again
  }

  function startPolling() {
    stopPolling();
    if (!s.api || document.hidden) return;
    s.timer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (s.timer) clearInterval(s.timer);
    s.timer = null;
  }

  /** The state that a failed test email is shown in: any save, revert or send changes it. */
  function keyOf(state) {
    const delivery = state.delivery || {};
    const failure = delivery.lastFailure;
    return [state.version, delivery.lastSuccessAt, failure && failure.at].join('|');
  }

  // ---- What the line says ----

  /**
   * The product's last failure, while it is news: nothing went out since, and the settings were not
   * saved or reverted since (a failure before that was about other settings).
   */
  function currentFailure(state) {
    const delivery = state.delivery;
    const failure = delivery && delivery.lastFailure;
    if (!failure) return null;
    const at = Date.parse(failure.at);
    if (delivery.lastSuccessAt && Date.parse(delivery.lastSuccessAt) >= at) return null;
    if (state.updatedAt && Date.parse(state.updatedAt) >= at) return null;
    return failure;
  }

  /** The line's tone, reason and content, most serious first. */
  function statusOf(state) {
    const w = words();
    const delivery = state.delivery || { canSend: true };
    const held = s.held && s.held.count > 0 ? s.held : null;
    if (!delivery.canSend) {
      const waiting = held
        ? ` ${plural(held.count, 'message is', 'messages are')} waiting, and will go out once this is fixed.`
        : '';
      return {
        tone: 'blocked',
        reason: delivery.reason,
        parts: [line(strong(delivery.message), waiting)],
      };
    }
    if (held) return heldStatus(held);
    const test = s.testFailure && s.testFailure.key === keyOf(state) ? s.testFailure.result : null;
    if (test) {
      const said = line(
        strong('The test email could not be sent.'),
        ` It failed ${w.step(test.stage)}: ${w.sentence(test.message)}`,
        test.field ? ` Check ${test.fieldLabel || test.field}.` : '',
      );
      said.id = 'test-failure';
      return { tone: 'failure', reason: 'test-failed', parts: [said, w.failureDetails(test)] };
    }
    const failure = currentFailure(state);
    if (failure) {
      const { words: reason, code } = w.splitCode(failure.message);
      const said = line(
        strong(`The last message could not be sent (${new Date(failure.at).toLocaleString()}).`),
        ' ' + w.sentence(reason),
      );
      said.id = 'last-failure';
      return {
        tone: 'failure',
        reason: 'send-failed',
        parts: [said, w.details([['Code', failure.code || code]])],
      };
    }
    return failoverStatus(state) || routeStatus(state);
  }

  /**
   * After a failover (`delivery.connection` is `backup`): mail goes out, through the backup, since
   * the main connection failed; amber, with why and when main is tried again.
   */
  function failoverStatus(state) {
    const delivery = state.delivery || {};
    if (delivery.connection !== 'backup') return null;
    const w = words();
    const failover = delivery.failover || {};
    const backup = state.backup && state.backup.settings;
    const match = /^(.*?)\s*\(([A-Za-z0-9_.:-]+)\):\s*(.*)$/s.exec(failover.reason || '');
    const why = match ? match[3] : failover.reason || '';
    const retry = Date.parse(failover.retryMainAt);
    const said = line(
      strong(
        `Mail goes through the backup connection${backup ? ` ${w.routeName(backup, true)}` : ''}` +
          ', because the main connection failed.',
      ),
      why ? ` The main connection could not take a message: ${w.sentence(why)}` : '',
      Number.isNaN(retry)
        ? ''
        : ` The main connection is tried again at ${new Date(retry).toLocaleTimeString()}` +
            ' (with the next message from then on); once it takes one, mail goes through it again.',
    );
    said.id = 'failover';
    const since = Date.parse(failover.since);
    return {
      tone: 'attention',
      reason: 'failover',
      parts: [
        said,
        w.details([
          ['Code', match ? match[2] : null],
          ['Since', Number.isNaN(since) ? null : new Date(since).toLocaleString()],
          ['Main tried again at', failover.retryMainAt],
        ]),
      ],
    };
  }

  function heldStatus(held) {
    const w = words();
    const { words: reason, code } = w.splitCode(held.reason);
    const next =
      held.kind === 'deferred'
        ? ' Nothing is lost: it goes out by itself once the provider accepts mail again.'
        : ' Nothing is lost: fix the settings below and save, and held mail goes out at once.';
    const said = line(
      strong(`Mail is held: ${plural(held.count, 'message is', 'messages are')} waiting.`),
      reason ? ' ' + w.sentence(reason) : '',
      next,
    );
    said.id = 'outbox-held';
    return { tone: 'blocked', reason: 'held', parts: [said, w.details([['Code', code]])] };
  }

  /** Mail can go out: where it goes. */
  function routeStatus(state) {
    const max = s.maxRecipients;
    if (state.source === 'relay' || !state.settings) {
      return {
        tone: 'relay',
        reason: null,
        parts: [
          line(
            strong('Mail goes through the default relay.'),
            ` The default relay accepts at most ${max} recipients per message: a message to more` +
              ' is refused before it is sent. Your own SMTP server has no such limit.',
          ),
        ],
      };
    }
    const settings = state.settings;
    const saved =
      (state.updatedBy ? `, saved by ${state.updatedBy}` : state.updatedAt ? ', saved' : '') +
      (state.updatedAt ? ` on ${new Date(state.updatedAt).toLocaleString()}` : '');
    return {
      tone: 'custom',
      reason: null,
      parts: [
        line(
          strong(`Mail goes through ${words().routeName(settings)}`),
          ` (${settings.type === 'basic' ? 'Basic' : 'Bearer'} authentication${saved}).` +
            ` The default relay's limit of ${max} recipients per message does not apply.`,
        ),
      ],
    };
  }

  /** Drawn only when it changes, so that an open "Details" stays open across polls. */
  function render() {
    const banner = document.querySelector('#route-banner');
    if (!s.state) {
      banner.replaceChildren();
      banner.className = 'banner';
      delete banner.dataset.reason;
      return;
    }
    const status = statusOf(s.state);
    const next = document.createElement('div');
    next.append(...status.parts.filter(Boolean));
    const className = 'banner ' + status.tone;
    if (banner.className === className && banner.innerHTML === next.innerHTML) return;
    const open = !!banner.querySelector('details[open]');
    banner.className = className;
    if (status.reason) banner.dataset.reason = status.reason;
    else delete banner.dataset.reason;
    banner.replaceChildren(...next.childNodes);
    const details = banner.querySelector('details');
    if (details && open) details.open = true;
  }

  // ---- Small helpers ----

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }
  function strong(text) {
    const el = document.createElement('strong');
    el.textContent = text;
    return el;
  }
  function line(...content) {
    const el = document.createElement('p');
    el.append(...content);
    return el;
  }

  // ---- What the other scripts announce ----

  document.addEventListener('admin:ready', (event) => {
    s.api = event.detail.api;
    startPolling();
  });
  /** admin.js loaded, saved or reverted: its state is the newest, whatever is on its way. */
  document.addEventListener('admin:state', (event) => {
    s.applied = s.asked;
    s.state = event.detail.state;
    if (event.detail.maxRecipients) s.maxRecipients = event.detail.maxRecipients;
    render();
  });
  document.addEventListener('admin:refresh-status', poll);
  /** The API keeps no record of test emails: a failed one is shown until the state changes. */
  document.addEventListener('admin:test-email', async (event) => {
    const result = event.detail.result;
    if (result.ok) {
      s.testFailure = null;
      return render();
    }
    await refresh().catch(() => undefined);
    if (s.state) s.testFailure = { result, key: keyOf(s.state) };
    render();
  });
  document.addEventListener('admin:outbox-summary', (event) => {
    s.held = event.detail.held || null;
    render();
  });
  document.addEventListener('admin:signed-out', () => {
    stopPolling();
    Object.assign(s, { api: null, state: null, held: null, testFailure: null });
    render();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return stopPolling();
    if (s.api) {
      poll();
      startPolling();
    }
  });
})();
