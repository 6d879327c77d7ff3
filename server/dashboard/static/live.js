/**
 * One server-sent-event stream for the whole app. EventSource cannot send headers, so each
 * connection first trades the bearer token for a single-use stream token (POST /events/token).
 * Because that token is single-use, the browser's own reconnect would fail: on error the stream
 * is closed and reopened with a fresh token after a pause. Pages subscribe with onLive().
 */
import { api, session } from './api.js';

const EVENTS = [
  'fleet.faultRaised',
  'fleet.faultCleared',
  'fleet.deviceUnreachable',
  'fleet.deviceReachable',
  'fleet.agentOffline',
  'fleet.agentOnline',
  'ticket.opened',
  'ticket.joined',
  'ticket.reopened',
  'ticket.resolved',
  'ticket.closed',
  'ticket.escalated',
  'sla.warning',
  'sla.breach',
  'customer.contactAttempt',
  'ticket.updated',
];
const RETRY_MS = 3000;

const listeners = new Set();
const stateListeners = new Set();
let source = null;
let retry = null;
let running = false;

export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function onLiveState(fn) {
  stateListeners.add(fn);
  return () => stateListeners.delete(fn);
}

function setState(connected) {
  for (const fn of stateListeners) fn(connected);
}

async function open() {
  if (!running || !session.token()) return;
  try {
    const { token } = await api('/events/token', { method: 'POST' });
    if (!running) return;
    source = new EventSource(`/api/v1/events?token=${encodeURIComponent(token)}`);
    source.onopen = () => setState(true);
    source.onerror = () => {
      source?.close();
      source = null;
      setState(false);
      schedule();
    };
    for (const type of EVENTS) {
      source.addEventListener(type, (e) => {
        let data = null;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        for (const fn of listeners) fn(type, data);
      });
    }
  } catch {
    setState(false);
    schedule();
  }
}

function schedule() {
  if (!running || retry) return;
  retry = setTimeout(() => {
    retry = null;
    void open();
  }, RETRY_MS);
}

export function startLive() {
  if (running) return;
  running = true;
  void open();
}

export function stopLive() {
  running = false;
  clearTimeout(retry);
  retry = null;
  source?.close();
  source = null;
}
