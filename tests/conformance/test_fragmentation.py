"""Fragmentation (the idea of Autobahn section 5): fragmented binary messages reach the engine
as one byte stream, with control frames allowed between fragments (WS-02); continuation
frames without a message, new data frames inside one, and fragmented control frames fail
the connection with 1002."""

import os
import time
import unittest

from harness import (OP_BINARY, OP_CONT, OP_TEXT, ProxyCase, binary, close, fragments, frame,
                     ping, pong, transports)


def cont(payload=b'', fin=True, **kw):
    return frame(OP_CONT, payload, fin=fin, **kw)


class FragmentationCases(ProxyCase):

    def test_two_fragments_in_one_write(self):
        client, engine = self.connect()
        client.send(binary(b'fragment1', fin=False) + cont(b'fragment2'))
        self.assertEngineGets(engine, b'fragment1fragment2')
        self.roundtrip_ok(client, engine, b'fragment1fragment2')

    def test_two_fragments_in_separate_writes(self):
        client, engine = self.connect()
        client.send(binary(b'fragment1', fin=False))
        time.sleep(0.05)
        client.send(cont(b'fragment2'))
        self.assertEngineGets(engine, b'fragment1fragment2')

    def test_fragments_stream_through_before_the_message_ends(self):
        # The proxy never holds a message whole: the first fragment reaches the engine
        # before the last one is even sent.
        client, engine = self.connect()
        first = os.urandom(100000)
        client.send(binary(first, fin=False))
        self.assertEngineGets(engine, first)
        client.send(cont(b'end'))
        self.assertEngineGets(engine, first + b'end')

    def test_ws02_ping_between_fragments(self):
        client, engine = self.connect()
        client.send(binary(b'fragment1', fin=False) + ping(b'between') + cont(b'fragment2'))
        self.assertPong(client, b'between')
        self.assertEngineGets(engine, b'fragment1fragment2')
        self.roundtrip_ok(client, engine, b'fragment1fragment2')

    def test_ping_between_fragments_in_separate_writes(self):
        client, engine = self.connect()
        client.send(binary(b'fragment1', fin=False))
        time.sleep(0.02)
        client.send(ping(b'between'))
        self.assertPong(client, b'between')
        client.send(cont(b'fragment2'))
        self.assertEngineGets(engine, b'fragment1fragment2')

    def test_ping_between_fragments_one_byte_per_write(self):
        client, engine = self.connect()
        client.send_slowly(binary(b'fragment1', fin=False) + ping(b'between') +
                           cont(b'fragment2'), pause=0.001)
        self.assertPong(client, b'between')
        self.assertEngineGets(engine, b'fragment1fragment2')

    def test_pong_between_fragments_is_ignored(self):
        client, engine = self.connect()
        client.send(binary(b'a', fin=False) + pong(b'unsolicited') + cont(b'b', fin=False) +
                    ping(b'p') + cont(b'c'))
        self.assertPong(client, b'p')
        self.assertEngineGets(engine, b'abc')

    def test_many_pings_between_many_fragments(self):
        client, engine = self.connect()
        parts = [os.urandom(i * 10) for i in range(1, 21)]
        out = b''
        for i, p in enumerate(parts):
            out += frame(OP_BINARY if i == 0 else OP_CONT, p, fin=i == len(parts) - 1)
            if i < len(parts) - 1:
                out += ping(b'%d' % i)
        client.send(out)
        for i in range(len(parts) - 1):
            self.assertPong(client, b'%d' % i)
        self.assertEngineGets(engine, b''.join(parts))

    def test_a_thousand_one_byte_fragments(self):
        client, engine = self.connect()
        payload = os.urandom(1000)
        client.send(fragments(payload, 1))
        self.assertEngineGets(engine, payload)
        self.roundtrip_ok(client, engine, payload)

    def test_empty_fragments(self):
        client, engine = self.connect()
        client.send(binary(b'', fin=False) + cont(b'', fin=False) + cont(b'x', fin=False) +
                    cont(b'', fin=False) + cont(b''))
        self.assertEngineGets(engine, b'x')
        self.roundtrip_ok(client, engine, b'x')

    def test_messages_after_a_fragmented_message(self):
        client, engine = self.connect()
        client.send(binary(b'1', fin=False) + cont(b'2') + binary(b'3') +
                    binary(b'4', fin=False) + cont(b'5', fin=False) + cont(b'6'))
        self.assertEngineGets(engine, b'123456')
        self.roundtrip_ok(client, engine, b'123456')

    def test_close_between_fragments(self):
        # A Close may come between fragments (section 5.4): it is answered; what came
        # before still reaches the engine.
        client, engine = self.connect()
        client.send(binary(b'first', fin=False) + close(1000) + cont(b'never'))
        self.assertClosed(client, 1000, engine)
        self.assertEqual(engine.data(), b'first')

    # -- faults

    def test_continuation_without_a_message(self):
        self.assertFails(cont(b'orphan'))

    def test_unfinished_continuation_without_a_message(self):
        self.assertFails(cont(b'orphan', fin=False))

    def test_continuation_after_a_complete_message(self):
        self.assertFails(binary(b'whole') + cont(b'orphan'), engine_expected=b'whole')

    def test_continuation_after_a_complete_fragmented_message(self):
        self.assertFails(binary(b'a', fin=False) + cont(b'b') + cont(b'orphan') + ping(b'x'),
                         engine_expected=b'ab')

    def test_continuations_without_a_message_with_a_ping_between(self):
        self.assertFails(cont(b'x', fin=False) + ping(b'never') + cont(b'y'))

    def test_continuation_without_a_message_one_byte_per_write(self):
        self.assertFails(cont(b'orphan') + ping(b'never'), slowly=True)

    def test_binary_frame_inside_a_fragmented_message(self):
        self.assertFails(binary(b'a', fin=False) + binary(b'b') + ping(b'never'),
                         engine_expected=b'a')

    def test_unfinished_binary_frame_inside_a_fragmented_message(self):
        self.assertFails(binary(b'a', fin=False) + binary(b'b', fin=False) + cont(b'c'),
                         engine_expected=b'a')

    def test_text_frame_inside_a_fragmented_binary_message(self):
        self.assertFails(binary(b'a', fin=False) + frame(OP_TEXT, b'b') + cont(b'c'),
                         engine_expected=b'a')

    def test_fragmented_ping_inside_a_fragmented_message(self):
        self.assertFails(binary(b'a', fin=False) + ping(b'p', fin=False) + cont(b'c'),
                         engine_expected=b'a')

    def test_fragmented_close(self):
        self.assertFails(close(1000, fin=False) + cont(b''))

    def test_fragmented_text_message_is_refused_as_text(self):
        self.assertFails(frame(OP_TEXT, b'frag', fin=False) + cont(b'ment'), code=1003)


transports(FragmentationCases, globals())

if __name__ == '__main__':
    unittest.main()
