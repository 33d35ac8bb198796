/** Google Workspace (Bearer, provider `google`) options. The module's `tls.ca` is trusted for them too. */
export interface GoogleOptions {
  /**
   * Where service account tokens are asked for (the JWT bearer grant). For tests and private
   * endpoints that pass the request on to Google: the JWT's audience stays Google's token endpoint,
   * which is what Google checks. HTTPS only; the certificate is always verified.
   * @default 'https://oauth2.googleapis.com/token'
   */
  tokenUrl?: string;
  /**
   * What a message with more than Google's 100 recipients does: `reject` refuses it before sending
   * (RecipientLimitExceededError), `split` sends it in batches of 100 (each batch is its own
   * transaction). Google also allows 2,000 messages a day per mailbox, which is not enforced here.
   * @default the relay's `recipientPolicy` ('reject')
   */
  recipientPolicy?: 'reject' | 'split';
}
