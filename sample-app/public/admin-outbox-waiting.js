// The outbox card's notice of why the tenant's mail waits behind one probe attempt: held (the
// settings cannot send), deferred (the provider asked for a pause) or retrying (the server cannot
// be reached: one message tries it), and when the next try is.
// admin-outbox.js hands it every summary it loads (the admin:outbox-summary event).
(function () {
  'use strict';

  const LEAD = {
    held: 'Held: ',
    deferred: 'Deferred by the provider: ',
    retrying: 'Your server is not answering: ',
  };
  const TONE = { held: 'error', deferred: 'warning', retrying: 'warning' };
  // A deferred reason ends with the time in UTC; the notice gives it in local time instead.
  const RESUMES = /:\s*the provider asked to wait; sending resumes after \S+$/;

  /** The summary's `waiting`: shown while set, hidden (and emptied) when null. */
  function render(waiting) {
    const notice = document.querySelector('#outbox-waiting');
    notice.hidden = !waiting;
    if (!waiting) {
      delete notice.dataset.kind;
      return notice.replaceChildren();
    }
    const next = new Date(waiting.nextAttemptAt);
    const time = document.createElement('time');
    time.dateTime = waiting.nextAttemptAt;
    time.textContent = next.toLocaleString();
    const lead = document.createElement('strong');
    lead.textContent = LEAD[waiting.kind] || 'Waiting: ';
    notice.className = 'alert ' + (TONE[waiting.kind] || 'warning');
    notice.dataset.kind = waiting.kind;
    notice.replaceChildren(
      lead,
      withStop(waiting.reason.replace(RESUMES, '')),
      ' Next try ',
      time,
      next.getTime() <= Date.now() ? ' (due now).' : '.',
    );
  }

  function withStop(value) {
    const trimmed = value.trim();
    return /[.!?]$/.test(trimmed) ? trimmed : trimmed + '.';
  }

  document.addEventListener('admin:outbox-summary', (event) => {
    const summary = event.detail.summary;
    render(summary ? summary.waiting || null : null);
  });
  document.addEventListener('admin:signed-out', () => render(null));
})();
