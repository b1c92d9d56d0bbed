import { useEffect, useState } from 'preact/hooks';

/** State of a JSON request. */
export type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

/** GET a JSON endpoint; refetches when `url` changes and never shows an answer for another URL. */
export function useJson<T>(url: string | undefined): Loaded<T> {
  const [loaded, setLoaded] = useState<{ url: string; value: Loaded<T> } | undefined>(undefined);
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    fetch(url, { signal: controller.signal, headers: { Accept: 'application/json' } })
      .then(async (response) => {
        const body = await response.json();
        if (!response.ok) throw new Error(typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`);
        setLoaded({ url, value: { state: 'ready', data: body as T } });
      })
      .catch((error: Error) => {
        if (error.name !== 'AbortError') setLoaded({ url, value: { state: 'error', message: error.message } });
      });
    return () => controller.abort();
  }, [url]);
  // Until the answer for this URL arrives, the page shows "loading", not the previous answer.
  return loaded && loaded.url === url ? loaded.value : { state: 'loading' };
}
