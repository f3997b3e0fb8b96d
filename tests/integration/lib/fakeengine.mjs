// A stand-in engine on a Unix socket, for tests that need exact control of the bytes the
// engine sends and exact knowledge of what it received.
import net from 'node:net';

export async function startFakeEngine(socketPath, onConnection) {
  const connections = [];
  const waiters = [];
  const server = net.createServer((socket) => {
    const record = { socket, received: [], ended: false, closed: false };
    record.bytes = () => Buffer.concat(record.received);
    socket.on('data', (chunk) => record.received.push(chunk));
    socket.on('end', () => { record.ended = true; });
    socket.on('error', () => {});
    record.closedPromise = new Promise((resolve) => socket.on('close', () => {
      record.closed = true;
      resolve();
    }));
    connections.push(record);
    waiters.splice(0).forEach((resolve) => resolve(record));
    onConnection?.(socket, record);
  });
  await new Promise((resolve) => server.listen(socketPath, resolve));
  return {
    connections,
    nextConnection() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      for (const { socket } of connections) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
