/** Local-only echo provider for smoke tests. */
export { createEchoAdapter, type EchoAdapterOptions } from './adapter';
