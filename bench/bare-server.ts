// The yardstick: a bare node:http server answering the same 404 an empty poll answers, with no
// routing, authentication, storage, logging or metrics. Run as its own process by the bench.
// A request that asks to wait (`?wait=`) is held, never answered, until its client goes: what
// holding a poll costs Node itself. `GET /held` answers how many it holds.

import http from 'node:http';

const body = JSON.stringify({ message: 'no tasks available' });
const held = new Set<http.ServerResponse>();
const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.url?.includes('?wait=')) {
      held.add(response);
      response.on('close', () => held.delete(response));
      return;
    }
    if (request.url === '/held') {
      response.end(String(held.size));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening on ${address.port}\n`);
});
// Held requests are never answered, and a client that has not yet closed every one of its held
// connections would keep `close` waiting (it did once, for 143 of 19,500): close them all.
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
