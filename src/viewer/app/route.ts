/** Hash routes of the viewer: every link is built here, so none can be a `javascript:` URL. */
export type Route =
  | { page: 'runs' }
  | { page: 'run'; runId: string; query: URLSearchParams }
  | { page: 'episode'; runId: string; episodeId: string }
  | { page: 'compare'; a: string; b: string }
  | { page: 'not-found'; hash: string };

const decode = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

/** Parse `location.hash` into a route. */
export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decode);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'runs')) return { page: 'runs' };
  if (parts[0] === 'runs' && parts.length === 2) return { page: 'run', runId: parts[1], query: new URLSearchParams(search) };
  if (parts[0] === 'runs' && parts[2] === 'episodes' && parts.length === 4)
    return { page: 'episode', runId: parts[1], episodeId: parts[3] };
  if (parts[0] === 'compare' && parts.length === 3) return { page: 'compare', a: parts[1], b: parts[2] };
  return { page: 'not-found', hash };
}

/** A link inside the app: always `#/` followed by encoded segments (and an optional query). */
export function href(segments: readonly string[], query?: URLSearchParams): string {
  const q = query && [...query.keys()].length > 0 ? `?${query.toString()}` : '';
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}${q}`;
}

export const runHref = (runId: string, query?: URLSearchParams) => href(['runs', runId], query);
export const episodeHref = (runId: string, episodeId: string) => href(['runs', runId, 'episodes', episodeId]);
export const compareHref = (a: string, b: string) => href(['compare', a, b]);

/** An API URL (same origin) with encoded path segments. */
export function apiUrl(segments: readonly string[], query?: URLSearchParams): string {
  const q = query && [...query.keys()].length > 0 ? `?${query.toString()}` : '';
  return `/api/${segments.map((s) => encodeURIComponent(s)).join('/')}${q}`;
}
