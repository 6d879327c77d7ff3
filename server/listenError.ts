/**
 * A listener that could not start (port in use, address not on this machine, no permission): the
 * server cannot do its job, so the command exits non-zero with this message naming the address.
 */
export class ListenError extends Error {
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot listen for ${what} on ${host}:${port}: ${ListenError.why(cause)}`, { cause });
    this.name = 'ListenError';
  }

  private static why(err: NodeJS.ErrnoException): string {
    switch (err.code) {
      case 'EADDRINUSE':
        return 'the port is already in use (another fleetdesk server, Mosquitto…?)';
      case 'EADDRNOTAVAIL':
        return 'the address is not one of this machine';
      case 'EACCES':
        return 'permission denied (ports below 1024 need privileges)';
      default:
        return err.message;
    }
  }
}
