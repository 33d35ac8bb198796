// A settings form of the admin page (window.AdminForm): the main settings and the backup connection
// have the same fields, rules and messages. `create({ prefix, root, saved, capabilities })` binds
// the fields whose ids start with `prefix` inside `root`: which fields the type, provider and
// credential show, and the form's body for the API; its messages are admin-form-messages.js's.
(function () {
  'use strict';

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
  /** Fields of the settings view that describe a secret and are never sent back. */
  const VIEW_ONLY = ['clientCertificate'];

  const { inAdminWords, labelOf, paragraph, showStatus } = window.AdminFormMessages;

  /**
   * `saved()` is the saved settings of this form (or null), `capabilities()` the API's
   * capabilities; both are read when needed.
   */
  function create({ prefix, root, saved, capabilities }) {
    const field = (name) => document.getElementById(prefix + name);
    const $ = (selector) => root.querySelector(selector);
    const $$ = (selector) => Array.from(root.querySelectorAll(selector));
    const certificate = window.AdminCertificate.create(prefix);
    const messages = window.AdminFormMessages.create({
      field,
      root,
      certificate,
      currentType,
      currentProvider,
      showsSaved,
    });
    const { clearMessages } = messages;
    let lastUsername = '';

    function currentType() {
      return $(`input[name="${prefix}type"]:checked`).value;
    }

    function currentProvider() {
      return field('provider').value;
    }

    /** Shows the fields of the type and, for Bearer, of the provider (`data-providers`). */
    function setType(type) {
      $(`input[name="${prefix}type"][value="${type}"]`).checked = true;
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
        (credential !== null && credential !== certificate.kind())
      );
    }

    /** The TLS mode means something only with "Send using TLS" on: hidden while it is off. */
    function renderTlsMode() {
      const box = field('tlsMode').closest('.field');
      box.hidden = notForForm(box) || !field('useTls').checked;
    }

    /** Whether the form shows the saved settings' type and provider (their secret is stored). */
    function showsSaved() {
      const settings = saved();
      if (!settings || settings.type !== currentType()) return null;
      return settings.type === 'bearer' && settings.provider !== currentProvider()
        ? null
        : settings;
    }

    /** A stored secret is never sent to the page: its input says "stored" and may stay empty. */
    function renderSecretPlaceholders() {
      const settings = showsSaved();
      for (const name of SECRETS) {
        const input = field(name);
        const stored = !!settings && settings[name + 'Set'] === true;
        input.placeholder = stored ? 'stored' : '';
        input.closest('.field').querySelector('.secret-hint').hidden = !stored;
      }
      certificate.render(settings);
    }

    function fill(settings) {
      clearMessages();
      for (const name of FIELDS) field(name).value = '';
      certificate.fill(settings);
      const caps = capabilities();
      const defaults = caps ? caps.defaults : null;
      if (settings) {
        for (const name of FIELDS) {
          if (settings[name] !== undefined && !SECRETS.includes(name)) {
            field(name).value = String(settings[name]);
          }
        }
        field('useTls').checked = settings.useTls !== false; // on for Graph, which has no TLS field
        field('tlsMode').value = settings.tlsMode || '';
        field('optional-fields').open = !!(settings.senderName || settings.replyTo);
        lastUsername = settings.username;
        setType(settings.type);
      } else {
        field('provider').value = 'microsoft';
        field('tlsMode').value = '';
        field('port').value = String(defaults ? defaults.basic.port : 25);
        field('useTls').checked = defaults ? defaults.basic.useTls : false;
        lastUsername = '';
        setType('basic');
      }
    }

    /** Switching type proposes that type's defaults, unless its saved settings can be shown. */
    function onTypeChange() {
      const type = currentType();
      const settings = saved();
      if (settings && settings.type === type) return fill(settings);
      const defaults = capabilities().defaults[type];
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
      const settings = saved();
      if (settings && settings.type === 'bearer' && settings.provider === provider) {
        return fill(settings);
      }
      const caps = capabilities();
      const all = (caps.defaults && caps.defaults.providers) || {};
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
      const offered = capabilities().providers || ['microsoft'];
      const settings = saved();
      for (const option of Array.from(field('provider').options)) {
        option.hidden =
          !offered.includes(option.value) && !(settings && settings.provider === option.value);
      }
    }

    /** Bearer needs the upgrade: its option is off, and says so, while it is not installed. */
    function renderBearer() {
      const caps = capabilities();
      const allowed = caps.authTypes.includes('bearer');
      $(`input[name="${prefix}type"][value="bearer"]`).disabled = !allowed;
      field('bearer-option').classList.toggle('disabled', !allowed);
      field('bearer-option').title = allowed
        ? ''
        : `Install ${caps.upgrade.name} in the Upgrade Center`;
      field('bearer-locked').hidden = allowed;
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
      if (currentType() === 'bearer' && (!sender.value.trim() || sender.value === lastUsername)) {
        sender.value = username;
      }
      lastUsername = username;
    }

    /** The body of the form's type and provider: fields of another provider are never sent. */
    function body() {
      const type = currentType();
      const provider = type === 'bearer' ? currentProvider() : null;
      const text = (name) => field(name).value.trim();
      const result = { type, ...untouchedFields(type) };
      const put = (name, value) => {
        if (value !== '') result[name] = value;
      };
      put('hostname', text('hostname'));
      const port = text('port');
      put('port', /^\d+$/.test(port) ? Number(port) : port);
      put('username', text('username'));
      put('senderEmail', text('senderEmail'));
      result.useTls = field('useTls').checked;
      put('senderName', text('senderName'));
      put('replyTo', text('replyTo'));
      put('tlsMode', field('tlsMode').value);
      if (provider) put('provider', provider);
      if (provider === 'microsoft-graph') {
        for (const name of SMTP_ONLY) delete result[name];
        delete result.useTls;
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
      if (secret === 'clientSecret' && certificate.putInto(result)) return result;
      put(secret, secret === 'privateKey' ? field(secret).value.trim() : field(secret).value);
      return result;
    }

    /**
     * Saved fields that the form does not show (a newer API may add some): sent back as they are,
     * so that saving from the page never drops a setting that the admin did not touch.
     */
    function untouchedFields(type) {
      const settings = showsSaved();
      if (!settings || settings.type !== type) return {};
      const kept = {};
      for (const [name, value] of Object.entries(settings)) {
        if (name === 'type' || FIELDS.includes(name) || name === 'useTls') continue;
        if (name.endsWith('Set')) continue; // passwordSet, clientSecretSet…: flags, not fields
        if (VIEW_ONLY.includes(name)) continue; // what the stored certificate is, not its PEM
        kept[name] = value;
      }
      return kept;
    }

    /** What the admin's input changes in the form itself. */
    function listen() {
      for (const radio of $$(`input[name="${prefix}type"]`)) {
        radio.addEventListener('change', onTypeChange);
      }
      field('port').addEventListener('input', onPortInput);
      field('useTls').addEventListener('change', renderTlsMode);
      field('username').addEventListener('input', onUsernameInput);
      field('provider').addEventListener('change', onProviderChange);
      for (const radio of $$(`input[name="${prefix}credential"]`)) {
        radio.addEventListener('change', () => setType(currentType()));
      }
    }

    return {
      ...messages,
      root,
      field,
      currentType,
      currentProvider,
      fill,
      body,
      showsSaved,
      renderProviders,
      renderBearer,
      showStatus: (name, kind, ...content) => showStatus(field(name), kind, ...content),
      listen,
    };
  }

  function isEmail(value) {
    return /^[^\s@]+@[^\s@]+$/.test(value.trim());
  }

  window.AdminForm = { create, inAdminWords, labelOf, paragraph, showStatus };
})();
