// The admin page of the sample app: plain JavaScript against the SMTP settings REST API.
(function () {
  'use strict';

  const TOKEN_KEY = 'smtp-settings-admin-token';
  const API = '/smtp-settings';
  const FIELDS = [
    'provider',
    'hostname',
    'username',
    'password',
    'port',
    'senderEmail',
    'clientId',
    'clientSecret',
    'tenantId',
    'serviceAccountEmail',
    'privateKey',
    'senderName',
    'replyTo',
    'tlsMode',
  ];
  /** The form's labels: what the admin reads, where the API names fields. */
  const LABELS = {
    type: 'Type of authentication',
    provider: 'Email Provider',
    hostname: 'Hostname',
    username: 'Username',
    password: 'Password',
    port: 'Port',
    senderEmail: 'Sender email address',
    clientId: 'Client ID',
    clientSecret: 'Client Secret',
    tenantId: 'Tenant ID',
    serviceAccountEmail: 'Service account email',
    privateKey: 'Private key',
    useTls: 'Send using TLS',
    tlsMode: 'TLS mode',
    senderName: 'Sender name',
    replyTo: 'Reply-to address',
    to: 'Recipient',
  };
  /** The write-only secret of each kind of settings: Basic, then each Bearer provider. */
  const SECRET_OF = {
    basic: 'password',
    microsoft: 'clientSecret',
    'microsoft-graph': 'clientSecret',
    google: 'privateKey',
  };
  const SECRETS = ['password', 'clientSecret', 'privateKey'];
  /** Microsoft Graph sends over HTTPS: it has no server, port or TLS, and the API refuses them. */
  const SMTP_ONLY = ['hostname', 'port', 'tlsMode'];

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const field = (name) => document.getElementById(name);
  /** Plain words and the "Details" toggle, from admin-words.js. */
  const words = () => window.AdminWords;
  /** Microsoft's credential, a client secret or a certificate, from admin-certificate.js. */
  const certificate = () => window.AdminCertificate;
  /** Fields of the settings view that describe a secret and are never sent back. */
  const VIEW_ONLY = ['clientCertificate'];

  const page = {
    token: null,
    capabilities: null,
    state: null,
    etag: null,
    info: { devInbox: null },
    lastUsername: '',
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
    renderProviders();
    renderHistory(history.data);
    announce('admin:ready');
  }

  function applyState(state, etag) {
    page.state = state;
    page.etag = etag;
    renderTenant(state.tenant);
    fillForm(state.settings);
    // The status line at the top (admin-status.js) says whether mail can go out.
    const maxRecipients = page.capabilities ? page.capabilities.relay.maxRecipients : undefined;
    announce('admin:state', { state, maxRecipients });
    showWarnings(state.warnings);
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
    const bearerAllowed = caps.authTypes.includes('bearer');
    const bearer = $('input[name="type"][value="bearer"]');
    bearer.disabled = !bearerAllowed;
    $('#bearer-option').classList.toggle('disabled', !bearerAllowed);
    $('#bearer-option').title = bearerAllowed
      ? ''
      : `Install ${caps.upgrade.name} in the Upgrade Center`;
    $('#bearer-locked').hidden = bearerAllowed;
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
          cell(entry.action === 'reset' ? 'Reverted to the relay' : 'Saved'),
          cell(entry.changed.join(', ') || '—'),
        );
        return row;
      }),
    );
    $('#history-empty').hidden = entries.length > 0;
    $('#history').hidden = entries.length === 0;
  }

  // ---- The form ----

  function currentType() {
    return $('input[name="type"]:checked').value;
  }

  function currentProvider() {
    return field('provider').value;
  }

  /** Shows the fields of the type and, for Bearer, of the provider (`data-providers`). */
  function setType(type) {
    $(`input[name="type"][value="${type}"]`).checked = true;
    for (const el of $$('[data-types], [data-providers]')) el.hidden = notForForm(el);
    renderTlsMode();
    renderSecretPlaceholders();
  }

  /** Whether `el` belongs to another type, provider or credential than the form shows. */
  function notForForm(el) {
    const types = el.dataset.types ? el.dataset.types.split(' ') : null;
    const providers = el.dataset.providers ? el.dataset.providers.split(' ') : null;
    const credential = el.dataset.credential || null;
    return (
      (types !== null && !types.includes(currentType())) ||
      (currentType() === 'bearer' &&
        providers !== null &&
        !providers.includes(currentProvider())) ||
      (credential !== null && credential !== certificate().kind())
    );
  }

  /** The TLS mode means something only with "Send using TLS" on: hidden while it is off. */
  function renderTlsMode() {
    const box = field('tlsMode').closest('.field');
    box.hidden = notForForm(box) || !field('useTls').checked;
  }

  /** Whether the form shows the saved settings' type and provider (their secret is stored). */
  function showsSaved() {
    const saved = page.state && page.state.settings;
    if (!saved || saved.type !== currentType()) return null;
    return saved.type === 'bearer' && saved.provider !== currentProvider() ? null : saved;
  }

  /** A stored secret is never sent to the page: its input says "stored" and may stay empty. */
  function renderSecretPlaceholders() {
    const saved = showsSaved();
    for (const name of SECRETS) {
      const input = field(name);
      const stored = !!saved && saved[name + 'Set'] === true;
      input.placeholder = stored ? 'stored' : '';
      input.closest('.field').querySelector('.secret-hint').hidden = !stored;
    }
    certificate().render(saved);
  }

  function fillForm(settings) {
    clearMessages();
    for (const name of FIELDS) field(name).value = '';
    certificate().fill(settings);
    const defaults = page.capabilities ? page.capabilities.defaults : null;
    if (settings) {
      for (const name of FIELDS) {
        if (settings[name] !== undefined && !SECRETS.includes(name)) {
          field(name).value = String(settings[name]);
        }
      }
      field('useTls').checked = settings.useTls !== false; // on for Graph, which has no TLS field
      field('tlsMode').value = settings.tlsMode || '';
      $('#optional-fields').open = !!(settings.senderName || settings.replyTo);
      page.lastUsername = settings.username;
      setType(settings.type);
    } else {
      field('provider').value = 'microsoft';
      field('tlsMode').value = '';
      field('port').value = String(defaults ? defaults.basic.port : 25);
      field('useTls').checked = defaults ? defaults.basic.useTls : false;
      page.lastUsername = '';
      setType('basic');
    }
  }

  /** Switching type proposes that type's defaults, unless its saved settings can be shown. */
  function onTypeChange() {
    const type = currentType();
    const saved = page.state && page.state.settings;
    if (saved && saved.type === type) {
      fillForm(saved);
      return;
    }
    const defaults = page.capabilities.defaults[type];
    if (type === 'bearer') {
      field('provider').value = defaults.provider;
      if (!field('hostname').value.trim()) field('hostname').value = defaults.hostname;
      if (!field('senderEmail').value.trim() && isEmail(field('username').value)) {
        field('senderEmail').value = field('username').value.trim();
      }
    }
    field('port').value = String(defaults.port);
    field('useTls').checked = defaults.useTls;
    setType(type);
  }

  /**
   * Choosing a provider shows its fields and proposes its server (capabilities' `providers`
   * defaults), unless its saved settings can be shown. A hostname the admin typed is kept; one
   * that another provider proposed is replaced.
   */
  function onProviderChange() {
    const provider = currentProvider();
    const saved = page.state && page.state.settings;
    if (saved && saved.type === 'bearer' && saved.provider === provider) {
      fillForm(saved);
      return;
    }
    const all = (page.capabilities.defaults && page.capabilities.defaults.providers) || {};
    const proposal = all[provider] || {};
    const proposed = Object.values(all).map((p) => p.hostname);
    const hostname = field('hostname').value.trim();
    if (proposal.hostname && (!hostname || proposed.includes(hostname))) {
      field('hostname').value = proposal.hostname;
    }
    if (proposal.port !== undefined) field('port').value = String(proposal.port);
    if (proposal.useTls !== undefined) field('useTls').checked = proposal.useTls;
    if (proposal.port !== undefined) field('tlsMode').value = '';
    setType('bearer');
  }

  /** The providers the API offers, in its order; an unknown saved one still shows. */
  function renderProviders() {
    const offered = page.capabilities.providers || ['microsoft'];
    const saved = page.state && page.state.settings;
    for (const option of $$('#provider option')) {
      option.hidden =
        !offered.includes(option.value) && !(saved && saved.provider === option.value);
    }
  }

  /** "Send using TLS" follows the port as the article says; the admin can still change it. */
  function onPortInput() {
    const port = field('port').value.trim();
    if (port === '587' || port === '465') field('useTls').checked = true;
    if (port === '25') field('useTls').checked = false;
    renderTlsMode();
  }

  /** For Microsoft SMTP the sender is the mailbox: keep it in step while it was in step. */
  function onUsernameInput() {
    const username = field('username').value.trim();
    const sender = field('senderEmail');
    if (
      currentType() === 'bearer' &&
      (!sender.value.trim() || sender.value === page.lastUsername)
    ) {
      sender.value = username;
    }
    page.lastUsername = username;
  }

  /** The body of the form's type and provider: fields of another provider are never sent. */
  function formBody() {
    const type = currentType();
    const provider = type === 'bearer' ? currentProvider() : null;
    const text = (name) => field(name).value.trim();
    const body = { type, ...untouchedFields(type) };
    const put = (name, value) => {
      if (value !== '') body[name] = value;
    };
    put('hostname', text('hostname'));
    const port = text('port');
    put('port', /^\d+$/.test(port) ? Number(port) : port);
    put('username', text('username'));
    put('senderEmail', text('senderEmail'));
    body.useTls = field('useTls').checked;
    put('senderName', text('senderName'));
    put('replyTo', text('replyTo'));
    put('tlsMode', field('tlsMode').value);
    if (provider) put('provider', provider);
    if (provider === 'microsoft-graph') {
      for (const name of SMTP_ONLY) delete body[name];
      delete body.useTls;
    }
    if (provider === 'google') {
      put('serviceAccountEmail', text('serviceAccountEmail'));
    } else if (provider) {
      put('clientId', text('clientId'));
      put('tenantId', text('tenantId'));
    }
    // Empty means "keep the stored secret": the field is left out of the body. A key pasted from
    // the JSON file keeps its line breaks; only the whitespace around it goes. Microsoft's
    // certificate, when chosen, goes instead of the client secret.
    const secret = SECRET_OF[provider || type];
    if (secret === 'clientSecret' && certificate().putInto(body)) return body;
    put(secret, secret === 'privateKey' ? field(secret).value.trim() : field(secret).value);
    return body;
  }

  /**
   * Saved fields that the form does not show (a newer API may add some): sent back as they are, so
   * that saving from the page never drops a setting that the admin did not touch.
   */
  function untouchedFields(type) {
    const saved = showsSaved();
    if (!saved || saved.type !== type) return {};
    const kept = {};
    for (const [name, value] of Object.entries(saved)) {
      if (name === 'type' || FIELDS.includes(name) || name === 'useTls') continue;
      if (name.endsWith('Set')) continue; // passwordSet, clientSecretSet…: flags, not fields
      if (VIEW_ONLY.includes(name)) continue; // what the stored certificate is, not its PEM
      kept[name] = value;
    }
    return kept;
  }

  // ---- Messages ----

  /**
   * An API message in the form's words: field names become the labels the admin sees
   * ("port 587 requires useTls to be on" reads "Port 587 requires Send using TLS to be on").
   */
  function inAdminWords(message) {
    const text = String(message).replace(/\b[a-z]+[A-Z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?\b/g, (name) =>
      labelOf(name),
    );
    const first = /^[a-z]+/.exec(text);
    if (first && LABELS[first[0]]) return LABELS[first[0]] + text.slice(first[0].length);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** "clientCertificate.privateKey" reads "Certificate private key"; an unknown part stays. */
  function labelOf(name) {
    return LABELS[name] || name.replace(/[A-Za-z]+/g, (part) => LABELS[part] || part);
  }

  function clearMessages() {
    for (const el of $$('.field-error')) el.textContent = '';
    for (const el of $$('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const id of ['#form-errors', '#warnings', '#form-status']) {
      $(id).hidden = true;
      $(id).replaceChildren();
    }
  }

  /** Each `{ field, message }` next to its field; anything without a visible field in the box. */
  function showErrors(data, fallback) {
    const errors = (data && Array.isArray(data.errors) && data.errors) || [];
    const general = [];
    for (const error of errors) {
      const slot = $(`[data-error-for="${CSS.escape(error.field)}"]`);
      const visible = slot && !slot.closest('[hidden]');
      const message = inAdminWords(error.message);
      if (visible) {
        slot.textContent = slot.textContent ? slot.textContent + ' ' + message : message;
        const input = field(error.field);
        if (input) input.setAttribute('aria-invalid', 'true');
        if (slot.closest('details')) slot.closest('details').open = true;
      } else {
        general.push(message);
      }
    }
    if (errors.length === 0) {
      const message = data && data.message;
      general.push(
        Array.isArray(message) ? message.map(inAdminWords).join('; ') : message || fallback,
      );
    }
    if (general.length > 0) {
      const box = $('#form-errors');
      box.replaceChildren(...general.map((m) => paragraph(m)));
      box.hidden = false;
    }
    // A group (the certificate and its key) is marked as a whole: its first box takes the focus.
    const first = $('[aria-invalid="true"]');
    if (first) ($('textarea, input, select', first) || first).focus();
  }

  function showWarnings(warnings) {
    const box = $('#warnings');
    box.hidden = !warnings || warnings.length === 0;
    box.replaceChildren(...(warnings || []).map((w) => paragraph('Warning: ' + inAdminWords(w))));
  }

  function showStatus(selector, kind, ...content) {
    const box = $(selector);
    box.className = 'alert ' + kind;
    box.replaceChildren(...content);
    box.hidden = false;
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
    if (lacksCredential()) return;
    await busy(field('save'), () => put(formBody(), true));
  }

  /**
   * Microsoft's credential that the chosen kind needs and the form lacks (the API would keep the
   * stored one of the other kind): said at its field, and nothing is sent.
   */
  function lacksCredential() {
    const provider = currentType() === 'bearer' ? currentProvider() : null;
    const problem = certificate().missing(provider, showsSaved(), field('clientSecret').value);
    if (!problem) return false;
    clearMessages();
    showErrors({ errors: [problem] });
    return true;
  }

  /**
   * Saves `body`: checked first as Verify checks it (`?verify=true`), and saved only if the check
   * passes; when it fails, the page says what failed and offers to save anyway.
   */
  async function put(body, checkFirst) {
    clearMessages();
    const headers = page.etag ? { 'If-Match': page.etag } : {};
    const res = await api('PUT', checkFirst ? API + '?verify=true' : API, body, headers);
    if (res.status === 422 && res.data && res.data.code === 'VERIFY_FAILED') {
      return offerSaveAnyway(body, res.data.verify);
    }
    if (!res.ok) return showErrors(res.data, 'The settings were not saved.');
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
      paragraph('Not saved. ' + failedCheck(result)),
      paragraph(
        'If you know these settings are right (the server may be down for maintenance), save them anyway.',
      ),
      button,
      words().failureDetails(result),
    );
  }

  async function verify() {
    if (lacksCredential()) return;
    await busy(field('verify'), async () => {
      clearMessages();
      const res = await api('POST', API + '/verify', formBody());
      if (!res.ok) return showErrors(res.data, 'The connection could not be checked.');
      const r = res.data;
      // The API says what was checked (with or without TLS, signed in or not): repeat it, no more.
      if (r.ok) {
        showStatus(
          '#form-status',
          'success',
          `Connection verified: ${r.message} (${r.durationMs} ms). Nothing was sent.`,
        );
      } else {
        showStatus('#form-status', 'error', paragraph(failedCheck(r)), words().failureDetails(r));
      }
    });
  }

  /**
   * A failed check (a verify result) in the admin's words, with the field to fix marked; its step
   * and code go behind "Details" (`words().failureDetails`).
   */
  function failedCheck(r) {
    const { step, sentence } = words();
    return `Verification failed ${step(r.stage)}: ${sentence(inAdminWords(r.message))}${fieldToFix(r.field)}`;
  }

  async function revert() {
    if (
      !window.confirm('Revert to the default relay? The saved settings and secret are removed.')
    ) {
      return;
    }
    await busy(field('revert'), async () => {
      clearMessages();
      const res = await api('DELETE', API, undefined, page.etag ? { 'If-Match': page.etag } : {});
      if (!res.ok) return showErrors(res.data, 'The settings were not reverted.');
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
            `Not sent: it failed ${step(r.stage)}: ${sentence(inAdminWords(r.message))}${fieldToFix(r.field)}`,
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
      if (!page.capabilities.authTypes.includes('bearer') && currentType() === 'bearer') {
        fillForm(page.state.settings);
      }
    });
  }

  async function refreshHistory() {
    renderHistory((await api('GET', API + '/history')).data);
  }

  /**
   * The field a failed check blames (`field` of the result): named in the result, and marked on
   * the form when the form shows it.
   */
  function fieldToFix(name) {
    if (!name) return '';
    const slot = $(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot && !slot.closest('[hidden]')) {
      slot.textContent = `Check ${labelOf(name)}: the check failed on it.`;
      const input = field(name);
      if (input) input.setAttribute('aria-invalid', 'true');
    }
    return ` Field to check: ${labelOf(name)}.`;
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
  function isEmail(value) {
    return /^[^\s@]+@[^\s@]+$/.test(value.trim());
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
    for (const radio of $$('input[name="type"]')) radio.addEventListener('change', onTypeChange);
    field('port').addEventListener('input', onPortInput);
    field('useTls').addEventListener('change', renderTlsMode);
    field('username').addEventListener('input', onUsernameInput);
    field('provider').addEventListener('change', onProviderChange);
    Object.assign(LABELS, certificate().LABELS);
    for (const radio of $$('input[name="credential"]')) {
      radio.addEventListener('change', () => setType(currentType()));
    }
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

  function onLoadError(error) {
    if (!(error instanceof SignedOut)) showSignIn('Could not load the settings: ' + error.message);
  }

  document.addEventListener('DOMContentLoaded', start);
})();
