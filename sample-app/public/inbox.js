// The dev inbox page: lists GET /inbox/messages, newest first, and refreshes every 2 seconds.
(function () {
  'use strict';

  const $ = (selector) => document.querySelector(selector);
  let shown = '';

  async function refresh() {
    const res = await fetch('/inbox/messages', { cache: 'no-store' });
    if (!res.ok) {
      $('#inbox-count').textContent = 'The dev inbox is off (SMTP_RELAY_URL is set).';
      return;
    }
    const data = await res.json();
    $('#inbox-about').textContent =
      `The mail that the sample app's SMTP server on ${data.smtp.host}:${data.smtp.port} received ` +
      `(the last ${data.capacity} messages, kept in memory). It stands in for the vendor relay, ` +
      'and for your own SMTP server if you point the settings at it (Send using TLS off).';
    const count = data.messages.length;
    $('#inbox-count').textContent = `${count} message${count === 1 ? '' : 's'}`;
    $('#inbox-empty').hidden = count > 0;
    const key = data.messages.map((m) => m.id).join(',');
    if (key === shown) return;
    shown = key;
    $('#messages').replaceChildren(...data.messages.map(render));
  }

  function render(message) {
    const card = document.createElement('article');
    card.className = 'card message';
    card.dataset.id = String(message.id);
    const header = document.createElement('header');
    header.append(
      el('h2', message.subject || '(no subject)'),
      el('span', new Date(message.receivedAt).toLocaleString(), 'muted'),
    );
    const list = document.createElement('dl');
    const rows = [
      ['From', message.from || message.envelope.from],
      ['To', message.to],
      ['Cc', message.cc],
      ['Reply-To', message.replyTo],
      ['Envelope', message.envelope.to.join(', ')],
      ['Signed in as', message.authenticatedAs],
      ['Message-ID', message.messageId],
    ];
    for (const [name, value] of rows) {
      if (!value) continue;
      list.append(el('dt', name), el('dd', value));
    }
    const body = el('pre', message.text || '(no text body)');
    body.className = 'body';
    card.append(header, list, body);
    if (message.html) {
      const details = document.createElement('details');
      details.append(el('summary', 'HTML source'), el('pre', message.html));
      card.append(details);
    }
    return card;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('#refresh').addEventListener('click', refresh);
    $('#clear').addEventListener('click', async () => {
      await fetch('/inbox/messages', { method: 'DELETE' });
      await refresh();
    });
    refresh();
    setInterval(refresh, 2000);
  });
})();
