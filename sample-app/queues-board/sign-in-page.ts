import { QUEUES_BOARD_PATH } from './board-credentials';

/** The board's sign-in form: no script, so that the tightest CSP holds. */
export const SIGN_IN_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page a browser gets instead of the board while it has no valid token. */
export function signInPage(problem?: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Outbox queue: sign in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto">
<h1>Outbox queue</h1>
<p>Sign in with an admin token. The default tenant's admin can retry and remove jobs; another tenant's admin sees its own tenant's messages only, read-only.</p>
${problem ? `<p role="alert" style="color: #b00020">${escape(problem)}</p>` : ''}
<form method="post" action="${QUEUES_BOARD_PATH}/sign-in">
<label>Admin token <input name="token" type="password" autocomplete="off" required></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
