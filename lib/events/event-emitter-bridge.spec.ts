import { describe, expect, it, jest } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ModuleRef } from '@nestjs/core';
import { Subject } from 'rxjs';
import type { EnkashTokenEvent } from './enkash-token-event.interface.js';

// An application without the optional peer dependency: importing it fails, as it does when it is not installed.
jest.unstable_mockModule('@nestjs/event-emitter', () => {
  throw new Error("Cannot find package '@nestjs/event-emitter'");
});
const { bridgeToEventEmitter } = await import('./event-emitter-bridge.js');

/** Every `.ts` source file under `dir`, specs excluded. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the @nestjs/event-emitter bridge', () => {
  it('is the only place lib/ loads @nestjs/event-emitter, and only with import()', () => {
    const libDir = join(process.cwd(), 'lib');
    const loaders = sourceFiles(libDir).filter((file) =>
      readFileSync(file, 'utf8').includes("'@nestjs/event-emitter'"),
    );
    expect(loaders.map((file) => relative(libDir, file))).toEqual([
      join('events', 'event-emitter-bridge.ts'),
    ]);
    const source = readFileSync(loaders[0] ?? '', 'utf8');
    expect(source).not.toMatch(/^\s*(import|export)\s[^;]*from\s+'@nestjs\/event-emitter'/m);
  });

  it('lets go of events$ when @nestjs/event-emitter is not installed', async () => {
    const events = new Subject<EnkashTokenEvent>();
    const get = jest.fn();
    const subscription = bridgeToEventEmitter(
      events.asObservable(),
      { get } as unknown as ModuleRef,
      { warn: jest.fn() },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(subscription.closed).toBe(true);
    expect(events.observed).toBe(false);
    expect(get).not.toHaveBeenCalled();
  });
});
