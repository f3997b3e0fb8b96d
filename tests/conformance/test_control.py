"""Pings and pongs (the idea of Autobahn section 2): a ping gets a pong with the same payload,
promptly and in order; control frames over 125 bytes or fragmented fail the connection with
1002; unsolicited pongs are ignored."""

import os
import threading
import time
import unittest

from harness import (OP_BINARY, OP_PING, OP_PONG, TIMEOUT, ProxyCase, binary, frame, ping, pong,
                     transports)


class ControlCases(ProxyCase):

    def test_empty_ping(self):
        client, engine = self.connect()
        client.send(ping(b''))
        self.assertPong(client, b'')
        self.assertTrue(client.quiet())

    def test_ping_with_text_payload(self):
        client, engine = self.connect()
        client.send(ping(b'Hello, pong!'))
        self.assertPong(client, b'Hello, pong!')

    def test_ping_with_every_byte_value(self):
        client, engine = self.connect()
        payload = bytes(range(125))
        client.send(ping(payload) + ping(bytes(range(130, 255))))
        self.assertPong(client, payload)
        self.assertPong(client, bytes(range(130, 255)))

    def test_ping_of_125_bytes(self):
        client, engine = self.connect()
        payload = os.urandom(125)
        client.send(ping(payload))
        self.assertPong(client, payload)
        self.assertEqual(engine.data(), b'', 'a ping reached the engine')

    def test_ping_of_126_bytes(self):
        self.assertFails(ping(b'x' * 126))

    def test_ping_declaring_126_bytes_in_16bit_form(self):
        self.assertFails(ping(b'x' * 200))

    def test_ping_of_125_bytes_one_byte_per_write(self):
        client, engine = self.connect()
        payload = os.urandom(125)
        client.send_slowly(ping(payload), pause=0.001)
        self.assertPong(client, payload)

    def test_fragmented_ping(self):
        self.assertFails(ping(b'part', fin=False) + frame(0, b'rest'))

    def test_fragmented_ping_alone(self):
        self.assertFails(ping(b'', fin=False))

    def test_unsolicited_pong_is_ignored(self):
        client, engine = self.connect()
        client.send(pong(b''))
        self.assertTrue(client.quiet())
        self.roundtrip_ok(client, engine)

    def test_unsolicited_pong_with_payload_is_ignored(self):
        client, engine = self.connect()
        client.send(pong(os.urandom(125)))
        self.assertTrue(client.quiet())
        self.roundtrip_ok(client, engine)

    def test_unsolicited_pong_then_ping(self):
        client, engine = self.connect()
        client.send(pong(b'unsolicited') + ping(b'solicited'))
        self.assertPong(client, b'solicited')
        self.assertTrue(client.quiet())

    def test_pong_of_126_bytes(self):
        self.assertFails(pong(b'x' * 126))

    def test_fragmented_pong(self):
        self.assertFails(pong(b'', fin=False))

    def test_ten_pings_in_one_write_get_ten_pongs_in_order(self):
        client, engine = self.connect()
        payloads = [('ping %d' % i).encode() for i in range(10)]
        client.send(b''.join(ping(p) for p in payloads))
        for p in payloads:
            self.assertPong(client, p)
        self.assertTrue(client.quiet())

    def test_ten_pings_one_byte_per_write(self):
        client, engine = self.connect()
        payloads = [os.urandom(i * 12) for i in range(10)]
        client.send_slowly(b''.join(ping(p) for p in payloads), chunk=1, pause=0.0005)
        for p in payloads:
            self.assertPong(client, p)

    def test_pings_interleaved_with_binary_frames(self):
        client, engine = self.connect()
        data = b''
        out = b''
        for i in range(20):
            p = os.urandom(i * 100)
            data += p
            out += binary(p) + ping(b'%d' % i)
        client.send(out)
        for i in range(20):
            self.assertPong(client, b'%d' % i)
        self.assertEngineGets(engine, data)

    def test_ping_while_the_engine_streams(self):
        # The pong may come between binary frames, but must come, and the engine's bytes
        # must still arrive whole and in order.
        client, engine = self.connect()
        blob = os.urandom(2 * 1024 * 1024)
        first_half_sent = threading.Event()

        def feed():
            engine.send_quietly(blob[:1024 * 1024])
            first_half_sent.set()
            engine.send_quietly(blob[1024 * 1024:])
        threading.Thread(target=feed, daemon=True).start()
        first_half_sent.wait(TIMEOUT)
        client.send(ping(b'during'))
        got, pongs = b'', []
        while len(got) < len(blob) or not pongs:
            f = client.recv_frame()
            if f.opcode == OP_PONG:
                pongs.append(f.payload)
            else:
                self.assertEqual(f.opcode, OP_BINARY, f)
                got += f.payload
        self.assertEqual(pongs, [b'during'])
        self.assertEqual(got, blob)

    def test_ping_while_a_large_frame_is_in_flight(self):
        # A ping can only come after the frame it follows; the engine still gets it all.
        client, engine = self.connect()
        payload = os.urandom(3 * 1024 * 1024)
        sender = client.send_in_background(binary(payload) + ping(b'after'))
        self.assertPong(client, b'after', timeout=10)
        sender.join()
        self.assertEngineGets(engine, payload)

    def test_ping_frames_never_reach_the_engine(self):
        client, engine = self.connect()
        client.send(ping(b'a') + pong(b'b') + binary(b'only this') + ping(b'c'))
        self.assertPong(client, b'a')
        self.assertPong(client, b'c')
        self.assertEngineGetsNothingMore(engine, b'only this')



class KeepAliveCases(ProxyCase):
    """proxy_ping_interval = 1, proxy_pong_timeout = 2 (LC-02's silent client)."""

    def test_proxy_pings_are_answered_and_keep_the_session(self):
        client, engine = self.connect()
        deadline = time.monotonic() + 2.8  # beyond the 2 s pong timeout
        pings = 0
        while time.monotonic() < deadline:
            try:
                f = client.recv_frame(timeout=max(deadline - time.monotonic(), 0.01))
            except TimeoutError:
                break
            self.assertEqual(f.opcode, OP_PING, f)
            pings += 1
            client.send(pong(f.payload))
        self.assertGreaterEqual(pings, 1)
        self.roundtrip_ok(client, engine)

    def test_lc02_silent_client_is_dropped_and_the_engine_closed(self):
        client, engine = self.connect()
        started = time.monotonic()
        self.assertTrue(engine.wait_eof(6), 'the engine connection outlived a silent client')
        self.assertGreater(time.monotonic() - started, 1.5)
        frames = []
        while True:
            try:
                frames.append(client.recv_frame())
            except EOFError:
                break
        self.assertTrue(frames and all(f.opcode == OP_PING for f in frames), frames)


transports(ControlCases, globals())
transports(KeepAliveCases, globals(),
           config={'proxy_ping_interval': 1, 'proxy_pong_timeout': 2})

if __name__ == '__main__':
    unittest.main()
