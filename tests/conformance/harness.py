"""Raw-socket harness for the conformance suite (Python 3 standard library only).

It starts the studio-proxy binary (env STUDIO_PROXY_BIN, else build/app/studio-proxy) on a
memsql.cnf written to a temporary folder, in front of a fake engine: a Unix-socket server in
this process that records every byte it receives and can echo, stay silent, send given bytes,
close, or flood. Clients are plain sockets (wrapped in TLS for wss://) that build frames byte
by byte, so a test controls exactly what goes on the wire.

One proxy per transport and configuration is started lazily and shared by all test modules
of a run; tearDown checks it is still alive (and restarts it if not, so one crash is not
reported a hundred times).
"""

import atexit
import base64
import collections
import functools
import hashlib
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY_BIN = os.environ.get('STUDIO_PROXY_BIN') or os.path.normpath(
    os.path.join(HERE, '..', '..', 'build', 'app', 'studio-proxy'))

TIMEOUT = 5.0  # seconds for anything that should happen
QUIET = 0.3  # seconds of silence that count as "nothing more came"
DEFAULT_MAX = 64 * 1024 * 1024  # proxy_max_frame_size by default
SMALL_MAX = 1024 * 1024  # proxy_max_frame_size of the "small" configuration

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


# ---------------------------------------------------------------------------------------
# Frames


def mask_bytes(payload, key):
    """XOR payload with the 4-byte key (fast for large payloads)."""
    n = len(payload)
    if n == 0:
        return b''
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, 'little') ^ int.from_bytes(k, 'little')).to_bytes(n, 'little')


def frame(opcode, payload=b'', fin=True, rsv=0, masked=True, key=None, length=None,
          length_form=None):
    """One client frame. length overrides the declared length (payload is sent as given);
    length_form (7, 16 or 64) forces the length encoding, minimal or not."""
    payload = bytes(payload)
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    m = 0x80 if masked else 0
    form = length_form or (7 if n < 126 else 16 if n < 0x10000 else 64)
    if form == 7:
        head = bytes([b0, m | n])
    elif form == 16:
        head = bytes([b0, m | 126]) + struct.pack('!H', n)
    else:
        head = bytes([b0, m | 127]) + struct.pack('!Q', n)
    if not masked:
        return head + payload
    if key is None:
        key = os.urandom(4)
    return head + key + mask_bytes(payload, key)


def binary(payload, **kw):
    return frame(OP_BINARY, payload, **kw)


def ping(payload=b'', **kw):
    return frame(OP_PING, payload, **kw)


def pong(payload=b'', **kw):
    return frame(OP_PONG, payload, **kw)


def close_payload(code=None, reason=b''):
    if code is None:
        return b''
    return struct.pack('!H', code) + reason


def close(code=None, reason=b'', **kw):
    return frame(OP_CLOSE, close_payload(code, reason), **kw)


def fragments(payload, size, opcode=OP_BINARY):
    """payload as a fragmented message of size-byte frames (one frame when it fits)."""
    chunks = [payload[i:i + size] for i in range(0, len(payload), size)] or [b'']
    out = []
    for i, chunk in enumerate(chunks):
        out.append(frame(opcode if i == 0 else OP_CONT, chunk, fin=i == len(chunks) - 1))
    return b''.join(out)


class Frame:
    def __init__(self, fin, rsv, opcode, masked, payload):
        self.fin, self.rsv, self.opcode, self.masked, self.payload = fin, rsv, opcode, masked, payload

    @property
    def close_code(self):
        return struct.unpack('!H', self.payload[:2])[0] if len(self.payload) >= 2 else None

    @property
    def close_reason(self):
        return self.payload[2:]

    def __repr__(self):
        return 'Frame(fin=%d rsv=%d op=0x%X masked=%d len=%d %r)' % (
            self.fin, self.rsv, self.opcode, self.masked, len(self.payload), self.payload[:40])


class ProtocolViolation(AssertionError):
    """The proxy sent something RFC 6455 forbids a server to send."""


