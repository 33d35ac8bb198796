import type { LoggerService } from '@nestjs/common';
import { loadOrCreateKeyFile } from '../../crypto/key-file';
import type { FileSmtpSettingsStore } from './file-smtp-settings.store';
import { settingsFileHoldsSealedSecrets } from './settings-file';

/**
 * The key for a file store used without `encryptionKey`: the key file beside its data file,
 * generated once, and never while the data file holds secrets that an older key sealed.
 */
export function fileStoreKey(store: FileSmtpSettingsStore, logger: LoggerService): Promise<Buffer> {
  return loadOrCreateKeyFile({
    dataFile: store.path,
    holdsSealedSecrets: () => settingsFileHoldsSealedSecrets(store.path),
    logger,
  });
}
