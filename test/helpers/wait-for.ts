/** Poll until a condition holds (never a fixed sleep in tests): shared with the load scripts. */
export { waitFor } from '../../scripts/lib/net.js';
