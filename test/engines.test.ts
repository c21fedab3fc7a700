import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/process.js';

interface LockEntry {
  version?: string;
  optional?: boolean;
  engines?: { node?: string } | string[];
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;

describe('Node engines', () => {
  const declared = readJson<{ engines: { node: string } }>('package.json').engines.node;
  const oldest = semver.minVersion(declared)!.version;

  it('the oldest Node the package declares, and the one running, satisfy every installed package', () => {
    const lock = readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
    // Optional packages whose engines do not fit are skipped by npm, so they cannot break an install.
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => !entry.optional && entry.engines && !Array.isArray(entry.engines) && entry.engines.node)
      .filter(([, entry]) => {
        const range = (entry.engines as { node: string }).node;
        return !semver.satisfies(oldest, range) || !semver.satisfies(process.version, range);
      })
      .map(([name, entry]) => `${name}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
    expect(declared).toBe('>=20.19');
    expect(refusing).toEqual([]);
  });

  it('the SDK claims the same Node as the server', () => {
    expect(readJson<{ engines: { node: string } }>('client-sdk/package.json').engines.node).toBe(declared);
  });

  it('npm refuses to install a package whose engines exclude this Node (engine-strict)', () => {
    expect(fs.readFileSync(path.join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });
});
