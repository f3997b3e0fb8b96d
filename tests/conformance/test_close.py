"""Closing (the idea of Autobahn section 7, and cases WS-02, LC-01, LC-02): valid Close codes
are echoed, invalid ones get 1002, an empty Close gets an empty Close; after its Close the
proxy closes TCP and the engine connection; nothing is relayed after a Close; the engine's
last words reach the client before Close 1000; a client that just goes away (FIN or RST)
has its engine connection closed and gets nothing more."""

import os
import socket
import struct
import time
import unittest

from harness import (OP_BINARY, OP_CLOSE, TIMEOUT, ProxyCase, binary, binary_payloads, close,
                     frame, ping, transports)

VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
               3000, 3999, 4000, 4999)
INVALID_CODES = (0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)


class CloseCases(ProxyCase):

    def test_empty_close_gets_an_empty_close(self):
        client, engine = self.connect()
        client.send(close())
        self.assertClosed(client, None, engine)

    def test_close_1000(self):
        client, engine = self.connect()
        client.send(close(1000))
        self.assertClosed(client, 1000, engine)

    def test_close_1000_with_a_reason(self):
        client, engine = self.connect()
        client.send(close(1000, b'Hello World!'))
        self.assertClosed(client, 1000, engine)

    def test_close_with_a_123_byte_reason(self):
        client, engine = self.connect()
        client.send(close(1000, b'*' * 123))
        self.assertClosed(client, 1000, engine)

    def test_close_with_a_124_byte_reason(self):
        # 126 bytes of payload: over the 125 a control frame may carry.
        self.assertFails(close(1000, b'*' * 124))

    def test_close_with_a_one_byte_payload(self):
        self.assertFails(frame(OP_CLOSE, b'\x03'))

    def test_close_one_byte_per_write(self):
        client, engine = self.connect()
        client.send_slowly(close(1001, b'bye'), pause=0.001)
        self.assertClosed(client, 1001, engine)

    def test_answer_and_tcp_close_are_prompt(self):
        # Section 7.1.1: the server closes TCP first, at once, without waiting for anything.
        client, engine = self.connect()
        started = time.monotonic()
        client.send(close(1000))
        self.assertClosed(client, 1000)
        self.assertTrue(engine.wait_eof(), 'the engine connection was not closed')
        self.assertLess(time.monotonic() - started, 1.0)

    def test_data_before_a_close_in_the_same_write_reaches_the_engine(self):
        # A driver's COM_QUIT, then its Close.
        client, engine = self.connect()
        quit_packet = b'\x01\x00\x00\x00\x01'
        client.send(binary(b'query') + binary(quit_packet) + close(1000))
        self.assertClosed(client, 1000, engine)
        self.assertEqual(engine.data(), b'query' + quit_packet)

    def test_large_data_before_a_close_reaches_the_engine(self):
        client, engine = self.connect()
        payload = os.urandom(2 * 1024 * 1024)
        sender = client.send_in_background(binary(payload) + close(1000))
        self.assertClosed(client, 1000, engine)
        sender.join()
        self.assertEqual(engine.data(), payload)

    def test_nothing_is_relayed_after_a_close(self):
        client, engine = self.connect()
        client.send(binary(b'before') + close(1000) + binary(b'after') + ping(b'after'))
        self.assertClosed(client, 1000, engine)
        self.assertEqual(engine.data(), b'before')

    def test_ping_after_close_gets_no_pong(self):
        client, engine = self.connect()
        client.send(close(1000))
        time.sleep(0.02)
        try:
            client.send(ping(b'late'))
        except OSError:
            pass
        self.assertClosed(client, 1000, engine)

    def test_second_close_is_not_answered(self):
        client, engine = self.connect()
        client.send(close(1000) + close(1001))
        self.assertClosed(client, 1000, engine)

    def test_close_while_the_engine_floods(self):
        # Binary frames may precede the answer; nothing may follow it (section 5.5.1).
        client, engine = self.connect(flood=True)
        f = client.recv_frame()
        self.assertEqual(f.opcode, OP_BINARY)
        client.send(close(1000))
        before = self.assertClosed(client, 1000, engine, frames_allowed=True)
        self.assertTrue(all(f.opcode == OP_BINARY for f in before))

    def test_close_after_data_the_engine_is_slow_to_take(self):
        # The Close waits behind the data (backpressure), then is answered; nothing is lost.
        client, engine = self.connect(paused=True)
        payload = os.urandom(3 * 1024 * 1024)
        sender = client.send_in_background(binary(payload) + close(1000))
        time.sleep(0.3)
        engine.resume()
        self.assertClosed(client, 1000, engine)
        sender.join()
        self.assertEqual(len(engine.data()), len(payload))
        self.assertEqual(engine.data(), payload)

    # -- LC-01: the engine's last words

    def _engine_hangs_up(self, last_words):
        client, engine = self.connect(greeting=last_words, close_after_greeting=True)
        before, close_frame = client.frames_until_close()
        self.assertTrue(all(f.opcode == OP_BINARY for f in before), before)
        self.assertEqual(binary_payloads(before), last_words)
        self.assertEqual(close_frame.close_code, 1000, close_frame)
        # The client answers; the proxy then closes TCP.
        client.send(close(1000))
        closed, extra = client.wait_eof()
        self.assertEqual(extra, b'')
        self.assertTrue(closed)

    def test_lc01_engine_error_packet_then_hang_up(self):
        # ER_CON_COUNT_ERROR-like: 11 bytes, then the engine closes at once.
        self._engine_hangs_up(b'\x07\x00\x00\x00\xff\x10\x04Too')

    def test_lc01_engine_sends_1_mb_then_hangs_up(self):
        self._engine_hangs_up(os.urandom(1000000))

    def test_lc01_engine_hangs_up_without_a_word(self):
        self._engine_hangs_up(b'')

    def test_engine_hang_up_mid_session(self):
        client, engine = self.connect()
        client.send(binary(b'request'))
        self.assertEngineGets(engine, b'request')
        engine.send(b'answer')
        engine.close()
        before, close_frame = client.frames_until_close()
        self.assertEqual(binary_payloads(before), b'answer')
        self.assertEqual(close_frame.close_code, 1000)
        # Data the client sends before its Close goes nowhere; its Close ends TCP.
        client.send(binary(b'too late') + close(1000))
        closed, extra = client.wait_eof()
        self.assertEqual(extra, b'')
        self.assertTrue(closed)

    # -- LC-02: a client that goes away without a Close

    def test_lc02_fin_without_close_closes_the_engine_and_writes_nothing(self):
        client, engine = self.connect()
        client.send(binary(b'last'))
        self.assertEngineGets(engine, b'last')
        client.shutdown_write()
        self.assertTrue(engine.wait_eof(), 'the engine connection stayed open')
        self.assertEqual(engine.data(), b'last')
        try:
            engine.send(b'late engine bytes')  # the proxy must not relay these
        except OSError:
            pass
        closed, extra = client.wait_eof()
        self.assertEqual(extra, b'', 'bytes written after the client FIN')
        self.assertTrue(closed)

    def test_lc02_fin_right_after_data_delivers_the_data(self):
        client, engine = self.connect()
        client.send(binary(b'COM_QUIT'))
        client.shutdown_write()
        self.assertTrue(engine.wait_eof())
        self.assertEqual(engine.data(), b'COM_QUIT')

    def test_lc02_fin_in_the_middle_of_a_fragmented_message(self):
        client, engine = self.connect()
        client.send(binary(b'half', fin=False))
        self.assertEngineGets(engine, b'half')
        client.shutdown_write()
        self.assertTrue(engine.wait_eof())
        closed, extra = client.wait_eof()
        self.assertEqual(extra, b'')

    def test_lc02_fin_in_the_middle_of_a_frame(self):
        client, engine = self.connect()
        data = binary(os.urandom(1000))
        client.send(data[:500])
        client.shutdown_write()
        self.assertTrue(engine.wait_eof())
        closed, extra = client.wait_eof()
        self.assertEqual(extra, b'')

    def test_lc02_reset_closes_the_engine(self):
        client, engine = self.connect()
        client.send(binary(b'x'))
        self.assertEngineGets(engine, b'x')
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        client.close()
        self.assertTrue(engine.wait_eof(), 'the engine connection stayed open')

    # Found failing before 0f915fa (the rest of the data was dropped at the FIN).
    def test_lc02_fin_after_data_the_engine_was_slow_to_take(self):
        # Everything the proxy accepted before the FIN reaches the engine (README: "nothing
        # it accepted is dropped"), then the engine connection closes. The engine does not
        # read until the client has sent its data and its FIN.
        client, engine = self.connect(paused=True)
        payload = os.urandom(1536 * 1024)
        sender = client.send_in_background(binary(payload))
        sender.join(TIMEOUT)
        self.assertFalse(sender.is_alive(), 'the client could not send its data')
        client.shutdown_write()
        time.sleep(0.3)
        engine.resume()
        self.assertTrue(engine.wait_eof(10))
        self.assertEqual(len(engine.data()), len(payload))
        self.assertEqual(engine.data(), payload)

def _echoed(code):
    def test(self):
        client, engine = self.connect()
        client.send(close(code, b'reason'))
        self.assertClosed(client, code, engine)
    return test


def _refused(code):
    def test(self):
        self.assertFails(close(code))
    return test


for _code in VALID_CODES:
    setattr(CloseCases, 'test_valid_code_%d_is_echoed' % _code, _echoed(_code))
for _code in INVALID_CODES:
    setattr(CloseCases, 'test_invalid_code_%d_gets_1002' % _code, _refused(_code))

transports(CloseCases, globals())

if __name__ == '__main__':
    unittest.main()
