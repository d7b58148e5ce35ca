// PLACEHOLDER, to be replaced by the real rollback handler: it exists so the
// rollback function has an entry to bundle. It only logs the event it was given.

/** Placeholder rollback handler: logs the event and does nothing else. */
export const handler = async (event: unknown): Promise<void> => {
  console.log(JSON.stringify({ message: 'rollback placeholder', event }));
};
