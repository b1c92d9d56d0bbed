import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ComparePage } from './compare-page.tsx';
import { EpisodePage } from './episode-page.tsx';
import { parseRoute, type Route } from './route.ts';
import { RunPage } from './run-page.tsx';
import { RunsPage } from './runs-page.tsx';
// One stylesheet with the HTML report (it inlines the same file); the page layout is scoped under body.gw-viewer.
import '../../report/groundwork.css';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => {
      const next = parseRoute(location.hash);
      // Scroll up on a new page, not when a filter or the page number of the same list changes.
      setRoute((previous) => {
        if (previous.page !== next.page || (previous.page === 'run' && next.page === 'run' && previous.runId !== next.runId))
          window.scrollTo(0, 0);
        return next;
      });
    };
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          Groundwork <span>viewer</span>
        </a>
        <nav>
          <a href="#/">Runs</a>
        </nav>
      </header>
      <main>
        {route.page === 'runs' && <RunsPage />}
        {route.page === 'run' && <RunPage key={route.runId} runId={route.runId} query={route.query} />}
        {route.page === 'episode' && (
          <EpisodePage key={`${route.runId}/${route.episodeId}`} runId={route.runId} episodeId={route.episodeId} />
        )}
        {route.page === 'compare' && <ComparePage a={route.a} b={route.b} />}
        {route.page === 'not-found' && (
          <p class="error-box">
            Nothing here. Go back to the <a href="#/">runs</a>.
          </p>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
