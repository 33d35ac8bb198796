import { SmtpSettingsError } from './smtp-settings.error';

/** Someone else saved first: the caller's `If-Match` version is stale, and nothing was written. */
export class SettingsVersionConflictError extends SmtpSettingsError {
  readonly code = 'VERSION_CONFLICT';

  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `The settings changed since you loaded them (you have version ${expectedVersion}, the current version is ${currentVersion}). Reload and apply your change again.`,
    );
  }

  override toResponse() {
    return { currentVersion: this.currentVersion };
  }
}
