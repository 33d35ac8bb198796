// The outbox part of the admin page: the send log with Retry, and a chart of the last 24 hours as
// inline SVG. Shown only when the outbox is on (GET /smtp-settings/outbox answers). Each summary it
// loads goes out as an event: to the rest of the card (admin-outbox-waiting.js), and with how much
// mail is held and why to the status line at the top (admin-status.js).
(function () {
  'use strict';

  const API = '/smtp-settings';
  const LIMIT = 50;
  const REFRESH_MS = 3000;
  const STATUSES = ['queued', 'sending', 'held', 'sent', 'failed', 'uncertain'];
  const LABEL = {
    queued: 'Queued',
    sending: 'Sending',
    held: 'Held',
    sent: 'Sent',
    failed: 'Failed',
    uncertain: 'Uncertain',
  };
  const RETRYABLE = ['failed', 'uncertain', 'held'];
  const SVG = 'http://www.w3.org/2000/svg';

  const $ = (selector) => document.querySelector(selector);
  const state = {
    api: null,
    SignedOut: Error,
    timer: null,
    on: false,
    busy: false,
    again: false,
  };

  // ---- Loading ----

  /** One load at a time; a request during one (a new filter) loads again right after it. */
  async function refresh() {
    if (!state.api) return;
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    state.again = false;
    try {
      const summary = await state.api('GET', API + '/outbox');
      state.on = summary.ok;
      $('#outbox-card').hidden = !summary.ok;
      if (!summary.ok) {
        announce(null, null);
        return stop();
      }
      const filter = $('#outbox-filter').value;
      const [log, held] = await Promise.all([
        state.api('GET', `${API}/messages?limit=${LIMIT}${filter ? '&status=' + filter : ''}`),
        summary.data.counts.held > 0
          ? state.api('GET', `${API}/messages?status=held&limit=1`)
          : Promise.resolve(null),
      ]);
      renderSummary(summary.data);
      announce(summary.data, heldOf(summary.data, held && held.ok ? held.data.items[0] : null));
      renderChart(summary.data.hourly || []);
      if (log.ok) renderLog(log.data.items);
      // Fresh only now, so that a test (or an admin) can tell the page caught up.
      $('#outbox-card').dataset.refreshedAt = String(Date.now());
    } catch (error) {
      if (!(error instanceof state.SignedOut))
        show('error', 'Could not load the outbox: ' + error.message);
    } finally {
      state.busy = false;
      if (state.again) refresh();
    }
  }

  function start(event) {
    state.api = event.detail.api;
    state.SignedOut = event.detail.SignedOut;
    stop();
    refresh();
    state.timer = setInterval(() => {
      if (state.on) refresh();
    }, REFRESH_MS);
  }

  function stop() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  /** The summary just loaded and what is held, or nulls (outbox off), for the page's other parts. */
  function announce(summary, held) {
    document.dispatchEvent(new CustomEvent('admin:outbox-summary', { detail: { summary, held } }));
  }

  /** How many messages are held, why (the newest held message's reason) and of which kind. */
  function heldOf(summary, newest) {
    return {
      count: summary.counts.held || 0,
      reason: (newest && newest.heldReason) || null,
      kind: summary.waiting ? summary.waiting.kind : null,
    };
  }

  // ---- Rendering ----

  function renderSummary(summary) {
    $('#outbox-counts').replaceChildren(
      ...STATUSES.map((status) => {
        const item = document.createElement('li');
        item.className = 'count ' + status + (summary.counts[status] > 0 ? ' nonzero' : '');
        item.dataset.status = status;
        item.append(strong(String(summary.counts[status] || 0)), ' ' + LABEL[status]);
        return item;
      }),
    );
    const facts = [];
    if (summary.oldestWaitingAgeMs !== null && summary.oldestWaitingAgeMs !== undefined) {
      facts.push(`Oldest waiting message: ${duration(summary.oldestWaitingAgeMs)} old.`);
    }
    const rate = summary.rateLimit;
    if (rate) {
      facts.push(
        `Rate limit: ${rate.limit} per ${duration(rate.windowMs)}` +
          (rate.used !== undefined ? ` (${rate.used} used now)` : '') +
          ', shared by every server of the product.',
      );
    }
    $('#outbox-facts').textContent = facts.join(' ');
  }

  function renderLog(items) {
    $('#outbox-log tbody').replaceChildren(...items.map(row));
    $('#outbox-empty').hidden = items.length > 0;
    $('#outbox-log').hidden = items.length === 0;
  }

  function row(entry) {
    const tr = document.createElement('tr');
    tr.dataset.id = entry.id;
    tr.dataset.status = entry.status;
    const badge = document.createElement('span');
    badge.className = 'status ' + entry.status;
    badge.textContent = LABEL[entry.status] || entry.status;
    const subject = document.createElement('td');
    // The Message-ID is for the mailbox's search, not for reading: on hover, not in the list.
    subject.title = 'Message-ID: ' + entry.messageId;
    subject.append(text('div', entry.subject || '(no subject)'));
    if (entry.response) subject.append(text('div', 'Server: ' + entry.response, 'muted small'));
    const error = entry.lastError;
    const action = document.createElement('td');
    if (RETRYABLE.includes(entry.status)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'retry';
      button.textContent = 'Retry';
      button.addEventListener('click', () => retry(entry, button));
      action.append(button);
    }
    tr.append(
      text('td', new Date(entry.createdAt).toLocaleString()),
      // The reason under a held badge, unless the last error already says it.
      wrap('td', badge, heldNote(entry)),
      text('td', recipients(entry)),
      subject,
      text('td', String(entry.attempts)),
      outcomeCell(entry, error),
      action,
    );
    return tr;
  }

  /** A sent message shows its outcome; an earlier attempt's error stays, labelled as such. */
  function outcomeCell(entry, error) {
    if (entry.status !== 'sent') return text('td', errorText(error) || '—');
    const via = entry.connection === 'backup' ? ' through the backup connection' : '';
    const cell = text('td', 'Delivered' + via);
    if (error) cell.append(text('div', 'Earlier attempt: ' + errorText(error), 'muted small'));
    return cell;
  }

  function errorText(error) {
    return error ? `${error.message} (${error.code})` : '';
  }

  function heldNote(entry) {
    const reason = entry.status === 'held' && entry.heldReason;
    if (!reason || reason === errorText(entry.lastError)) return '';
    return text('div', reason, 'muted small');
  }

  function recipients(entry) {
    const shown = entry.recipients.slice(0, 2).join(', ');
    const more = entry.recipientCount - Math.min(entry.recipients.length, 2);
    return more > 0 ? `${shown} +${more}` : shown;
  }

  /** Stacked bars per hour (sent, failed, held), drawn with SVG elements: no library, no CDN. */
  function renderChart(hourly) {
    const width = 720;
    const height = 160;
    const bottom = 20;
    const left = 28;
    const max = Math.max(1, ...hourly.map((h) => h.sent + h.failed + h.held));
    const slot = (width - left) / Math.max(hourly.length, 1);
    const scale = (height - bottom - 8) / max;
    const totals = hourly.reduce(
      (sum, h) => ({
        sent: sum.sent + h.sent,
        failed: sum.failed + h.failed,
        held: sum.held + h.held,
      }),
      { sent: 0, failed: 0, held: 0 },
    );
    const svg = svgEl('svg', {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Last 24 hours: ${totals.sent} sent, ${totals.failed} failed, ${totals.held} held`,
      class: 'chart',
    });
    svg.append(
      svgEl('line', {
        x1: left,
        x2: width,
        y1: height - bottom,
        y2: height - bottom,
        class: 'axis',
      }),
    );
    svg.append(
      svgText(String(max), left - 4, 14, 'end'),
      svgText('0', left - 4, height - bottom, 'end'),
    );
    hourly.forEach((h, i) => {
      const x = left + i * slot + 2;
      const group = svgEl('g', {
        class: 'hour',
        'data-hour': h.hour,
        'data-sent': h.sent,
        'data-failed': h.failed,
        'data-held': h.held,
      });
      const time = new Date(h.hour);
      const title = svgEl('title', {});
      title.textContent = `${time.toLocaleString()}: ${h.sent} sent, ${h.failed} failed, ${h.held} held`;
      group.append(title);
      let y = height - bottom;
      for (const kind of ['sent', 'failed', 'held']) {
        const tall = h[kind] * scale;
        if (tall <= 0) continue;
        y -= tall;
        group.append(
          svgEl('rect', { x, y, width: Math.max(slot - 4, 1), height: tall, class: 'bar ' + kind }),
        );
      }
      if (i % 6 === 0) {
        const label = String(time.getHours()).padStart(2, '0') + ':00';
        group.append(svgText(label, x, height - 5, 'start'));
      }
      svg.append(group);
    });
    $('#outbox-chart').replaceChildren(svg);
  }

  // ---- Actions ----

  async function retry(entry, button) {
    button.disabled = true;
    try {
      const res = await state.api('POST', `${API}/messages/${encodeURIComponent(entry.id)}/retry`);
      if (res.ok) {
        show(
          'success',
          `Queued again: "${entry.subject || '(no subject)'}", with its same Message-ID.`,
        );
      } else if (res.status === 409) {
        // Someone else (another admin, a save that released held mail, the worker) was first.
        show('warning', notRetriedSentence(entry, res.data && res.data.outboxStatus));
      } else {
        show('error', (res.data && res.data.message) || 'The message could not be queued again.');
      }
      await refresh();
    } catch (error) {
      if (!(error instanceof state.SignedOut))
        show('error', 'Something went wrong: ' + error.message);
    } finally {
      button.disabled = false;
    }
  }

  function notRetriedSentence(entry, status) {
    const subject = `"${entry.subject || '(no subject)'}"`;
    if (status === 'sent') return `${subject} was sent meanwhile: there is nothing to retry.`;
    if (status === 'queued' || status === 'sending') {
      return `${subject} is already on its way again (${status}): nothing more to do.`;
    }
    return `${subject} could not be queued again: it is ${status || 'no longer kept'} now.`;
  }

  function show(kind, message) {
    const box = $('#outbox-message');
    box.className = 'alert ' + kind;
    box.textContent = message;
    box.hidden = false;
  }

  // ---- Small helpers ----

  function duration(ms) {
    if (ms < 1000) return `${ms} ms`;
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s} s`;
    const m = Math.round(s / 60);
    if (m < 60) return `${m} min`;
    return `${Math.round(m / 60)} h`;
  }
  function strong(value) {
    return text('strong', value);
  }
  function text(tag, value, className) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (className) el.className = className;
    return el;
  }
  function wrap(tag, ...children) {
    const el = document.createElement(tag);
    el.append(...children);
    return el;
  }
  function svgEl(tag, attributes) {
    const el = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
    return el;
  }
  function svgText(value, x, y, anchor) {
    const el = svgEl('text', { x, y, 'text-anchor': anchor, class: 'tick' });
    el.textContent = value;
    return el;
  }

  document.addEventListener('admin:ready', start);
  document.addEventListener('admin:settings-changed', () => setTimeout(refresh, 300));
  document.addEventListener('admin:signed-out', () => {
    stop();
    state.api = null;
    $('#outbox-card').hidden = true;
  });
  document.addEventListener('DOMContentLoaded', () => {
    $('#outbox-filter').addEventListener('change', refresh);
    $('#outbox-refresh').addEventListener('click', refresh);
  });
})();
