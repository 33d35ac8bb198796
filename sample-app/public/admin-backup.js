// The backup connection's card on the admin page (#backup-card): a second SMTP server that direct
// sends fail over to. Collapsed while none is saved ("Add a backup connection"); its form has the
// main settings form's fields (copies of them, bound by admin-form.js with the prefix "backup-"),
// and its own Save (checked first, with "Save anyway"), Verify, test email and Remove, against
// GET/PUT/DELETE /smtp-settings/backup with the backup's own ETag. Secrets are write-only.
(function () {
  'use strict';

  const API = '/smtp-settings';
  const PREFIX = 'backup-';
  const $ = (selector) => document.querySelector(selector);
  const field = (name) => document.getElementById(PREFIX + name);
  const { inAdminWords, paragraph } = window.AdminForm;
  const words = () => window.AdminWords;

  /** The settings form's fields as the page was served: the backup's form is made of copies. */
  const source = document.getElementById('settings-form');
  const template = ['fieldset.auth-type', '.grid', '#optional-fields'].map((selector) =>
    source.querySelector(selector).cloneNode(true),
  );

  const b = {
    api: null,
    SignedOut: null,
    /** The backup as GET /smtp-settings/backup says: `{ version, settings, warnings }`. */
    backup: null,
    etag: null,
    /** The admin opened the empty card to add one. */
    adding: false,
    /** The form (admin-form.js) while the card is open; its fields leave the page with it. */
    form: null,
  };

  // ---- The form: built when the card opens, removed when it closes ----

  function build() {
    const copies = template.map((node) => node.cloneNode(true));
    for (const copy of copies) {
      for (const el of [copy, ...copy.querySelectorAll('*')]) {
        if (el.id) el.id = PREFIX + el.id;
        if (el.hasAttribute('for')) el.setAttribute('for', PREFIX + el.getAttribute('for'));
        if (el.matches('input, select, textarea') && el.name) el.name = PREFIX + el.name;
      }
    }
    field('fields').replaceChildren(...copies);
    const form = window.AdminForm.create({
      prefix: PREFIX,
      root: field('form'),
      saved: () => saved(),
      capabilities: () => window.AdminPage.capabilities(),
    });
    form.listen();
    form.renderBearer();
    form.renderProviders();
    return form;
  }

  function saved() {
    return (b.backup && b.backup.settings) || null;
  }

  /** Open with the saved backup (or an empty form while adding one), or collapsed. */
  function render() {
    const open = !!saved() || b.adding;
    field('form').hidden = !open;
    field('add').hidden = open;
    field('add').setAttribute('aria-expanded', String(open));
    field('empty').hidden = !!saved();
    field('remove').hidden = !saved();
    field('cancel').hidden = !!saved();
    $('#backup-card .backup-test').hidden = !saved(); // through the saved backup only
    if (!open) {
      field('fields').replaceChildren();
      b.form = null;
      return;
    }
    if (!b.form) b.form = build();
    b.form.fill(saved());
    b.form.showWarnings(b.backup && b.backup.warnings);
  }

  function apply(state, etag) {
    b.backup = { version: state.version, settings: state.settings, warnings: state.warnings || [] };
    b.etag = etag || `"${state.version}"`;
    if (state.settings) b.adding = false;
    render();
  }

  async function load() {
    const res = await b.api('GET', API + '/backup');
    if (res.ok) apply(res.data, res.etag);
  }

  // ---- Actions ----

  async function busy(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      if (!(error instanceof b.SignedOut) && b.form) {
        b.form.showStatus('form-status', 'error', 'Something went wrong: ' + error.message);
      }
    } finally {
      button.disabled = false;
    }
  }

  /** The history and the status line follow a change of the backup. */
  async function changed() {
    document.dispatchEvent(new CustomEvent('admin:refresh-status', { detail: {} }));
    await window.AdminPage.refreshHistory();
  }

  async function save(event) {
    event.preventDefault();
    if (b.form.lacksCredential()) return;
    await busy(field('save'), () => put(b.form.body(), true));
  }

  /** Saved only if the check passes (`?verify=true`); when it fails, "Save anyway" is offered. */
  async function put(body, checkFirst) {
    b.form.clearMessages();
    const path = API + '/backup' + (checkFirst ? '?verify=true' : '');
    const res = await b.api('PUT', path, body, b.etag ? { 'If-Match': b.etag } : {});
    if (res.status === 422 && res.data && res.data.code === 'VERIFY_FAILED') {
      return offerSaveAnyway(body, res.data.verify);
    }
    if (!res.ok) return b.form.showErrors(res.data, 'The backup connection was not saved.');
    apply(res.data, res.etag);
    b.form.showStatus(
      'form-status',
      'success',
      'Saved. When the main connection cannot take a message, it goes through ' +
        `${words().routeName(res.data.settings, true)}.`,
    );
    await changed();
  }

  function offerSaveAnyway(body, result) {
    const button = document.createElement('button');
    button.type = 'button';
    button.id = PREFIX + 'save-anyway';
    button.textContent = 'Save anyway';
    button.addEventListener('click', () => busy(button, () => put(body, false)));
    field('form').addEventListener('input', () => button.remove(), { once: true });
    b.form.showStatus(
      'form-status',
      'error',
      paragraph('Not saved. ' + b.form.failedCheck(result)),
      paragraph(
        'If you know these settings are right (the server may be down for maintenance), save them anyway.',
      ),
      button,
      words().failureDetails(result),
    );
  }

  async function verify() {
    if (b.form.lacksCredential()) return;
    await busy(field('verify'), async () => {
      b.form.clearMessages();
      const res = await b.api('POST', API + '/verify?connection=backup', b.form.body());
      if (!res.ok) return b.form.showErrors(res.data, 'The backup could not be checked.');
      const r = res.data;
      if (r.ok) {
        b.form.showStatus(
          'form-status',
          'success',
          `Backup connection verified: ${r.message} (${r.durationMs} ms). Nothing was sent.`,
        );
      } else {
        const failed = paragraph(b.form.failedCheck(r));
        b.form.showStatus('form-status', 'error', failed, words().failureDetails(r));
      }
    });
  }

  async function remove() {
    if (!window.confirm('Remove the backup connection? Mail no longer fails over to it.')) return;
    await busy(field('remove'), async () => {
      b.form.clearMessages();
      const res = await b.api('DELETE', API + '/backup', undefined, { 'If-Match': b.etag });
      if (!res.ok) return b.form.showErrors(res.data, 'The backup connection was not removed.');
      await load();
      await changed();
    });
  }

  function cancel() {
    b.adding = false;
    render();
  }

  async function sendTest() {
    const error = field('test-error');
    await busy(field('send-test'), async () => {
      error.textContent = '';
      field('test-status').hidden = true;
      const to = field('testTo').value.trim();
      const res = await b.api('POST', API + '/test-email?connection=backup', to ? { to } : {});
      if (!res.ok) {
        const errors = (res.data && res.data.errors) || [];
        const message = errors.length
          ? errors.map((e) => inAdminWords(e.message)).join(' ')
          : (res.data && res.data.message) || 'The test email was not sent.';
        if (errors.some((e) => e.field === 'to')) error.textContent = message;
        else b.form.showStatus('test-status', 'error', String(message));
        return;
      }
      const r = res.data;
      if (!r.ok) {
        const { step, sentence } = words();
        const said = `Not sent: it failed ${step(r.stage)}: ${sentence(inAdminWords(r.message))}`;
        const fix = b.form.fieldToFix(r.field);
        b.form.showStatus('test-status', 'error', paragraph(said + fix), words().failureDetails(r));
        return;
      }
      const via = saved()
        ? ` through the backup connection ${words().routeName(saved(), true)}`
        : '';
      b.form.showStatus('test-status', 'success', `Test email sent to ${to}${via}.`);
    });
  }

  // ---- Start, and what admin.js announces ----

  field('add').addEventListener('click', () => {
    b.adding = true;
    render();
    field('hostname').focus();
  });
  field('cancel').addEventListener('click', cancel);
  field('form').addEventListener('submit', save);
  field('verify').addEventListener('click', verify);
  field('remove').addEventListener('click', remove);
  field('send-test').addEventListener('click', sendTest);
  // Enter in the recipient sends the test email, not the form (which would save the backup).
  field('testTo').addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    sendTest();
  });

  render();
  document.addEventListener('admin:ready', (event) => {
    b.api = event.detail.api;
    b.SignedOut = event.detail.SignedOut;
    load().catch(() => undefined); // signed out meanwhile: the sign-in form shows
  });
  /** A newer backup than the one shown (GET /smtp-settings carries it): shown. */
  document.addEventListener('admin:state', (event) => {
    const backup = event.detail.state.backup;
    if (!b.api || backup === undefined) return;
    const version = backup ? backup.version : null;
    if (b.backup && (version === null ? !b.backup.settings : version === b.backup.version)) return;
    load().catch(() => undefined);
  });
  /** The upgrade was installed or removed: Bearer follows, as in the main form. */
  document.addEventListener('admin:refresh-status', () => {
    if (!b.form) return;
    b.form.renderBearer();
    const caps = window.AdminPage.capabilities();
    if (!caps.authTypes.includes('bearer') && b.form.currentType() === 'bearer') {
      b.form.fill(saved());
    }
  });
  document.addEventListener('admin:signed-out', () => {
    Object.assign(b, { api: null, backup: null, etag: null, adding: false });
    render();
  });
})();
