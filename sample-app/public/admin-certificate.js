// The credential of Microsoft 365 settings (SMTP and Graph) on the admin page: a client secret, or a
// certificate and its private key (window.AdminCertificate, used by admin.js). The key is
// write-only as every secret: never filled from the API; the page shows which certificate is stored
// (subject, SHA-256 thumbprint, expiry) and says when it has expired or expires within 30 days.
(function () {
  'use strict';

  /** The providers that take `clientCertificate` instead of `clientSecret`. */
  const PROVIDERS = ['microsoft', 'microsoft-graph'];
  /** The API warns of a certificate that expires sooner than this: the page says it too. */
  const WARNING_DAYS = 30;
  const DAY_MS = 24 * 60 * 60 * 1000;
  /** The API's field names, as the form's labels say them. */
  const LABELS = {
    clientCertificate: 'Certificate',
    'clientCertificate.certificate': 'Certificate',
    'clientCertificate.privateKey': 'Certificate private key',
  };
  const RENEW =
    'create a new certificate, upload it to the app registration (Certificates & secrets, ' +
    'Certificates) and paste it here with its private key';

  /**
   * The credential of one form: `prefix` starts the ids (and the credential radios' name) of its
   * fields, '' for the main settings, 'backup-' for the backup connection.
   */
  function create(prefix) {
    const $ = (selector) => document.querySelector(selector);
    const byId = (id) => document.getElementById(prefix + id);
    const textarea = (part) => byId('clientCertificate.' + part);

    /** 'certificate' or 'secret': what the admin chose. */
    function kind() {
      const checked = $(`input[name="${prefix}credential"]:checked`);
      return checked ? checked.value : 'secret';
    }

    function choose(value) {
      $(`input[name="${prefix}credential"][value="${value}"]`).checked = true;
    }

    /** Saved settings sign in with a certificate when their view shows one. */
    function usesCertificate(settings) {
      return !!settings && PROVIDERS.includes(settings.provider) && !!settings.clientCertificate;
    }

    /** The form shows `settings` (or none): the saved kind is chosen, and both boxes are empty. */
    function fill(settings) {
      choose(usesCertificate(settings) ? 'certificate' : 'secret');
      textarea('certificate').value = '';
      textarea('privateKey').value = '';
    }

    function pasted(part) {
      return textarea(part).value.trim();
    }

    /**
     * Puts the credential into `body` for a Microsoft provider: a pasted certificate goes with its
     * key; both empty, neither goes (the stored credential is kept). One without the other is sent as
     * it is, so that the API names the missing one. Returns false when the client secret is chosen.
     */
    function putInto(body) {
      if (kind() !== 'certificate') return false;
      const certificate = pasted('certificate');
      const privateKey = pasted('privateKey');
      if (certificate || privateKey) {
        body.clientCertificate = {};
        if (certificate) body.clientCertificate.certificate = certificate;
        if (privateKey) body.clientCertificate.privateKey = privateKey;
      }
      return true;
    }

    /**
     * What the form lacks before it is sent, as `{ field, message }`, or null: without a new
     * credential, the API keeps the stored one, whatever kind the admin chose. `saved` is the saved
     * settings when the form shows them, `secret` what the client secret field holds.
     */
    function missing(provider, saved, secret) {
      if (!PROVIDERS.includes(provider)) return null;
      const stored = usesCertificate(saved) ? saved : null;
      if (kind() === 'secret') {
        return stored && !secret
          ? {
              field: 'clientSecret',
              message:
                'Enter a client secret to switch from the stored certificate, or choose Certificate to keep it.',
            }
          : null;
      }
      if (pasted('certificate') || pasted('privateKey')) return null;
      if (stored && stored.clientCertificateSet === true) return null;
      return {
        field: 'clientCertificate.certificate',
        message: stored
          ? 'The stored private key cannot be used: paste the certificate and its private key again.'
          : 'Paste the certificate and its private key (PEM) to sign in with a certificate.',
      };
    }

    // ---- What is stored ----

    /**
     * The stored certificate (which one, until when), the placeholders of the boxes, and a note on
     * what saving the other kind replaces. `saved` is the saved settings when the form shows them.
     */
    function render(saved) {
      const stored = usesCertificate(saved) ? saved : null;
      const keyStored = !!stored && stored.clientCertificateSet === true;
      for (const part of ['certificate', 'privateKey']) {
        textarea(part).placeholder = keyStored ? 'stored' : '';
      }
      byId('clientCertificate').querySelector('.secret-hint').hidden = !keyStored;
      renderStored(stored);
      renderSwitchNote(saved);
    }

    function renderStored(stored) {
      const box = byId('certificate-stored');
      box.hidden = !stored;
      if (!stored) return;
      const view = stored.clientCertificate;
      byId('certificate-subject').textContent = view.subject || 'Cannot be read';
      byId('certificate-thumbprint').textContent = view.thumbprintSha256 || '—';
      const expires = byId('certificate-expires');
      const notAfter = Date.parse(view.notAfter);
      if (Number.isNaN(notAfter)) {
        expires.replaceChildren('—');
      } else {
        const time = document.createElement('time');
        time.dateTime = view.notAfter;
        time.title = new Date(notAfter).toLocaleString();
        time.textContent = dayOf(notAfter);
        expires.replaceChildren(time, ` (${untilExpiry(notAfter)})`);
      }
      const note = expiryNote(view, notAfter, stored.clientCertificateSet === true);
      const line = byId('certificate-expiry');
      line.hidden = !note;
      line.className = 'certificate-note ' + (note ? note.tone : '');
      line.dataset.tone = note ? note.tone : '';
      line.textContent = note ? note.text : '';
    }

    /** Red once no mail can be sent with it, amber within 30 days of its expiry. */
    function expiryNote(view, notAfter, keyUsable) {
      if (!view.subject || Number.isNaN(notAfter)) {
        return {
          tone: 'error',
          text: 'The stored certificate cannot be read: paste the certificate and its private key again.',
        };
      }
      const left = notAfter - Date.now();
      if (left <= 0) {
        return {
          tone: 'error',
          text: `Expired on ${dayOf(notAfter)}: Entra ID refuses it, so no mail can be sent. To fix it, ${RENEW}.`,
        };
      }
      if (!keyUsable) {
        return {
          tone: 'error',
          text: 'The stored private key cannot be used: paste the certificate and its private key again.',
        };
      }
      if (left < WARNING_DAYS * DAY_MS) {
        const days = Math.ceil(left / DAY_MS);
        return {
          tone: 'warning',
          text: `Expires in ${days} day${days === 1 ? '' : 's'}, on ${dayOf(notAfter)}: ${RENEW} before then.`,
        };
      }
      return null;
    }

    function untilExpiry(notAfter) {
      const left = notAfter - Date.now();
      if (left <= 0) return 'expired';
      const days = Math.ceil(left / DAY_MS);
      return `in ${days} day${days === 1 ? '' : 's'}`;
    }

    /** Saving the other kind than the stored one replaces it: said under the choice. */
    function renderSwitchNote(saved) {
      const note = byId('credential-switch');
      let text = '';
      if (saved && PROVIDERS.includes(saved.provider)) {
        if (kind() === 'secret' && usesCertificate(saved)) {
          text = 'A certificate is stored: saving with a client secret replaces it.';
        } else if (kind() === 'certificate' && saved.clientSecretSet !== undefined) {
          text = 'A client secret is stored: saving with a certificate replaces it.';
        }
      }
      note.hidden = !text;
      note.textContent = text;
    }

    return { kind, fill, putInto, missing, render };
  }

  /** The day in UTC, as the API's warnings write it. */
  function dayOf(time) {
    return new Date(time).toISOString().slice(0, 10);
  }

  window.AdminCertificate = { LABELS, create, ...create('') };
})();
