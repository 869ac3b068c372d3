export { freePort } from '../../scripts/lib/net.js';
