import { OutboxNotConfiguredError } from './outbox-not-configured.error';

/**
 * A send log route (`GET messages`, `GET messages/:id`, `POST messages/:id/retry`, `GET outbox`)
 * of an app without the `outbox` option: there is no send log to read. The code of
 * `OutboxNotConfiguredError`, which it is; the routes are registered before the options are known,
 * so they exist and throw this.
 */
export class OutboxRoutesNotConfiguredError extends OutboxNotConfiguredError {
  constructor() {
    super(
      'This app has no outbox: the send log exists only with the outbox option of SmtpSettingsModule',
    );
  }
}
