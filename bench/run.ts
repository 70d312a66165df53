/**
 * `npm run bench [-- --quick] [-- --only 1,4]`: measures what the library's promises cost and save, against the
 * bundled EnKash simulator on loopback, side by side with the alternatives, and prints Markdown tables (the figures of
 * BENCHMARKS.md). Never part of `npm test`; its `--quick` smoke run is.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { FULL_RUN, QUICK_RUN } from './bench-sizes.js';
import type { BenchSizes } from './bench-sizes.js';
import { measureCachedToken } from './sections/cached-token.js';
import { measureCallerFailures } from './sections/caller-failures.js';
import { measureColdStart } from './sections/cold-start.js';
import { measureFleet } from './sections/fleet.js';
import { measureMemory } from './sections/memory.js';
import { measurePerCallOverhead } from './sections/per-call-overhead.js';
import { measureRenewalsUnderLoad } from './sections/renewals-under-load.js';
import { measureReplicas } from './sections/replicas.js';
import { renderSection, renderTargets } from './support/report.js';
import type { SectionResult } from './support/report.js';

const SECTIONS: ReadonlyArray<(sizes: BenchSizes) => Promise<SectionResult>> = [
  (sizes) => measurePerCallOverhead(sizes.overhead),
  (sizes) => measureColdStart(sizes.coldStart),
  (sizes) => measureCachedToken(sizes.cachedToken),
  (sizes) => measureRenewalsUnderLoad(sizes.renewals),
  (sizes) => measureMemory(sizes.memory),
  (sizes) => measureReplicas(sizes.replicas),
  (sizes) => measureCallerFailures(sizes.callerFailures),
  (sizes) => measureFleet(sizes.fleet),
];

interface Arguments {
  quick: boolean;
  /** 1-based section numbers to run; all when empty. */
  only: number[];
}

function parseArguments(argv: readonly string[]): Arguments {
  const parsed: Arguments = { quick: false, only: [] };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === '--quick') parsed.quick = true;
    else if (argument === '--only') {
      parsed.only = (argv[++index] ?? '').split(',').map(Number);
      if (parsed.only.some((n) => !Number.isInteger(n) || n < 1 || n > SECTIONS.length)) {
        throw new Error(
          `--only takes section numbers from 1 to ${SECTIONS.length}, e.g. --only 1,4`,
        );
      }
    } else throw new Error(`unknown argument ${argument}; use --quick and/or --only 1,4`);
  }
  return parsed;
}

function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return (
    `Node ${process.version} on ${process.platform}/${process.arch}, ${availableParallelism()} cores (${cpu}), ` +
    `${(totalmem() / 1024 ** 3).toFixed(1)} GiB of memory`
  );
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const sizes = args.quick ? QUICK_RUN : FULL_RUN;
  const command = `npm run bench${args.quick ? ' -- --quick' : ''}`;
  process.stdout.write(
    `## nestjs-enkash-auth benchmarks\n\n${machine()}\n\nCommand: \`${command}\`\n\n`,
  );
  const startedAt = performance.now();
  const results: SectionResult[] = [];
  for (const [index, measure] of SECTIONS.entries()) {
    if (args.only.length > 0 && !args.only.includes(index + 1)) continue;
    const result = await measure(sizes);
    results.push(result);
    process.stdout.write(`${renderSection(result)}\n`);
  }
  process.stdout.write(renderTargets(results));
  process.stdout.write(
    `\nThe run took ${((performance.now() - startedAt) / 1000).toFixed(0)} s.\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
