import { stateCommand } from './state-commands.js';

/** `drain NAME`: no new requests to the backend on any gateway; in-flight ones finish (see `status` for progress). */
export const drainCommand = stateCommand('drain', 'drain NAME: stop sending new requests to a backend (refused for the last serving one)');
