/**
 * 2. Settings reads: GET /smtp-settings under load against a bare route of the same app that
 * returns a constant JSON of the same size. Reads must come from memory: the store's `get` is
 * counted during the run.
 */
import { Controller, Get } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SmtpSettingsService } from '../lib';
import { ADMIN_TOKEN } from '../test/fixtures/admin.guard';
import { alternate, pairedRatios } from './lib/alternate';
import { HttpLoadClient, type HttpLoadResult } from './lib/http-load';
import { mustBeZero, runAsScript, summary } from './lib/report';
import { basicSettings, createBenchApp } from './lib/setup';
import { median } from './lib/stats';
import { fixed2, printTable, verdict } from './lib/table';

const CONNECTIONS = 50;
const WARMUP_SEC = 2;
const ROUND_SEC = 3;
const ROUNDS = 5;
const TARGET = 0.9;

/** What the bare route answers: a copy of the settings response, set before the load starts. */
let constantBody: unknown = null;

@Controller('bare')
class BareController {
  @Get()
  get(): unknown {
    return constantBody;
  }
}

export async function settingsReads(): Promise<void> {
  const { app, store } = await createBenchApp({}, { controllers: [BareController] });
  const client = await HttpLoadClient.start();
  try {
    await app
      .get(SmtpSettingsService)
      .update(basicSettings({ host: '127.0.0.1', port: 2525 }), { actor: 'bench' });
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const settingsBody = await (await fetch(`${base}/smtp-settings`, { headers })).text();
    constantBody = JSON.parse(settingsBody);
    const bareBody = await (await fetch(`${base}/bare`, { headers })).text();
    if (bareBody.length !== settingsBody.length)
      throw new Error('the bare route must answer the same size');

    store.gets = 0;
    const load = (path: string) => (round: number) =>
      client.run({
        url: `${base}${path}`,
        connections: CONNECTIONS,
        durationSec: round < 0 ? WARMUP_SEC : ROUND_SEC,
        headers,
      });
    const results = await alternate<HttpLoadResult>(
      [
        { name: 'GET /smtp-settings', run: load('/smtp-settings') },
        { name: 'GET /bare (constant)', run: load('/bare') },
      ],
      { warmup: 1, rounds: ROUNDS, label: 'settings-reads' },
    );
    const storeGets = mustBeZero('store.get calls during the load', store.gets);

    const [settings, bare] = [...results.values()] as [HttpLoadResult[], HttpLoadResult[]];
    const rows = [...results].map(([name, rounds]) => {
      const failed = rounds.reduce((n, r) => n + r.non2xx + r.errors, 0);
      mustBeZero(`${name} non-2xx or errors`, failed);
      return {
        name,
        reqPerSec: median(rounds.map((r) => r.reqPerSec)),
        p50: median(rounds.map((r) => r.p50)),
        p99: median(rounds.map((r) => r.p99)),
        ratio: median(pairedRatios(rounds, bare, (r) => r.reqPerSec)),
        requests: rounds.reduce((n, r) => n + r.requests, 0),
        failed,
        perRound: rounds.map((r) => r.reqPerSec.toFixed(0)).join(' '),
      };
    });
    printTable(
      `Settings reads: autocannon, ${CONNECTIONS} connections, median of ${ROUNDS} alternating ${ROUND_SEC} s rounds; bodies ${settingsBody.length} bytes each`,
      ['route', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'requests', 'failed', 'req/s by round'],
      rows.map((r) => [
        r.name,
        r.reqPerSec,
        r.p50,
        r.p99,
        fixed2(r.ratio),
        r.requests,
        r.failed,
        r.perRound,
      ]),
    );
    console.log(
      `store.get calls during ${rows[0]!.requests + rows[1]!.requests} requests: ${storeGets}`,
    );
    const ratio = median(pairedRatios(settings, bare, (r) => r.reqPerSec));
    summary(
      `reads settings/bare=${fixed2(ratio)} store.get=${storeGets} ` +
        `(target settings/bare>=${TARGET} ${verdict(ratio >= TARGET)}, store.get=0)`,
    );
  } finally {
    await client.close();
    await app.close();
  }
}

if (require.main === module) runAsScript('settings-reads', settingsReads);
