// A node.js echo server, a peer yardstick for echod's benchmark
// (make bench): net.createServer(s => s.pipe(s)) on 127.0.0.1, with
// echod's default backlog.  Usage: node echo.js [PORT]; prints the port.
'use strict';
const net = require('net');

const port = Number(process.argv[2] || 0);
const server = net.createServer((s) => {
	s.on('error', () => s.destroy());
	s.pipe(s);
});
server.on('error', (e) => {
	console.error(`echo.js: 127.0.0.1:${port}: ${e.message}`);
	process.exit(71);
});
server.listen({ host: '127.0.0.1', port, backlog: 128 }, () => {
	console.log(server.address().port);
});
