// PLACEHOLDER, to be replaced by the real rotation handler: it exists so the
// rotation function has an entry to bundle. It only logs the event it was given.

/** Placeholder rotation handler: logs the event and does nothing else. */
export const handler = async (event: unknown): Promise<void> => {
  console.log(JSON.stringify({ message: 'rotation placeholder', event }));
};
