import type { LoggerService } from '@nestjs/common';
import { keyFilePath, loadOrCreateKeyFile } from '../../crypto/key-file';
import type { FileSmtpSettingsStore } from './file-smtp-settings.store';

/**
 * The key for a file store used without `encryptionKey`: the key file beside its data file,
 * generated once, and never while a tenant file holds secrets that an older key sealed.
 */
export function fileStoreKey(store: FileSmtpSettingsStore, logger: LoggerService): Promise<Buffer> {
  return loadOrCreateKeyFile({
    keyFile: keyFilePath(store.path),
    data: store.dir,
    findSealedSecrets: () => store.findSealedSecrets(),
    logger,
  });
}
