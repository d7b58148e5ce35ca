import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ExperimentsSettings } from '../../experiments/config';
import type { ExperimentParts } from '../../experiments/wiring';
import type { Log } from '../../ports';
import { StaticExperimentFlags } from '../local/memory-experiment-store';
import { AppConfigExperimentFlags } from './appconfig-flags';
import { DynamoExperimentStore } from './dynamo-experiments';
import {
  EvidentlyEventStore,
  EvidentlyVariantAssigner,
} from './evidently-experiments';

/**
 * The experiment parts of a Lambda, from the environment the stacks set:
 * definitions on MODEL_REGISTRY_TABLE, counters on DECISIONS_TABLE (the
 * registry table when absent), flags from the AppConfig feature-flag
 * profile (APPCONFIG_APPLICATION_ID / _ENVIRONMENT_ID / _PROFILE_ID; the
 * config file's `experiments.flags` when not deployed). With
 * `experiments.backend: "evidently"` and EVIDENTLY_PROJECT set, the legacy
 * Evidently adapter assigns variants and receives events. Undefined when
 * there is no registry table to keep experiments in.
 */
export function awsExperimentParts(
  env: NodeJS.ProcessEnv,
  settings: ExperimentsSettings,
  client: DynamoDBDocumentClient,
  log: Log
): Pick<ExperimentParts, 'store' | 'flags' | 'assigner'> | undefined {
  const registryTable = env.MODEL_REGISTRY_TABLE;
  if (!registryTable) return undefined;
  const native = new DynamoExperimentStore({
    definitionsTable: registryTable,
    countersTable: env.DECISIONS_TABLE || registryTable,
    client,
  });
  const flags =
    env.APPCONFIG_APPLICATION_ID &&
    env.APPCONFIG_ENVIRONMENT_ID &&
    env.APPCONFIG_PROFILE_ID
      ? new AppConfigExperimentFlags({
          application: env.APPCONFIG_APPLICATION_ID,
          environment: env.APPCONFIG_ENVIRONMENT_ID,
          profile: env.APPCONFIG_PROFILE_ID,
          log,
        })
      : new StaticExperimentFlags(settings.flags);
  const project = settings.evidentlyProject ?? env.EVIDENTLY_PROJECT;
  if (settings.backend === 'evidently' && project) {
    return {
      store: new EvidentlyEventStore(native, { project, log }),
      flags,
      assigner: new EvidentlyVariantAssigner({ project, log }),
    };
  }
  return { store: native, flags };
}
