/**
 * The imperative shell of the e-mail intake: every `pollInterval` it logs in to the mailbox over
 * IMAP (imapflow), reads the messages after the last UID the store recorded, hands each to
 * MailIntake (one unit of work per message) and only after that committed marks it \Seen. The
 * intake never deletes or moves mail: the mailbox stays the archive of originals that intake
 * items point to. A message larger than `maxMessageBytes` is not downloaded; its header is read
 * and it becomes an intake item saying "too large".
 *
 * One connection per poll: a mailbox that is polled every minute or so does not need a held
 * connection, and a fresh login survives server restarts without reconnect logic.
 */
import { ImapFlow } from 'imapflow';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { digestOf, mailboxKey, type MailIntake, type MailOutcome } from './mailIntake.js';
import { readMail } from './mailMessage.js';
import type { MailIntakeSettings } from './mailSettings.js';

/** Messages read per poll at most; the rest wait for the next one (a backlog does not hold the store for long). */
const BATCH = 200;
const TIMEOUT_MS = 30_000;

export interface PollResult {
  readonly read: number;
  readonly outcomes: Readonly<Partial<Record<MailOutcome | 'alreadyRead', number>>>;
  /** More messages are waiting than one poll reads. */
  readonly more: boolean;
}

export interface MailPollerOptions {
  readonly settings: MailIntakeSettings;
  readonly intake: MailIntake;
  readonly clock: Clock;
  readonly logger?: Logger;
}

export class MailPoller {
  private timer: TimerHandle | undefined;
  private running = false;
  private current: Promise<unknown> | undefined;
  readonly box: string;

  constructor(private readonly o: MailPollerOptions) {
    this.box = mailboxKey(o.settings.user, o.settings.host, o.settings.mailbox);
  }

  private client(): ImapFlow {
    const s = this.o.settings;
    return new ImapFlow({
      host: s.host,
      port: s.port ?? (s.tls ? 993 : 143),
      secure: s.tls,
      // Without TLS from the start: upgrade with STARTTLS, and refuse to log in in clear unless allowed.
      ...(s.tls ? {} : { doSTARTTLS: s.requireTls ? true : undefined }),
      auth: { user: s.user, pass: s.password },
      tls: { rejectUnauthorized: !s.insecureSkipVerify },
      // imapflow's own logger would print the protocol, including the LOGIN line.
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
  }

  /** Reads what is new in the mailbox once. Throws on connection/login errors (the timer logs them). */
  async pollOnce(): Promise<PollResult> {
    const s = this.o.settings;
    const client = this.client();
    const outcomes: Partial<Record<MailOutcome | 'alreadyRead', number>> = {};
    let read = 0;
    let more = false;
    await client.connect();
    try {
      const lock = await client.getMailboxLock(s.mailbox, { readOnly: false });
      try {
        const mailbox = client.mailbox;
        if (!mailbox) throw new Error(`mailbox ${s.mailbox} could not be opened`);
        const uidValidity = String(mailbox.uidValidity);
        const pos = await this.o.intake.position(this.box);
        const after = pos && pos.uidValidity === uidValidity ? pos.lastUid : 0;
        if (pos && pos.uidValidity !== uidValidity)
          this.o.logger?.warn(
            { mailbox: s.mailbox, was: pos.uidValidity, now: uidValidity },
            'mailbox UIDVALIDITY changed: reading it again from the start (messages already read are recognised by Message-ID)',
          );
        if (mailbox.exists === 0) return { read, outcomes, more };
        // "N:*" also answers the last message when its UID is below N: filter.
        const listed = (await client.fetchAll(`${after + 1}:*`, { uid: true, size: true }, { uid: true }))
          .filter((m) => m.uid > after)
          .sort((a, b) => a.uid - b.uid);
        more = listed.length > BATCH;
        for (const entry of listed.slice(0, BATCH)) {
          const size = entry.size ?? 0;
          const tooLarge = size > s.maxMessageBytes;
          const msg = await client.fetchOne(String(entry.uid), tooLarge ? { uid: true, headers: true } : { uid: true, source: true }, { uid: true });
          if (!msg) continue;
          const raw = (tooLarge ? msg.headers : msg.source) ?? Buffer.alloc(0);
          const mail = await readMail(raw, tooLarge ? { tooLarge: { size, limit: s.maxMessageBytes } } : {});
          const result = await this.o.intake.receive(this.box, { mailbox: s.mailbox, uidValidity, uid: entry.uid, size, mail, digest: digestOf(raw) });
          outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
          read += 1;
          // Only after the commit: a crash before this line reads the message again, and the store recognises it.
          await client.messageFlagsAdd(String(entry.uid), ['\\Seen'], { uid: true });
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    return { read, outcomes, more };
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      const run = this.pollOnce().then(
        (r) => {
          if (r.read > 0) this.o.logger?.info({ read: r.read, ...r.outcomes }, 'mailbox polled');
          return r.more;
        },
        (err: Error & { code?: string; responseText?: string }) => {
          // The error names the server's answer, never the credentials (imapflow does not put them in errors).
          this.o.logger?.warn(
            {
              err: `${err.code ?? err.name}: ${(err.responseText ?? err.message).slice(0, 300)}`,
              host: this.o.settings.host,
              mailbox: this.o.settings.mailbox,
            },
            'mailbox poll failed; next attempt at the next interval',
          );
          return false;
        },
      );
      this.current = run;
      void run.then((more) => this.schedule(more ? 0 : this.o.settings.pollInterval));
    }, ms);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling; waits for a poll in progress (its message in flight commits or is read again next time). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }
}
