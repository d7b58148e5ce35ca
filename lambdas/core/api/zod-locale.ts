/**
 * Gives zod/mini its English messages (imported for this side effect by every
 * schema module). The runtime uses `zod/mini` with direct namespace imports
 * so esbuild can tree-shake it: about 20 KB in the router bundle against
 * about 450 KB for the classic `z` namespace.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
