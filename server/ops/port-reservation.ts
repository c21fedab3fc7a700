import net from 'node:net';

/** HOST:PORT cannot be listened on; the message names the variable to change. */
export class ListenError extends Error {
  override name = 'ListenError';
}

export interface PortReservation {
  /** Frees the address, just before the real server listens on it. */
  release(): Promise<void>;
}

/**
 * Binds HOST:PORT before anything is written (migrations, sample data, the first admin, the
 * generated secret), so a port already in use stops the start with nothing changed; and holds it
 * until the real server listens, so a second instance started meanwhile on the same port fails
 * the same way instead of after its side effects. PORT=0 (any free port) needs no reservation.
 */
export async function reservePort(host: string, port: number): Promise<PortReservation> {
  if (port === 0) return { release: async () => {} };
  const holder = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    holder.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(explain(err, host, port))));
    holder.listen({ host, port, exclusive: true }, resolve);
  });
  return { release: () => new Promise<void>((resolve) => holder.close(() => resolve())) };
}

function explain(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${host}:${port}: the port is already in use. Stop what holds it, or set PORT (or HOST) to a free one.`;
    case 'EACCES':
      return `cannot listen on ${host}:${port}: not permitted for this user. Set PORT to 1024 or above (or grant the privilege).`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}:${port}: HOST is not an address of this machine. Set HOST (0.0.0.0 for every interface).`;
    default:
      return `cannot listen on ${host}:${port} (${err.code ?? err.message}). Check HOST and PORT.`;
  }
}
