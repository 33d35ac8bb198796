// The admin page of the sample app: plain JavaScript against the SMTP settings REST API.
(function () {
  'use strict';

  const TOKEN_KEY = 'smtp-settings-admin-token';
  const API = '/smtp-settings';
  const $ = (selector, root) => (root || document).querySelector(selector);
  const field = (name) => document.getElementById(name);
  /** Plain words and the "Details" toggle, from admin-words.js. */
  const words = () => window.AdminWords;
  const { inAdminWords, labelOf } = window.AdminForm;
  /** The main settings form (admin-form.js): its fields, body and messages. */
  const form = window.AdminForm.create({
    prefix: '',
    root: document.getElementById('settings-form'),
    saved: () => page.state && page.state.settings,
    capabilities: () => page.capabilities,
  });

  const page = {
    token: null,
    capabilities: null,
    state: null,
    etag: null,
    info: { devInbox: null },
  };

  // ---- Sign-in: a token from ?token= (once) or the form, kept in sessionStorage ----

  function takeTokenFromUrl() {
    const url = new URL(window.location.href);
    const token = url.searchParams.get('token');
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete('token');
    // Out of the address bar and the history, so that it is not shared by accident.
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }

  function showSignIn(message) {
    page.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('#app').hidden = true;
    $('#sign-out').hidden = true;
    $('#signin').hidden = false;
    $('#signin-error').textContent = message || '';
    field('token').focus();
    announce('admin:signed-out');
  }

  /** Other parts of the page (admin-outbox.js, admin-status.js) follow these events. */
  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail || { api, SignedOut } }));
  }

  class SignedOut extends Error {}

  async function api(method, path, body, headers) {
    // Always from the server: the delivery state changes without a new settings version.
    const init = {
      method,
      cache: 'no-store',
      headers: { Authorization: 'Bearer ' + page.token, ...headers },
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { message: text };
    }
    const upgradeRequired = data && data.code === 'UPGRADE_REQUIRED';
    if (res.status === 401 || (res.status === 403 && !upgradeRequired)) {
      showSignIn((data && data.message) || 'Sign in again.');
      throw new SignedOut();
    }
    return { status: res.status, ok: res.ok, data, etag: res.headers.get('ETag') };
  }

  // ---- Loading and rendering ----

  async function load() {
    const [capabilities, state, history, info] = await Promise.all([
      api('GET', API + '/capabilities'),
      api('GET', API),
      api('GET', API + '/history'),
      fetch('/app-info').then((r) => r.json()),
    ]);
    page.capabilities = capabilities.data;
    page.info = info;
    $('#signin').hidden = true;
    $('#app').hidden = false;
    $('#sign-out').hidden = false;
    $('#inbox-link').hidden = !info.devInbox;
    renderDevInboxHint();
    applyState(state.data, state.etag);
    renderCapabilities();
    form.renderProviders();
    renderHistory(history.data);
    announce('admin:ready');
  }

  function applyState(state, etag) {
    page.state = state;
    page.etag = etag;
    renderTenant(state.tenant);
    form.fill(state.settings);
    // The status line at the top (admin-status.js) says whether mail can go out.
    const maxRecipients = page.capabilities ? page.capabilities.relay.maxRecipients : undefined;
    announce('admin:state', { state, maxRecipients });
    form.showWarnings(state.warnings);
  }

  /**
   * Which tenant this admin administers: the API says, from the token that signed in. The tenant
   * every single-tenant app has (`default`) is not news to its admin: no line for it.
   */
  function renderTenant(tenant) {
    $('#tenant-name').textContent = tenant || '';
    $('#tenant-line').hidden = !tenant || tenant === 'default';
  }

  /** In the sample app the relay is the dev inbox: how to point settings of your own at it. */
  function renderDevInboxHint() {
    const hint = $('#dev-inbox-hint');
    const inbox = page.info.devInbox;
    hint.hidden = !inbox;
    if (!inbox) return hint.replaceChildren();
    hint.replaceChildren(
      'In this sample app the default relay is the dev inbox. To try settings of your own, point ' +
        `them at it: Hostname ${inbox.host}, Port ${inbox.port}, Send using TLS off, any username ` +
        'and password. Sent mail shows up in the ',
      link('/inbox', 'dev inbox'),
      '.',
    );
  }

  function renderCapabilities() {
    const caps = page.capabilities;
    form.renderBearer();
    $('#upgrade-name').textContent = caps.upgrade.name;
    const badge = $('#upgrade-state');
    badge.textContent = caps.upgrade.installed ? 'Installed' : 'Not installed';
    badge.className = 'badge ' + (caps.upgrade.installed ? 'on' : 'off');
    $('#upgrade-toggle').textContent = caps.upgrade.installed ? 'Remove' : 'Install';
  }

  function renderHistory(entries) {
    const body = $('#history tbody');
    body.replaceChildren(
      ...entries.map((entry) => {
        const row = document.createElement('tr');
        row.append(
          cell(String(entry.version)),
          cell(new Date(entry.at).toLocaleString()),
          cell(entry.by || '—'),
          cell(entry.connection === 'backup' ? 'Backup connection' : 'Main settings'),
          cell(changeOf(entry)),
          cell(entry.changed.join(', ') || '—'),
        );
        row.dataset.connection = entry.connection || 'main';
        return row;
      }),
    );
    $('#history-empty').hidden = entries.length > 0;
    $('#history').hidden = entries.length === 0;
  }

  /** What a change did: the backup's entries say `connection: "backup"`, the main ones nothing. */
  function changeOf(entry) {
    if (entry.action !== 'reset') return 'Saved';
    return entry.connection === 'backup' ? 'Removed' : 'Reverted to the relay';
  }

  // ---- Actions ----

  async function busy(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      if (!(error instanceof SignedOut)) {
        showStatus('#form-status', 'error', 'Something went wrong: ' + error.message);
      }
    } finally {
      button.disabled = false;
    }
  }

  async function save(event) {
    event.preventDefault();
    if (form.lacksCredential()) return;
    await busy(field('save'), () => put(form.body(), true));
  }

  /**
   * Saves `body`: checked first as Verify checks it (`?verify=true`), and saved only if the check
   * passes; when it fails, the page says what failed and offers to save anyway.
   */
  async function put(body, checkFirst) {
    form.clearMessages();
    const headers = page.etag ? { 'If-Match': page.etag } : {};
    const res = await api('PUT', checkFirst ? API + '?verify=true' : API, body, headers);
    if (res.status === 422 && res.data && res.data.code === 'VERIFY_FAILED') {
      return offerSaveAnyway(body, res.data.verify);
    }
    if (!res.ok) return form.showErrors(res.data, 'The settings were not saved.');
    applyState(res.data, res.etag);
    showStatus(
      '#form-status',
      'success',
      `Saved. Mail now goes through ${words().routeName(res.data.settings, true)}.`,
    );
    announce('admin:settings-changed');
    await refreshHistory();
  }

  /** Nothing was saved: what failed, and a button that saves the same settings unchecked. */
  function offerSaveAnyway(body, result) {
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'save-anyway';
    button.textContent = 'Save anyway';
    button.addEventListener('click', () => busy(button, () => put(body, false)));
    // The offer is for the settings that were checked: once the form changes, Save checks again.
    $('#settings-form').addEventListener('input', () => button.remove(), { once: true });
    showStatus(
      '#form-status',
      'error',
      paragraph('Not saved. ' + form.failedCheck(result)),
      paragraph(
        'If you know these settings are right (the server may be down for maintenance), save them anyway.',
      ),
      button,
      words().failureDetails(result),
    );
  }

  async function verify() {
    if (form.lacksCredential()) return;
    await busy(field('verify'), async () => {
      form.clearMessages();
      const res = await api('POST', API + '/verify', form.body());
      if (!res.ok) return form.showErrors(res.data, 'The connection could not be checked.');
      const r = res.data;
      // The API says what was checked (with or without TLS, signed in or not): repeat it, no more.
      if (r.ok) {
        showStatus(
          '#form-status',
          'success',
          `Connection verified: ${r.message} (${r.durationMs} ms). Nothing was sent.`,
        );
      } else {
        showStatus(
          '#form-status',
          'error',
          paragraph(form.failedCheck(r)),
          words().failureDetails(r),
        );
      }
    });
  }

  async function revert() {
    if (
      !window.confirm('Revert to the default relay? The saved settings and secret are removed.')
    ) {
      return;
    }
    await busy(field('revert'), async () => {
      form.clearMessages();
      const res = await api('DELETE', API, undefined, page.etag ? { 'If-Match': page.etag } : {});
      if (!res.ok) return form.showErrors(res.data, 'The settings were not reverted.');
      const state = await api('GET', API);
      applyState(state.data, state.etag);
      showStatus('#form-status', 'success', 'Reverted: mail goes through the default relay again.');
      announce('admin:settings-changed');
      await refreshHistory();
    });
  }

  async function sendTest(event) {
    event.preventDefault();
    const slot = $('[data-error-for="to"]');
    await busy(field('send-test'), async () => {
      slot.textContent = '';
      $('#test-status').hidden = true;
      const to = field('testTo').value.trim();
      const res = await api('POST', API + '/test-email', to ? { to } : {});
      if (!res.ok) {
        const errors = (res.data && res.data.errors) || [];
        const message = errors.length
          ? errors.map((e) => e.message).join(' ')
          : (res.data && res.data.message) || 'The test email was not sent.';
        if (errors.some((e) => e.field === 'to')) slot.textContent = inAdminWords(message);
        else showStatus('#test-status', 'error', String(message));
        return;
      }
      const r = res.data;
      // The status line at the top turns red for a failed one (the API keeps no record of it).
      const said = r.ok ? {} : { message: inAdminWords(r.message) };
      announce('admin:test-email', {
        result: { ...r, ...said, fieldLabel: labelOf(r.field || '') },
      });
      if (!r.ok) {
        const { step, sentence } = words();
        showStatus(
          '#test-status',
          'error',
          paragraph(
            `Not sent: it failed ${step(r.stage)}: ${sentence(inAdminWords(r.message))}${form.fieldToFix(r.field)}`,
          ),
          words().failureDetails(r),
        );
        return;
      }
      const via = r.route === 'custom' ? 'your SMTP server' : 'the default relay';
      const parts = [`Test email sent to ${to} through ${via}.`];
      if (wentToDevInbox(r)) parts.push(' ', link('/inbox', 'Open the dev inbox'), '.');
      showStatus('#test-status', 'success', ...parts);
    });
  }

  /**
   * The dev inbox holds what the sample app's relay takes: a test email through the admin's own
   * server lands there only when that server is the dev inbox itself.
   */
  function wentToDevInbox(result) {
    const inbox = page.info.devInbox;
    if (!inbox) return false;
    if (result.route !== 'custom') return true;
    const saved = page.state && page.state.settings;
    return !!saved && Number(saved.port) === inbox.port && sameHost(saved.hostname, inbox.host);
  }

  function sameHost(a, b) {
    const loopback = ['localhost', '127.0.0.1', '::1', '[::1]'];
    const x = String(a || '').toLowerCase();
    const y = String(b || '').toLowerCase();
    return x === y || (loopback.includes(x) && loopback.includes(y));
  }

  async function toggleUpgrade() {
    const button = field('upgrade-toggle');
    await busy(button, async () => {
      const { id, installed } = page.capabilities.upgrade;
      await api(installed ? 'DELETE' : 'PUT', '/upgrades/' + encodeURIComponent(id));
      page.capabilities = (await api('GET', API + '/capabilities')).data;
      renderCapabilities();
      announce('admin:refresh-status', {});
      if (!page.capabilities.authTypes.includes('bearer') && form.currentType() === 'bearer') {
        form.fill(page.state.settings);
      }
    });
  }

  async function refreshHistory() {
    renderHistory((await api('GET', API + '/history')).data);
  }

  // ---- Small DOM helpers ----

  function cell(text) {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  }
  function paragraph(text) {
    const el = document.createElement('p');
    el.textContent = text;
    return el;
  }
  function link(href, text) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    return a;
  }
  function showStatus(selector, kind, ...content) {
    window.AdminForm.showStatus($(selector), kind, ...content);
  }

  // ---- Start ----

  async function start() {
    $('#signin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = field('token').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      field('token').value = '';
      page.token = token;
      load().catch(onLoadError);
    });
    $('#sign-out').addEventListener('click', () => showSignIn('Signed out.'));
    form.listen();
    $('#settings-form').addEventListener('submit', save);
    field('verify').addEventListener('click', verify);
    field('revert').addEventListener('click', revert);
    $('#test-email-form').addEventListener('submit', sendTest);
    field('upgrade-toggle').addEventListener('click', toggleUpgrade);

    takeTokenFromUrl();
    page.token = sessionStorage.getItem(TOKEN_KEY);
    if (!page.token) return showSignIn();
    await load().catch(onLoadError);
  }

  /** What the backup connection's card (admin-backup.js) shares with the page. */
  window.AdminPage = { capabilities: () => page.capabilities, refreshHistory };

  function onLoadError(error) {
    if (!(error instanceof SignedOut)) showSignIn('Could not load the settings: ' + error.message);
  }

  document.addEventListener('DOMContentLoaded', start);
})();
