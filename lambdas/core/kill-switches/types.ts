/** A kill switch scope: `global`, `provider/<id>`, `model/<id>` or `route/<name>`. */
export type KillSwitchScope = string;

/** Stored value of one kill switch. `on` = engaged: traffic stops. */
export interface KillSwitchValue {
  readonly state: 'on' | 'off';
  readonly reason?: string;
  readonly by?: string;
  /** ISO time after which the switch reads as off (auto-release). */
  readonly until?: string;
  /** Brownout: share of traffic (0-100) the engaged switch stops; absent = 100. */
  readonly percent?: number;
  /** When it was last written (ISO). */
  readonly updatedAt?: string;
}

/** All switches as one read saw them. */
export interface KillSwitchSnapshot {
  /** scope -> value (only scopes that exist in the store). */
  readonly switches: ReadonlyMap<KillSwitchScope, KillSwitchValue>;
  /** When the values were read (ms since epoch). */
  readonly readAt: number;
  /**
   * False when the store has never been read successfully: the router then
   * fails safe (see README "Kill switches").
   */
  readonly known: boolean;
  /** Set when the last refresh failed and the last known state is in force. */
  readonly stale?: boolean;
}

/**
 * Kill switches with bounded staleness: `snapshot()` re-reads the store when
 * the cached read is older than `maxAgeMs` (≤ 5 s), so a change reaches every
 * router within that bound; when the store can't be read, the last known
 * state stays in force. Never throws from `snapshot()`.
 */
export interface KillSwitchStore {
  snapshot(): Promise<KillSwitchSnapshot>;
  /** Writes one switch; returns the value before (undefined when new) and after. */
  set(
    scope: KillSwitchScope,
    value: KillSwitchValue
  ): Promise<{ before?: KillSwitchValue; after: KillSwitchValue }>;
  /** Reads one switch straight from the store (no cache). */
  get(scope: KillSwitchScope): Promise<KillSwitchValue | undefined>;
}
