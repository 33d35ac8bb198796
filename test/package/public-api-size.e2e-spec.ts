import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './module-specifiers';

/** Issue 21: a reviewer reads the public API in one sitting; @nestjs/bullmq has about 37 names. */
const MAX_PUBLIC_NAMES = 90;

describe('The public API', () => {
  it(`exports ${MAX_PUBLIC_NAMES} names or fewer from lib/index.ts`, () => {
    const barrel = join(ROOT, 'lib', 'index.ts');
    const program = ts.createProgram([barrel], { strict: true, experimentalDecorators: true });
    const checker = program.getTypeChecker();
    const module = checker.getSymbolAtLocation(program.getSourceFile(barrel)!)!;
    const names = checker.getExportsOfModule(module).map((symbol) => symbol.name);
    expect(names).toContain('SmtpSettingsModule');
    expect(names.length).toBeLessThanOrEqual(MAX_PUBLIC_NAMES);
  }, 60_000);
});
