/**
 * Dovecot IMAP (Debian dovecot-imapd) on a free loopback port for the e-mail intake tests: a
 * private config, a throw-away maildir store and a passwd-file with one test user, no system
 * users and nothing outside its temp dir. Plain IMAP on loopback (no TLS) with plaintext login
 * allowed: it only ever listens on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, LOOPBACK, makeTempDir, startPeer, tcpAnswers, type PeerProcess } from './peers.js';

export interface DovecotPeer extends PeerProcess {
  readonly host: string;
  readonly user: string;
  readonly password: string;
  /** Stops this instance and starts Dovecot again on the same port and store (restart tests). */
  restart(): Promise<DovecotPeer>;
  /** Removes the store (after stop). */
  remove(): void;
}

export async function startDovecot(existing?: { port: number; dir: string; remove: () => void }): Promise<DovecotPeer> {
  const port = existing?.port ?? (await freeTcpPort());
  const tmp = existing ? { path: existing.dir, remove: existing.remove } : makeTempDir('dovecot');
  const me = userInfo();
  // As root Dovecot needs unprivileged users for its own processes: the package creates these two.
  const internal = me.uid === 0 ? 'dovecot' : me.username;
  const login = me.uid === 0 ? 'dovenull' : me.username;
  const user = 'desk';
  const password = 'desk-secret-pw';
  for (const d of ['run', 'state', 'home']) mkdirSync(join(tmp.path, d), { recursive: true });
  // Dovecot never gives mail access as root: as root the mail store belongs to its internal user.
  const mailUid = me.uid === 0 ? Number(execFileSync('id', ['-u', internal]).toString().trim()) : me.uid;
  const mailGid = me.uid === 0 ? Number(execFileSync('id', ['-g', internal]).toString().trim()) : me.gid;
  if (me.uid === 0) chownSync(join(tmp.path, 'home'), mailUid, mailGid);
  // Dovecot's auth process runs as the internal user: it must reach the passwd-file (a test-only password).
  chmodSync(tmp.path, 0o711);
  writeFileSync(join(tmp.path, 'passwd'), `${user}:{PLAIN}${password}::::::\n`, { mode: 0o644 });
  const conf = join(tmp.path, 'dovecot.conf');
  writeFileSync(
    conf,
    [
      `base_dir = ${tmp.path}/run`,
      `state_dir = ${tmp.path}/state`,
      'log_path = /dev/stderr',
      'protocols = imap',
      `listen = ${LOOPBACK}`,
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      `default_internal_user = ${internal}`,
      `default_login_user = ${login}`,
      `first_valid_uid = ${mailUid}`,
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${tmp.path}/passwd\n}`,
      `userdb {\n  driver = static\n  args = uid=${mailUid} gid=${mailGid} home=${tmp.path}/home/%u\n}`,
      'mail_location = maildir:~/Maildir',
      `service imap-login {\n  inet_listener imap {\n    address = ${LOOPBACK}\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      'service stats {\n  unix_listener stats-reader {\n    mode = 0666\n  }\n  unix_listener stats-writer {\n    mode = 0666\n  }\n}',
      '',
    ].join('\n'),
  );
  const peer = await startPeer({
    name: 'dovecot',
    program: 'dovecot',
    debPackage: 'dovecot-imapd',
    args: ['-F', '-c', conf],
    port,
    ready: () => tcpAnswers(port),
  });
  return {
    ...peer,
    host: LOOPBACK,
    user,
    password,
    restart: async () => {
      await peer.stop();
      return startDovecot({ port, dir: tmp.path, remove: tmp.remove });
    },
    remove: () => tmp.remove(),
  };
}
