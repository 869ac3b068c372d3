import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBackgroundCommand } from '../../../../scripts/bench/round-trip-probe.js';

test('the round-trip probe charges request commands to requests and the gateway timers to the background', () => {
  const request = [
    ['hgetall', 'sg:v2:{1a.3}:s:AbCd'],
    ['evalsha', 'f00', '1', 'sg:v2:{1a.3}:s:AbCd', 'sg:v2:{1a.3}:'],
    ['hmget', 'sg:v2:{1a.3}:s:AbCd', '\u0000n'],
    ['get', 'sess:abc'],
    ['evalsha', 'f00', '1', 'sg:v2:{1a.3}:i:token'],
  ];
  const background = [
    ['evalsha', 'f00', '1', 'sg:v2:{sg}:l:sweep', 'gw', '5000'],
    ['evalsha', 'f00', '1', 'sg:v2:{1a.3}:x', 'sg:v2:{1a.3}:', '1', '100'],
    ['evalsha', 'f00', '3', 'sg:v2:{1a.3}:c', 'sg:v2:{1a.3}:x', 'sg:v2:{1a.3}:z'],
    ['set', 'sg:v1:coord:hb:gw-1', '{}'],
    ['sadd', '{sg}:v1:coord:gateways', 'gw-1'],
  ];
  for (const args of request) assert.equal(isBackgroundCommand(args), false, args.join(' '));
  for (const args of background) assert.equal(isBackgroundCommand(args), true, args.join(' '));
});
