import { stateCommand } from './state-commands.js';

/** `ready NAME`: the backend takes new requests again (with slow start). */
export const readyCommand = stateCommand('ready', 'ready NAME: let a drained / MAINT backend take requests again (slow start)',
  'The backend takes requests again on every gateway, with slow start when the upstream sets one.');
