/** How many of each kind of live resource (`TCPSocketWrap`, `TCPServerWrap`, `Timeout`) a process holds. */
export type ResourceCounts = Record<string, number>;

/** Which resources to count. */
export interface ResourceFilter {
  /**
   * Count ref'd timers as well as sockets and servers. Off where fetch() keeps timers of its own; unref'd timers are
   * never listed (the renewal timer never keeps a process alive, by design).
   */
  timers?: boolean;
}

/** Counts of the live resources that can keep a process alive: sockets, servers and, if asked, ref'd timers. */
export function liveResources({ timers = false }: ResourceFilter = {}): ResourceCounts {
  const counts: ResourceCounts = {};
  for (const resource of process.getActiveResourcesInfo()) {
    if (resource.startsWith('TCP') || (timers && resource === 'Timeout')) {
      counts[resource] = (counts[resource] ?? 0) + 1;
    }
  }
  return counts;
}

/** The resources live now that were not live in `before` (jest's own are in both). */
export function addedSince(before: ResourceCounts, filter: ResourceFilter = {}): ResourceCounts {
  const added: ResourceCounts = {};
  for (const [resource, count] of Object.entries(liveResources(filter))) {
    if (count > (before[resource] ?? 0)) added[resource] = count - (before[resource] ?? 0);
  }
  return added;
}
