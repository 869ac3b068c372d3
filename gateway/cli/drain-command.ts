import { stateCommand } from './state-commands.js';

/** `drain NAME`: no new requests to the backend on any gateway; in-flight ones finish (see `status` for progress). */
export const drainCommand = stateCommand('drain', 'drain NAME: stop sending new requests to a backend (refused for the last serving one)',
  'No gateway sharing the store sends it new requests; in-flight ones finish (watch `status`). Refused (exit 4,\n' +
  'SG_LAST_SERVING_BACKEND) for the last serving backend of an upstream.');
