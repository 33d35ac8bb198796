import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { alternate, pairedRatios } from './alternate';
import type { HttpLoadClient, HttpLoadResult } from './http-load';
import { runLoad } from './load';
import { mustBeZero } from './report';
import { median } from './stats';
import { fixed2, printTable, verdict } from './table';
import { tenantId } from './tenants-setup';

const GET = { connections: 50, warmupSec: 2, roundSec: 3, rounds: 5 };
export const READS_TARGET = 0.9;

export interface ReadsComparison {
  /** Median of the rounds' p99(1 tenant) / p99(all tenants): 1 means as fast, below 1 slower. */
  p99Ratio: number;
  /** Median of the rounds' req/s(all tenants) / req/s(1 tenant). */
  rateRatio: number;
}

/**
 * GET /smtp-settings on an app with `tenants` tenants, every request from another tenant's admin,
 * against an app with one tenant, side by side: alternating autocannon rounds, response times to
 * the microsecond. First every tenant is read once (from the store when it was never used).
 */
export async function compareReads(
  client: HttpLoadClient,
  tenants: number,
  manyApp: INestApplication,
  oneApp: INestApplication,
  manyStore: { gets: number },
): Promise<ReadsComparison> {
  const listen = async (app: INestApplication) => {
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/smtp-settings`;
  };
  const [manyUrl, oneUrl] = [await listen(manyApp), await listen(oneApp)];
  const tokens = Array.from({ length: tenants }, (_, i) => `Bearer ${tenantId(i)}`);

  const storeGets = manyStore.gets;
  const firstReads = await runLoad({
    count: tenants,
    concurrency: 16,
    send: async (i) => {
      const res = await fetch(manyUrl, { headers: { authorization: tokens[i]! } });
      if (!res.ok) throw new Error(`GET as ${tenantId(i)}: ${res.status}`);
      await res.arrayBuffer();
    },
  });
  mustBeZero('failed first GETs', firstReads.failed);
  const readFromStore = manyStore.gets - storeGets;

  manyStore.gets = 0;
  const load = (url: string, values: string[]) => (round: number) =>
    client.run({
      url,
      connections: GET.connections,
      durationSec: round < 0 ? GET.warmupSec : GET.roundSec,
      rotate: { header: 'authorization', values },
      exact: true,
    });
  const results = await alternate<HttpLoadResult>(
    [
      { name: `${tenants} tenants`, run: load(manyUrl, tokens) },
      { name: '1 tenant', run: load(oneUrl, [tokens[0]!]) },
    ],
    { warmup: 1, rounds: GET.rounds, label: 'tenants GET' },
  );
  const [many, single] = [...results.values()] as [HttpLoadResult[], HttpLoadResult[]];
  const p99 = (r: HttpLoadResult) => r.exact!.p99;
  const rows = [...results].map(([name, rounds]) => {
    mustBeZero(
      `${name} non-2xx or errors`,
      rounds.reduce((n, r) => n + r.non2xx + r.errors, 0),
    );
    return [
      name,
      median(rounds.map((r) => r.reqPerSec)),
      median(rounds.map((r) => r.exact!.p50)).toFixed(2),
      median(rounds.map(p99)).toFixed(2),
      rounds.reduce((n, r) => n + r.requests, 0),
      rounds.map((r) => p99(r).toFixed(2)).join(' '),
    ];
  });
  const p99Ratio = median(pairedRatios(single, many, p99));
  const rateRatio = median(pairedRatios(many, single, (r) => r.reqPerSec));
  printTable(
    `GET /smtp-settings: autocannon, ${GET.connections} connections, each request from another of ${tenants} tenants' admins, or from the one tenant's; median of ${GET.rounds} alternating ${GET.roundSec} s rounds (after 1 warm-up)`,
    ['app', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'p99 ms by round'],
    rows,
  );
  console.log(
    `first GET of each of the ${tenants} tenants (${readFromStore} read from PostgreSQL then): ` +
      `p50 ${firstReads.p50.toFixed(2)} ms, p99 ${firstReads.p99.toFixed(2)} ms; ` +
      `store reads during the rounds: ${manyStore.gets}`,
  );
  console.log(
    `p99 1 tenant/${tenants} tenants = ${fixed2(p99Ratio)} (target >= ${READS_TARGET}: ` +
      `${verdict(p99Ratio >= READS_TARGET)}); req/s ${tenants}/1 = ${fixed2(rateRatio)}`,
  );
  return { p99Ratio, rateRatio };
}