# ---------------------------------------------------------------------------------------
# The fake engine


class EngineConnection:
    """One connection the proxy made to the fake engine, and how the engine behaves on it.

    greeting: bytes sent as soon as the connection is accepted; then, with close_after_greeting,
    the engine closes at once (a MySQL server refusing a login). echo: every received byte is
    sent back. paused: nothing is read until resume(). flood: bytes sent continuously until
    the proxy stops taking them."""

    def __init__(self, greeting=b'', close_after_greeting=False, echo=False, paused=False,
                 flood=False):
        self.greeting = greeting
        self.close_after_greeting = close_after_greeting
        self.echo = echo
        self.flood = flood
        self.received = bytearray()
        self.eof = False
        self.reset = False
        self.sent_after_eof = None
        self.accepted = threading.Event()
        self._cond = threading.Condition()
        self._resume = threading.Event()
        if not paused:
            self._resume.set()
        self._stop = False
        self.sock = None

    def _attach(self, sock):
        self.sock = sock
        self.accepted.set()
        threading.Thread(target=self._run, daemon=True).start()
        if self.flood:
            threading.Thread(target=self._flood, daemon=True).start()

    def _run(self):
        try:
            if self.greeting:
                self.sock.sendall(self.greeting)
            if self.close_after_greeting:
                self.sock.shutdown(socket.SHUT_RDWR)
                self.sock.close()
                with self._cond:
                    self.eof = True
                    self._cond.notify_all()
                return
            while True:
                self._resume.wait()
                try:
                    data = self.sock.recv(262144)
                except ConnectionResetError:
                    data, self.reset = b'', True
                except OSError:
                    data = b''
                with self._cond:
                    if not data:
                        self.eof = True
                        self._cond.notify_all()
                        return
                    self.received += data
                    self._cond.notify_all()
                if self.echo:
                    self.sock.sendall(data)
        except OSError:
            with self._cond:
                self.eof = True
                self._cond.notify_all()

    def _flood(self):
        chunk = bytes(range(256)) * 256
        try:
            while not self._stop:
                self.sock.sendall(chunk)
        except OSError:
            pass

    def resume(self):
        self._resume.set()

    def send(self, data):
        self.sock.sendall(data)

    def send_quietly(self, data):
        """send() for a thread: a proxy that closed the connection ends it silently."""
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def close(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def wait_bytes(self, n, timeout=TIMEOUT):
        """Waits until at least n bytes arrived (or EOF); returns all received so far."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= n or self.eof, timeout)
            return bytes(self.received)

    def wait_eof(self, timeout=TIMEOUT):
        with self._cond:
            return self._cond.wait_for(lambda: self.eof, timeout)

    def data(self):
        with self._cond:
            return bytes(self.received)


class FakeEngine:
    def __init__(self, path):
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(128)
        self._lock = threading.Lock()
        self._pending = collections.deque()
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def prepare(self, **behaviour):
        """The behaviour of the next connection the proxy makes; returns its record."""
        conn = EngineConnection(**behaviour)
        with self._lock:
            self._pending.clear()  # a stale one from a test that never got its connection
            self._pending.append(conn)
        return conn

    def _accept(self):
        while True:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            with self._lock:
                conn = self._pending.popleft() if self._pending else EngineConnection()
                self.connections.append(conn)
            conn._attach(sock)

    def close(self):
        try:
            self.server.close()
        except OSError:
            pass
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------------------
# The proxy


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_certificates(directory):
    """A CA and a leaf for localhost / 127.0.0.1 signed by it, with the openssl command."""
    def openssl(*args):
        subprocess.run(['openssl', *args], cwd=directory, check=True, capture_output=True)
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Conformance CA',
            '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    with open(os.path.join(directory, 'leaf.ext'), 'w') as f:
        f.write('subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n'
                'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n')
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'leaf.ext')
    return (os.path.join(directory, n) for n in ('ca.pem', 'server.pem', 'server.key'))


def _die_with_parent():
    # The proxy must not outlive a killed test run.
    try:
        import ctypes
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class ProxyProcess:
    def __init__(self, scheme, directory, engine_socket, certs, extra):
        self.scheme = scheme
        self.directory = directory
        self.engine_socket = engine_socket
        self.certs = certs
        self.extra = dict(extra)
        self.stdout = []
        self.stderr = []
        self.process = None
        self.start()

    def start(self):
        for attempt in range(5):
            self.port = free_port()
            lines = ['socket = %s' % self.engine_socket,
                     'tracelogsdir = %s' % os.path.join(self.directory, 'logs')]
            if self.scheme == 'wss':
                ca, cert, key = self.certs
                lines += ['https_proxy_port = %d' % self.port, 'ssl_cert = %s' % cert,
                          'ssl_key = %s' % key]
            else:
                lines += ['http_proxy_port = %d' % self.port]
            lines += ['%s = %s' % kv for kv in self.extra.items()]
            config = os.path.join(self.directory, 'memsql.cnf')
            with open(config, 'w') as f:
                f.write('\n'.join(lines) + '\n')
            self.stdout, self.stderr = [], []
            listening = threading.Event()
            self.process = subprocess.Popen(
                [PROXY_BIN, '--headless', '--config', config,
                 '--control-socket', os.path.join(self.directory, 'ctl.sock')],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                preexec_fn=_die_with_parent)

            def pump(stream, sink, watch):
                for line in iter(stream.readline, b''):
                    sink.append(line.decode('utf-8', 'replace'))
                    if watch and 'listening on port' in sink[-1]:
                        listening.set()
                stream.close()
            threading.Thread(target=pump, args=(self.process.stdout, self.stdout, True),
                             daemon=True).start()
            threading.Thread(target=pump, args=(self.process.stderr, self.stderr, False),
                             daemon=True).start()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if listening.wait(0.02) or self.process.poll() is not None:
                    break
            if listening.is_set():
                return
            self.stop()
            if 'in use' not in ''.join(self.stderr):
                break
        raise RuntimeError('studio-proxy did not start (%s): %s%s' % (
            PROXY_BIN, ''.join(self.stdout), ''.join(self.stderr)))

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def rss_kib(self):
        with open('/proc/%d/status' % self.process.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()



class TlsStream:
    """TLS over a socket through memory BIOs, so that one thread may read while another
    writes (an ssl.SSLSocket must not be used from two threads at once). Offers the few
    socket methods the client uses; shutdown_write() sends a bare TCP FIN."""

    def __init__(self, raw, context, hostname):
        self.raw = raw
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._in, self._out, server_hostname=hostname)
        self._lock = threading.Lock()  # the SSLObject and its BIOs
        self._send_lock = threading.Lock()  # keeps records in order on the wire
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = self.raw.recv(65536)
                if not data:
                    raise ConnectionResetError('EOF during the TLS handshake')
                self._in.write(data)
        self._flush()

    def _flush(self):
        with self._send_lock:
            with self._lock:
                data = self._out.read()
            if data:
                self.raw.sendall(data)

    def sendall(self, data):
        view = memoryview(data)
        with self._send_lock:
            for i in range(0, max(len(view), 1), 262144):
                with self._lock:
                    chunk = view[i:i + 262144]
                    while len(chunk):
                        written = self._tls.write(chunk)
                        chunk = chunk[written:]
                    out = self._out.read()
                self.raw.sendall(out)

    def recv(self, n):
        while True:
            with self._lock:
                try:
                    data = self._tls.read(n)
                    pending = self._out.pending
                except ssl.SSLWantReadError:
                    data, pending = None, self._out.pending
                except ssl.SSLZeroReturnError:
                    return b''  # close_notify
            if pending:
                self._flush()
            if data is not None:
                return data
            raw = self.raw.recv(262144)
            if not raw:
                return b''  # TCP EOF without close_notify: EOF all the same
            with self._lock:
                self._in.write(raw)

    def settimeout(self, timeout):
        self.raw.settimeout(timeout)

    def setsockopt(self, *args):
        self.raw.setsockopt(*args)

    def shutdown_write(self):
        self.raw.shutdown(socket.SHUT_WR)

    def close(self):
        self.raw.close()


class Environment:
    """A proxy on one transport with its fake engine."""

    def __init__(self, scheme, extra):
        self.scheme = scheme
        self.directory = tempfile.mkdtemp(prefix='conformance-%s-' % scheme)
        self.engine = FakeEngine(os.path.join(self.directory, 'engine.sock'))
        self.certs = make_certificates(self.directory) if scheme == 'wss' else None
        if self.certs:
            self.certs = tuple(self.certs)
        self.proxy = ProxyProcess(scheme, self.directory, self.engine.path, self.certs, extra)
        self.tls = None
        if scheme == 'wss':
            self.tls = ssl.create_default_context(cafile=self.certs[0])

    @property
    def port(self):
        return self.proxy.port

    def open_socket(self):
        raw = socket.create_connection(('127.0.0.1', self.port), timeout=TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is None:
            return raw
        return TlsStream(raw, self.tls, 'localhost')

    def close(self):
        self.proxy.stop()
        self.engine.close()
        shutil.rmtree(self.directory, ignore_errors=True)


_environments = {}


def environment(scheme, extra=None):
    key = (scheme, tuple(sorted((extra or {}).items())))
    env = _environments.get(key)
    if env is None:
        env = _environments[key] = Environment(scheme, extra or {})
    return env


@atexit.register
def _shutdown():
    for env in _environments.values():
        env.close()


# ---------------------------------------------------------------------------------------
# The client


def request(port, key=None, fields=None, path='/'):
    """An upgrade request; fields replaces the default header fields when given (a list of
    (name, value) or raw lines)."""
    key = key or base64.b64encode(os.urandom(16)).decode()
    if fields is None:
        fields = [('Host', 'localhost:%d' % port), ('Upgrade', 'websocket'),
                  ('Connection', 'Upgrade'), ('Sec-WebSocket-Key', key),
                  ('Sec-WebSocket-Version', '13')]
    lines = ['GET %s HTTP/1.1' % path]
    for field in fields:
        lines.append(field if isinstance(field, str) else '%s: %s' % field)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode(), key


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


class Response:
    def __init__(self, head):
        lines = head.decode('latin-1').split('\r\n')
        self.status_line = lines[0]
        self.status = int(lines[0].split()[1])
        self.fields = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(':')
                self.fields.append((name.strip().lower(), value.strip()))

    def field(self, name):
        values = [v for n, v in self.fields if n == name.lower()]
        return ', '.join(values) if values else None


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.closed = False  # EOF (or reset) seen
        self.reset = False

    # -- writing
    def send(self, data):
        self.sock.sendall(data)

    def send_slowly(self, data, chunk=1, pause=0.002):
        """data in chunk-byte writes with a pause between: every boundary a separate read.
        Stops quietly when the proxy has closed the connection (the test reads why)."""
        for i in range(0, len(data), chunk):
            try:
                self.sock.sendall(data[i:i + chunk])
            except OSError:
                return False
            time.sleep(pause)
        return True

    def send_in_background(self, data, chunk=1 << 20):
        """Sends data from a thread (so the test can read at the same time); join() it."""
        errors = []

        def run():
            try:
                view = memoryview(data)
                for i in range(0, len(view), chunk):
                    self.sock.sendall(view[i:i + chunk])
            except OSError as e:
                errors.append(e)
        thread = threading.Thread(target=run, daemon=True)
        thread.errors = errors
        thread.start()
        return thread

    def shutdown_write(self):
        """A TCP FIN, also under TLS (no close_notify, the TLS session stays readable)."""
        if isinstance(self.sock, TlsStream):
            self.sock.shutdown_write()
        else:
            self.sock.shutdown(socket.SHUT_WR)

    # -- reading
    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError('nothing from the proxy in time')
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(262144)
        except (socket.timeout, TimeoutError):
            raise TimeoutError('nothing from the proxy in time')
        except ConnectionResetError:
            data, self.reset = b'', True
        if not data:
            self.closed = True
            raise EOFError('the proxy closed the connection')
        self.buf += data

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)

    def read_head(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while b'\r\n\r\n' not in self.buf:
            self._fill(deadline)
        end = self.buf.index(b'\r\n\r\n') + 4
        head = bytes(self.buf[:end])
        del self.buf[:end]
        return Response(head)

    def recv_frame(self, timeout=TIMEOUT):
        """The next server frame. Raises ProtocolViolation for what no server may send."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, at = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, at = struct.unpack('!H', self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, at = struct.unpack('!Q', self.buf[2:10])[0], 10
        masked = bool(b1 & 0x80)
        if masked:
            at += 4
        self._need(at + n, deadline)
        payload = bytes(self.buf[at:at + n])
        if masked:
            payload = mask_bytes(payload, bytes(self.buf[at - 4:at]))
        del self.buf[:at + n]
        f = Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, masked, payload)
        # Rules for every frame a server sends (RFC 6455 5.1, 5.2, 5.5, 7.4).
        if f.masked:
            raise ProtocolViolation('server frame is masked: %r' % f)
        if f.rsv:
            raise ProtocolViolation('server frame has RSV bits: %r' % f)
        if f.opcode not in (OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG):
            raise ProtocolViolation('server frame has a reserved opcode: %r' % f)
        if f.opcode >= OP_CLOSE and (not f.fin or len(f.payload) > 125):
            raise ProtocolViolation('server control frame fragmented or too long: %r' % f)
        if f.opcode == OP_CLOSE:
            if len(f.payload) == 1:
                raise ProtocolViolation('server Close with a 1-byte payload')
            if len(f.payload) >= 2:
                if f.close_code in (1004, 1005, 1006, 1015) or f.close_code < 1000 \
                        or 1016 <= f.close_code < 3000 or f.close_code >= 5000:
                    raise ProtocolViolation('server Close with code %d' % f.close_code)
                if len(f.close_reason) > 123:
                    raise ProtocolViolation('server Close reason over 123 bytes')
                try:
                    f.close_reason.decode('utf-8')
                except UnicodeDecodeError:
                    raise ProtocolViolation('server Close reason not UTF-8: %r' % f.close_reason)
        return f

    def frames_until_close(self, timeout=TIMEOUT):
        """Reads frames up to and including a Close: (frames before, the Close)."""
        deadline = time.monotonic() + timeout
        before = []
        while True:
            f = self.recv_frame(max(deadline - time.monotonic(), 0.001))
            if f.opcode == OP_CLOSE:
                return before, f
            before.append(f)

    def wait_eof(self, timeout=TIMEOUT):
        """True when the proxy closed TCP within timeout with nothing more written; returns
        the bytes that came instead, if any, as the second value."""
        deadline = time.monotonic() + timeout
        extra = bytes(self.buf)
        self.buf.clear()
        while True:
            try:
                self._fill(deadline)
            except EOFError:
                return True, extra + bytes(self.buf)
            except TimeoutError:
                return False, extra + bytes(self.buf)

    def quiet(self, seconds=QUIET):
        """True when nothing at all arrives (and the connection stays open) for seconds."""
        if self.buf:
            return False
        try:
            self._fill(time.monotonic() + seconds)
        except TimeoutError:
            return True
        except EOFError:
            return False
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def binary_payloads(frames):
    return b''.join(f.payload for f in frames)


