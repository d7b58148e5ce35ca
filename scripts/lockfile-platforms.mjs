#!/usr/bin/env node
/**
 * Completes package-lock.json with the platform-specific optional packages
 * (biome, swc, unrs resolver bindings for macOS, Windows, musl...) that the
 * registry mirror of this build environment doesn't serve. npm then leaves
 * them out of the lock, and `npm ci` refuses the lock ("Missing: … from lock
 * file"). Each added entry carries `optional`, `os`, `cpu` (and `libc`), so
 * npm skips it on every machine it doesn't match and never fetches it.
 * Idempotent; run it after `npm install` changed the lock.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;

const OS = [
  'android',
  'darwin',
  'linux',
  'win32',
  'freebsd',
  'openharmony',
  'sunos',
  'aix',
  'netbsd',
  'openbsd',
];
const CPU = [
  'arm64',
  'x64',
  'ia32',
  'arm',
  'ppc64',
  's390x',
  'loong64',
  'riscv64',
  'mips64el',
  'wasm32',
];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu =
    parts.find((p) => CPU.includes(p)) ??
    (parts.includes('arm') ? 'arm' : undefined);
  if (!os || !cpu) return undefined;
  const libc =
    parts.includes('musl') || parts.includes('musleabihf')
      ? 'musl'
      : os === 'linux'
        ? 'glibc'
        : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  const optional = entry.optionalDependencies;
  if (!key || !optional) continue;
  const base = key.slice(0, key.lastIndexOf('node_modules/'));
  for (const [dep, version] of Object.entries(optional)) {
    const depKey = `${base}node_modules/${dep}`;
    const rootKey = `node_modules/${dep}`;
    if (pkgs[depKey] || pkgs[rootKey]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(version)) continue;
    pkgs[rootKey] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [platform.os],
      cpu: [platform.cpu],
      ...(platform.libc ? { libc: [platform.libc] } : {}),
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)
  )
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`lockfile-platforms: ${added} platform entries added\n`);
