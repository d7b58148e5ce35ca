import * as path from 'node:path';

/** Repository root (lib/ sits directly below it). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Absolute path of a Lambda entry file: `lambdas/<name>/handler.ts`. */
export function entryPath(
  name: 'router' | 'admin' | 'rotation' | 'rollback'
): string {
  return path.join(REPO_ROOT, 'lambdas', name, 'handler.ts');
}