# ---------------------------------------------------------------------------------------
# Test cases


class ProxyCase:
    """Mixed into unittest.TestCase with scheme = 'ws' or 'wss' (and optionally config)."""

    scheme = None
    config = None

    def setUp(self):
        self.env = environment(self.scheme, self.config)
        if not self.env.proxy.alive():
            self.env.proxy.start()
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()
        if not self.env.proxy.alive():
            code = self.env.proxy.process.returncode
            stderr = ''.join(self.env.proxy.stderr)[-2000:]
            self.env.proxy.start()
            self.fail('the proxy died (exit %s) during this test: %s' % (code, stderr))

    # -- connecting
    def raw_client(self):
        client = Client(self.env.open_socket())
        self.clients.append(client)
        return client

    def connect(self, extra=b'', fields=None, **behaviour):
        """A client after a 101, and the engine connection the proxy made for it. extra goes
        out in the same write as the request."""
        engine = self.env.engine.prepare(**behaviour)
        client = self.raw_client()
        data, key = request(self.env.port, fields=fields)
        if fields is not None:  # the key is the one in the given fields
            key = next(v for n, v in fields if n.lower() == 'sec-websocket-key')
        client.send(data + extra)
        response = client.read_head()
        self.assertEqual(response.status, 101, response.status_line)
        self.assertEqual(response.field('sec-websocket-accept'), accept_for(key))
        self.assertTrue(engine.accepted.wait(TIMEOUT), 'the proxy did not connect the engine')
        return client, engine

    # -- assertions
    def assertEngineGets(self, engine, expected, timeout=TIMEOUT):
        got = engine.wait_bytes(len(expected), timeout)
        if got != expected:
            self.fail('engine received %d bytes, expected %d (first difference at %s)' % (
                len(got), len(expected),
                next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                     min(len(got), len(expected)))))

    def assertEngineGetsNothingMore(self, engine, expected, wait=QUIET):
        time.sleep(wait)
        self.assertEqual(engine.data(), expected)

    def assertClosed(self, client, code, engine=None, frames_allowed=False):
        """The proxy sends Close code (None: an empty Close), then closes TCP; the engine
        connection, if given, closes too. Returns the data frames that came before."""
        before, close_frame = client.frames_until_close()
        if not frames_allowed:
            self.assertEqual(before, [], 'frames before the Close')
        if code is None:
            self.assertEqual(close_frame.payload, b'', 'expected an empty Close')
        else:
            self.assertEqual(close_frame.close_code, code,
                             'Close %r (%r), expected %d' % (close_frame.close_code,
                                                              close_frame.close_reason, code))
        closed, extra = client.wait_eof()
        self.assertEqual(extra, b'', 'bytes after the Close frame')
        self.assertTrue(closed, 'the proxy did not close TCP after its Close')
        if engine is not None:
            self.assertTrue(engine.wait_eof(), 'the engine connection was not closed')
        return before

    def assertFails(self, data, code=1002, engine_expected=b'', slowly=False, **behaviour):
        """A fresh connection sends data: Close code, TCP closed, engine closed, and the
        engine received exactly engine_expected."""
        client, engine = self.connect(**behaviour)
        if slowly:
            client.send_slowly(data)
        else:
            client.send(data)
        self.assertClosed(client, code, engine)
        self.assertEqual(engine.data(), engine_expected)
        return client, engine

    def assertPong(self, client, payload, timeout=TIMEOUT):
        f = client.recv_frame(timeout)
        self.assertEqual((f.opcode, f.payload), (OP_PONG, payload), f)

    def roundtrip_ok(self, client, engine, already=b''):
        """The session still works: a binary frame reaches the engine, a ping gets a pong."""
        probe = os.urandom(33)
        client.send(binary(probe) + ping(b'probe'))
        self.assertEngineGets(engine, already + probe)
        self.assertPong(client, b'probe')


def expected_failure(test):
    """unittest.expectedFailure for one transport's class only: the mixin's function is
    shared by both classes, so it is wrapped rather than marked."""
    @functools.wraps(test)
    def wrapper(self):
        return test(self)
    return unittest.expectedFailure(wrapper)


def transports(cases, globals_, config=None, suffix=''):
    """Defines <Cases>Ws and <Cases>Wss test classes in the calling module."""
    base = cases.__name__[:-5] if cases.__name__.endswith('Cases') else cases.__name__
    for scheme in ('ws', 'wss'):
        name = base + suffix + scheme.capitalize()
        cls = type(name, (cases, unittest.TestCase),
                   {'scheme': scheme, 'config': config, '__module__': globals_['__name__']})
        globals_[name] = cls
