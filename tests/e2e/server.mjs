// Static server helper for e2e tests: startServer({ root, port: 0 }) -> { url, port, close() }.
// The implementation is shared with scripts/serve.sh.
export { startServer } from '../../scripts/static-server.mjs';
