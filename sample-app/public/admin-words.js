// Words for an admin who is not an SMTP expert, shared by the admin page's scripts
// (window.AdminWords): where a check or a send stopped in plain words, and the codes and technical
// facts kept apart, behind a "Details" toggle.
(function () {
  'use strict';

  /** Each stage of a check or a send (the API's `stage`), as the admin would say it. */
  const STEP = {
    dns: 'while looking up the server',
    connect: 'while connecting to the server',
    tls: 'while setting up the encrypted connection (TLS)',
    auth: 'while signing in to the server',
    token: 'while getting permission from Microsoft or Google (the sign-in token)',
    mailbox: 'while checking the mailbox',
    sender: 'when the server checked the sender address',
    recipients: 'when the server checked the recipients',
    message: 'while the server took the message',
  };

  /** "while signing in to the server", for a stage the page knows; a plain phrase otherwise. */
  function step(stage) {
    return STEP[stage] || 'during a step of the check';
  }

  /**
   * A reason that ends with its code in brackets, as the outbox writes one ("… (EAUTH)"): the words,
   * and the code for the details. A reason without one comes back whole.
   */
  function splitCode(reason) {
    const text = String(reason || '').trim();
    const match = /^(.*\S)\s*\(([A-Za-z0-9_.:-]+)\)\s*\.?$/s.exec(text);
    if (!match || !/[A-Z0-9]/.test(match[2])) return { words: text, code: null };
    return { words: match[1], code: match[2] };
  }

  /** Capitalised, with a full stop: a sentence that follows another. */
  function sentence(value) {
    const trimmed = String(value || '')
      .trim()
      .replace(/^./, (first) => first.toUpperCase());
    if (!trimmed) return '';
    return /[.!?]$/.test(trimmed) ? trimmed : trimmed + '.';
  }

  /**
   * A closed "Details" toggle listing the facts (`[label, value]`) that have a value: the codes and
   * technical names that an IT team asks for. An empty string when there is none.
   */
  function details(facts) {
    const shown = facts.filter(
      ([, value]) => value !== null && value !== undefined && value !== '',
    );
    if (shown.length === 0) return '';
    const box = document.createElement('details');
    box.className = 'tech';
    const summary = document.createElement('summary');
    summary.textContent = 'Details';
    const list = document.createElement('dl');
    for (const [label, value] of shown) {
      const term = document.createElement('dt');
      term.textContent = label;
      const description = document.createElement('dd');
      description.textContent = String(value);
      list.append(term, description);
    }
    box.append(summary, list);
    return box;
  }

  /** The technical facts of a failed check or send (a verify or test-email result). */
  function failureDetails(result, extra) {
    return details([['Step', result.stage], ['Code', result.code], ...(extra || [])]);
  }

  /** Where saved settings send: an SMTP server, or Microsoft Graph for the mailbox. */
  function routeName(settings, short) {
    if (settings.provider === 'microsoft-graph') {
      return `Microsoft Graph as ${settings.username}`;
    }
    const server = `${settings.hostname}:${settings.port}`;
    return short ? server : `your SMTP server ${server}`;
  }

  window.AdminWords = { step, splitCode, sentence, details, failureDetails, routeName };
})();
