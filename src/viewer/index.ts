export { startViewer, DEFAULT_VIEWER_PORT, type ViewerServer, type ViewerServerOptions } from './server.ts';
export { ViewerApi } from './api.ts';
export { ensureViewerBundle, type EnsureBundleOptions } from './bundle.ts';
