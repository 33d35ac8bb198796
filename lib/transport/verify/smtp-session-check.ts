import SMTPConnection from 'nodemailer/lib/smtp-connection';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { AUTH_NOT_OFFERED } from '../../diagnosis/explain-smtp-failure';

/** What one checked session reached. */
export interface SessionCheck {
  tls: 'implicit' | 'starttls' | 'none';
  authenticated: boolean;
}

/**
 * Connects, says EHLO, negotiates TLS and signs in on a connection of its own, then quits; sends
 * nothing. Unlike nodemailer's `verify()`, a server that offers no AUTH while the options carry
 * credentials is a failure: nodemailer would skip the login and call the session fine.
 */
export function checkSmtpSession(options: SMTPTransport.Options): Promise<SessionCheck> {
  // The transport reads a URL into options and builds the XOAUTH2 token handler; it opens nothing.
  const transport = new SMTPTransport(options);
  const auth = transport.getAuth({});
  const connection = new SMTPConnection(transport.options);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      connection.close();
      reject(error);
    };
    const pass = (authenticated: boolean) => {
      if (settled) return;
      settled = true;
      const tls = !connection.secure ? 'none' : transport.options.secure ? 'implicit' : 'starttls';
      connection.quit();
      resolve({ tls, authenticated });
    };
    // Kept for the connection's whole life: a late error must not go unhandled.
    connection.on('error', fail);
    connection.once('end', () => fail(new Error('Connection closed unexpectedly')));
    connection.connect((error?: Error | null) => {
      if (error) return fail(error);
      if (!auth) return pass(false);
      if (!connection.allowsAuth) {
        return fail(
          Object.assign(new Error('The server offered no authentication'), {
            code: AUTH_NOT_OFFERED,
            command: 'EHLO',
          }),
        );
      }
      connection.login(auth, (loginError) => (loginError ? fail(loginError) : pass(true)));
    });
  });
}
