import Ajv, { type Options } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';

/*
 * ajv, behind a dynamic import in ./json-schema: only json_schema requests
 * need it, so it is a lazy chunk of the Lambda bundle (lib/bundling.ts) and
 * a cold start without one does not load its ~150 KB.
 */

// `strict: false`: OpenAI-style schemas carry keywords ajv does not know
// (`title` is fine, but vendors add `x-*`, `propertyOrdering`, ...); they
// are annotations, not constraints. `allErrors: false` stops at the first
// failure: the answer is rejected either way.
const OPTIONS: Options = {
  strict: false,
  allErrors: false,
  validateFormats: false,
};

/** JSON Schema drafts with their own ajv class. */
export type Draft = 'draft7' | '2019' | '2020';

/** A new ajv instance for a draft. */
export const ajvMakers: Readonly<Record<Draft, () => Ajv>> = {
  draft7: () => new Ajv(OPTIONS),
  '2019': () => new Ajv2019(OPTIONS),
  '2020': () => new Ajv2020(OPTIONS),
};
