import type {
  EventBridgeClient,
  PutEventsCommandInput,
  PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';

/**
 * EventBridge PutEvents, with the SDK loaded on the first event: budget
 * alerts and experiment evaluation requests are rare, so the router's cold
 * start does not pay for the client (a lazy chunk of the Lambda bundle,
 * lib/bundling.ts).
 */
export type PutEvents = (
  input: PutEventsCommandInput
) => Promise<PutEventsCommandOutput>;

/** Where events go: a client (tests, shared), or a {@link PutEvents} function. */
export type EventsTarget = EventBridgeClient | PutEvents;

/**
 * PutEvents through `client`, or through one client made on first use
 * (every caller of the returned function shares it).
 */
export function lazyPutEvents(target?: EventsTarget): PutEvents {
  if (typeof target === 'function') return target;
  let client: Promise<EventBridgeClient> | undefined;
  return async (input) => {
    const sdk = import('@aws-sdk/client-eventbridge');
    client ??= target
      ? Promise.resolve(target)
      : sdk.then(({ EventBridgeClient }) => new EventBridgeClient({}));
    const [c, { PutEventsCommand }] = await Promise.all([client, sdk]);
    return c.send(new PutEventsCommand(input));
  };
}
