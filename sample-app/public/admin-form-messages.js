// What a settings form of the admin page says (window.AdminFormMessages, used by admin-form.js):
// the API's field names in the form's labels, and the API's errors, warnings and failed checks at
// their fields or in the form's boxes.
(function () {
  'use strict';

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
    ...window.AdminCertificate.LABELS,
  };
  const words = () => window.AdminWords;

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

  function showStatus(box, kind, ...content) {
    box.className = 'alert ' + kind;
    box.replaceChildren(...content);
    box.hidden = false;
  }

  function paragraph(text) {
    const el = document.createElement('p');
    el.textContent = text;
    return el;
  }

  /**
   * The messages of one form: its `field(name)` and `root`, its credential (`certificate`), and
   * what it shows (`currentType`, `currentProvider`, `showsSaved`).
   */
  function create({ field, root, certificate, currentType, currentProvider, showsSaved }) {
    const $ = (selector) => root.querySelector(selector);
    const $$ = (selector) => Array.from(root.querySelectorAll(selector));

    function clearMessages() {
      for (const el of $$('.field-error')) el.textContent = '';
      for (const el of $$('[aria-invalid]')) el.removeAttribute('aria-invalid');
      for (const name of ['form-errors', 'warnings', 'form-status']) {
        field(name).hidden = true;
        field(name).replaceChildren();
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
        const box = field('form-errors');
        box.replaceChildren(...general.map((m) => paragraph(m)));
        box.hidden = false;
      }
      // A group (the certificate and its key) is marked as a whole: its first box takes the focus.
      const first = $('[aria-invalid="true"]');
      if (first) (first.querySelector('textarea, input, select') || first).focus();
    }

    function showWarnings(warnings) {
      const box = field('warnings');
      box.hidden = !warnings || warnings.length === 0;
      box.replaceChildren(...(warnings || []).map((w) => paragraph('Warning: ' + inAdminWords(w))));
    }

    /**
     * Microsoft's credential that the chosen kind needs and the form lacks (the API would keep the
     * stored one of the other kind): said at its field; true when nothing should be sent.
     */
    function lacksCredential() {
      const provider = currentType() === 'bearer' ? currentProvider() : null;
      const problem = certificate.missing(provider, showsSaved(), field('clientSecret').value);
      if (!problem) return false;
      clearMessages();
      showErrors({ errors: [problem] });
      return true;
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

    /** A failed check (a verify result) in the admin's words, with the field to fix marked. */
    function failedCheck(r) {
      const { step, sentence } = words();
      return `Verification failed ${step(r.stage)}: ${sentence(inAdminWords(r.message))}${fieldToFix(r.field)}`;
    }

    return { clearMessages, showErrors, showWarnings, lacksCredential, fieldToFix, failedCheck };
  }

  window.AdminFormMessages = { LABELS, create, inAdminWords, labelOf, paragraph, showStatus };
})();
