import fc from 'fast-check';
import request from 'supertest';
import type { App } from 'supertest/types';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { BASIC, BEARER } from '../fixtures/settings-bodies';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const RUNS = 2000;
/** A body takes about 3 ms on a quiet machine and 26 ms on a loaded one; 100 ms leaves room. */
const BODY_BUDGET_MS = 100;

/** Values that break assumptions: wrong types, huge, unicode, line breaks, numbers as strings. */
const adversarial = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string().map((s) => `${s}\r\nBcc: evil@example.com`),
  fc.constantFrom(
    '',
    ' ',
    '587',
    '1e3',
    'true',
    'null',
    '__proto__',
    '\u0000',
    '\u202e',
    'x'.repeat(20_000),
  ),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 65536, 2 ** 53, Number.MAX_VALUE),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 5 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
  fc.integer({ min: 1, max: 3000 }).map((depth) => nested(depth)),
);

/** Hostnames stay on loopback or invalid, so that nothing fuzzed ever reaches a real host. */
const hostname = fc.oneof(
  fc.constantFrom('127.0.0.1', 'localhost', '::1'),
  fc.string().map((s) => `smtp://${s}`),
  fc.string().map((s) => `bad host ${s}`),
  adversarial.filter((v) => typeof v !== 'string'),
);

const SECRET_KEYS = new Set(['password', 'clientSecret', 'privateKey']);
const keys = fc.constantFrom(...new Set([...Object.keys(BASIC), ...Object.keys(BEARER)]));
const pollution = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
);

/** A valid body with some fields replaced, dropped or added; or any JSON at all. */
const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom<Record<string, unknown>>(BASIC, BEARER),
        fc.array(fc.tuple(keys, adversarial), { maxLength: 4 }),
        fc.array(keys, { maxLength: 2 }),
        fc.array(fc.tuple(fc.oneof(pollution, fc.string()), adversarial), { maxLength: 2 }),
        hostname,
      )
      .map(([base, replaced, dropped, extra, host]) => {
        const entries = new Map<string, unknown>(
          Object.entries({ ...base, hostname: host, port: 1 }),
        );
        for (const [key, value] of replaced) {
          // A secret spelled like a key the validator names ("property __proto__ is not allowed")
          // would read as a leak to the scan, though the message names the key, not the secret.
          if (SECRET_KEYS.has(key) && value === '__proto__') continue;
          entries.set(key, key === 'hostname' ? host : value);
        }
        for (const key of dropped) entries.delete(key);
        return [...entries, ...extra];
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => value) },
);

/** JSON text built by hand, so that keys such as __proto__ arrive as own properties. */
function toJson(value: unknown): string {
  if (
    Array.isArray(value) &&
    value.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')
  ) {
    return `{${(value as Array<[string, unknown]>).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe('Fuzzing the settings routes', () => {
  let ctx: SettingsApp;
  let http: App;

  beforeAll(async () => {
    ctx = await createSettingsApp({
      adminActionsRateLimit: false,
      // A closed port: a Bearer body that passes validation must not reach Microsoft.
      microsoft: { authorityHost: 'https://127.0.0.1:1' },
      // Every verify outcome satisfies the property, so this timeout decides no result: it only
      // caps the wait of a body whose port happens to be open on this machine.
      verifyTimeoutMs: 500,
    });
    ctx.installed.add('smtp-oauth');
    http = ctx.app.getHttpServer();
  });
  afterAll(() => ctx.app.close());

  const send = (method: 'put' | 'post', path: string, payload: unknown) =>
    request(http)
      [method](path)
      .set(AUTH)
      .set('Content-Type', 'application/json')
      .send(toJson(payload));

  it(
    `answers ${RUNS} adversarial PUT bodies with 400 or 2xx, and only a valid one changes what is stored`,
    async () => {
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const before = await ctx.store.get('default');
          const res = await send('put', '/smtp-settings', payload);
          statuses.add(res.status);
          expect([200, 400]).toContain(res.status);
          if (res.status === 400) {
            // Ours list the fields; a body that is not JSON at all is refused earlier, by the parser.
            expect(res.body.errors?.length ?? res.body.message.length).toBeGreaterThan(0);
            expect(await ctx.store.get('default')).toEqual(before);
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
      // The generator must reach both sides of the rule, or the property proves little.
      expect([...statuses].sort()).toEqual([200, 400]);
    },
    RUNS * BODY_BUDGET_MS,
  );

  it(
    `answers ${RUNS} adversarial verify bodies with 400 or 200, never a 500`,
    async () => {
      const before = await ctx.store.get('default');
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const res = await send('post', '/smtp-settings/verify', payload);
          expect([200, 400]).toContain(res.status);
          if (res.status === 200) expect(typeof res.body.ok).toBe('boolean');
        }),
        { numRuns: RUNS },
      );
      expect(await ctx.store.get('default')).toEqual(before);
    },
    RUNS * BODY_BUDGET_MS,
  );
});
