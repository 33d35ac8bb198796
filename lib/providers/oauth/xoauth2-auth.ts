import type { SMTPPoolOptions } from 'nodemailer';
import type { TokenSource } from './access-token';

/** XOAUTH2 as the mailbox, with tokens from `tokens`; nodemailer reuses one until `expires`. */
export function xoauth2Auth(username: string, tokens: TokenSource): SMTPPoolOptions['auth'] {
  return {
    type: 'OAuth2',
    user: username,
    // A method, not an arrow: nodemailer calls it on the connection's XOAuth2 object, whose
    // `accessToken` is the token the server refused when `renew` is set.
    provisionCallback(
      this: { accessToken?: string | false } | undefined,
      _user: string,
      renew: boolean,
      callback: (error: Error | null, token?: string, expires?: number) => void,
    ) {
      tokens(renew, (renew && this?.accessToken) || undefined).then(
        (token) => callback(null, token.accessToken, token.expiresOn),
        (error: Error) => callback(error),
      );
    },
  } as SMTPPoolOptions['auth'];
}
