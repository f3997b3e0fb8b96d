"""Framing (the idea of Autobahn sections 1, 3 and 4): binary frames of every length encoding
reach the engine exactly, however the bytes are cut into TCP writes (WS-01); engine bytes
come back as unmasked binary frames; unmasked client frames, reserved bits and reserved
opcodes fail the connection with Close 1002 (WS-02)."""

import os
import random
import time
import unittest

from harness import OP_BINARY, OP_TEXT, ProxyCase, binary, close, frame, ping, transports

RESERVED_DATA_OPCODES = (0x3, 0x4, 0x5, 0x6, 0x7)
RESERVED_CONTROL_OPCODES = (0xB, 0xC, 0xD, 0xE, 0xF)


class FramingCases(ProxyCase):

    # -- client to engine (section 1)

    def test_binary_frames_of_every_length_encoding(self):
        client, engine = self.connect()
        expected = b''
        for n in (0, 1, 2, 124, 125, 126, 127, 128, 1000, 65535, 65536, 65537, 300000):
            payload = os.urandom(n)
            client.send(binary(payload))
            expected += payload
        self.assertEngineGets(engine, expected)
        self.roundtrip_ok(client, engine, expected)

    def test_empty_binary_frames_deliver_nothing_and_keep_the_session(self):
        client, engine = self.connect()
        client.send(binary(b'') * 20)
        self.assertTrue(client.quiet())
        self.assertEqual(engine.data(), b'')
        self.roundtrip_ok(client, engine)

    def test_any_masking_key(self):
        client, engine = self.connect()
        payload = bytes(range(256)) * 3
        keys = (b'\x00\x00\x00\x00', b'\xff\xff\xff\xff', b'\x01\x02\x03\x04', b'\x80\x00\x00\x01')
        for key in keys:
            client.send(binary(payload, key=key))
        self.assertEngineGets(engine, payload * len(keys))

    def test_ws01_ten_frames_in_one_write(self):
        client, engine = self.connect()
        payloads = [('frame %d;' % i).encode() * (i + 1) for i in range(10)]
        client.send(b''.join(binary(p) for p in payloads))
        self.assertEngineGets(engine, b''.join(payloads))
        self.assertEngineGetsNothingMore(engine, b''.join(payloads))

    def test_a_thousand_frames_of_mixed_sizes_in_one_write(self):
        client, engine = self.connect()
        rng = random.Random(6455)
        payloads = [os.urandom(rng.choice((0, 1, 7, 125, 126, 200, 4096))) for _ in range(1000)]
        client.send(b''.join(binary(p) for p in payloads))
        self.assertEngineGets(engine, b''.join(payloads))
        self.roundtrip_ok(client, engine, b''.join(payloads))

    def test_frames_in_the_same_write_as_the_upgrade_request(self):
        payloads = [b'\x01first', b'\x02second', os.urandom(70000)]
        client, engine = self.connect(extra=b''.join(binary(p) for p in payloads) + ping(b'hi'))
        self.assertEngineGets(engine, b''.join(payloads))
        self.assertPong(client, b'hi')

    def _split_everywhere(self, payload, cuts):
        """One frame per cut, each sent as two writes cut at that offset."""
        client, engine = self.connect()
        expected = b''
        for cut in cuts:
            data = binary(payload)
            client.send(data[:cut])
            time.sleep(0.003)
            client.send(data[cut:])
            expected += payload
        self.assertEngineGets(engine, expected)
        self.roundtrip_ok(client, engine, expected)

    def test_7bit_frames_cut_at_every_byte(self):
        self._split_everywhere(os.urandom(20), range(1, 26))

    def test_16bit_frames_cut_at_every_header_byte_and_inside_the_payload(self):
        self._split_everywhere(os.urandom(300), list(range(1, 10)) + [50, 150, 303])

    def test_64bit_frames_cut_at_every_header_byte_and_inside_the_payload(self):
        self._split_everywhere(os.urandom(70000), list(range(1, 16)) + [1000, 65536, 70013])

    def test_frames_sent_one_byte_per_write(self):
        client, engine = self.connect()
        small, medium = os.urandom(5), os.urandom(130)
        client.send_slowly(binary(small) + binary(medium) + binary(b'') + ping(b'slow'),
                           pause=0.001)
        self.assertEngineGets(engine, small + medium)
        self.assertPong(client, b'slow')

    # -- masking and lengths (section 5.1, 5.2)

    def test_unmasked_binary_frame(self):
        self.assertFails(binary(b'hello', masked=False))

    def test_unmasked_empty_binary_frame(self):
        self.assertFails(binary(b'', masked=False))

    def test_unmasked_frame_after_valid_data(self):
        self.assertFails(binary(b'valid') + binary(b'bare', masked=False) + ping(b'x'),
                         engine_expected=b'valid')

    def test_unmasked_ping(self):
        self.assertFails(ping(b'x', masked=False))

    def test_unmasked_close(self):
        self.assertFails(close(1000, masked=False))

    def test_16bit_length_that_fits_7_bits(self):
        self.assertFails(binary(b'x' * 10, length_form=16))

    def test_64bit_length_that_fits_16_bits(self):
        self.assertFails(binary(b'x' * 200, length_form=64))

    def test_64bit_length_with_the_most_significant_bit_set(self):
        self.assertFails(binary(b'', length=(1 << 63) + 5, length_form=64))

    def test_protocol_error_while_the_engine_floods(self):
        # Binary frames may precede the Close 1002; nothing may follow it.
        client, engine = self.connect(flood=True)
        self.assertEqual(client.recv_frame().opcode, OP_BINARY)
        client.send(binary(b'bad', rsv=2))
        before = self.assertClosed(client, 1002, engine, frames_allowed=True)
        self.assertTrue(all(f.opcode == OP_BINARY for f in before))

    # -- engine to client

    def test_engine_greeting_arrives_as_binary_frames(self):
        greeting = b'\x4a\x00\x00\x00\x0a5.5.5-fake\x00' + os.urandom(60)
        client, engine = self.connect(greeting=greeting)
        got = b''
        while len(got) < len(greeting):
            f = client.recv_frame()
            self.assertEqual((f.opcode, f.fin), (OP_BINARY, True), f)
            got += f.payload
        self.assertEqual(got, greeting)
        self.assertTrue(client.quiet())

    def test_engine_bytes_in_many_writes_come_back_exactly(self):
        client, engine = self.connect()
        rng = random.Random(1)
        chunks = [bytes(rng.randrange(256) for _ in range(rng.choice((1, 3, 100, 5000))))
                  for _ in range(200)]
        for chunk in chunks:
            engine.send(chunk)
        expected = b''.join(chunks)
        got = b''
        while len(got) < len(expected):
            f = client.recv_frame()
            self.assertEqual(f.opcode, OP_BINARY, f)
            self.assertGreater(len(f.payload), 0, 'an empty binary frame')
            got += f.payload
        self.assertEqual(got, expected)

    def test_echo_of_every_byte_value(self):
        client, engine = self.connect(echo=True)
        payload = bytes(range(256)) * 64
        client.send(binary(payload))
        got = b''
        while len(got) < len(payload):
            got += client.recv_frame().payload
        self.assertEqual(got, payload)

    def test_engine_data_and_client_data_interleaved(self):
        client, engine = self.connect(echo=True)
        sent = b''
        got = b''
        for i in range(50):
            p = os.urandom(1 + i * 37)
            client.send(binary(p))
            sent += p
            while len(got) < len(sent):
                got += client.recv_frame().payload
        self.assertEqual(got, sent)


# -- reserved bits (section 3): no extension is ever negotiated

def _rsv_case(rsv, make, expected=b''):
    def test(self):
        self.assertFails(make(rsv), engine_expected=expected)
    return test


for _rsv in range(1, 8):
    setattr(FramingCases, 'test_rsv%d_on_binary' % _rsv,
            _rsv_case(_rsv, lambda r: binary(b'hello', rsv=r)))
for _name, _make, _expected in (
        ('empty_binary', lambda r: binary(b'', rsv=r), b''),
        ('ping', lambda r: ping(b'p', rsv=r), b''),
        ('close', lambda r: close(1000, rsv=r), b''),
        ('text', lambda r: frame(OP_TEXT, b'hello', rsv=r), b''),
        ('continuation', lambda r: binary(b'a', fin=False) + frame(0, b'b', rsv=r), b'a')):
    setattr(FramingCases, 'test_rsv1_on_%s' % _name, _rsv_case(1, _make, _expected))


def _reserved_bits_after_valid_data_then_a_ping(self):
    # Valid data is delivered; the bad frame fails the connection; the ping after it is
    # never answered (assertFails allows no frame before the Close).
    self.assertFails(binary(b'before') + binary(b'bad', rsv=3) + ping(b'never'),
                     engine_expected=b'before')


FramingCases.test_reserved_bits_after_valid_data_then_a_ping = \
    _reserved_bits_after_valid_data_then_a_ping


# -- reserved opcodes (section 4)

def _opcode_case(opcode, payload, prefix=b'', expected=b''):
    def test(self):
        self.assertFails(prefix + frame(opcode, payload) + ping(b'never'),
                         engine_expected=expected)
    return test


for _op in RESERVED_DATA_OPCODES + RESERVED_CONTROL_OPCODES:
    setattr(FramingCases, 'test_reserved_opcode_0x%X_empty' % _op, _opcode_case(_op, b''))
    setattr(FramingCases, 'test_reserved_opcode_0x%X_with_payload' % _op,
            _opcode_case(_op, b'reserved'))
    setattr(FramingCases, 'test_reserved_opcode_0x%X_after_valid_data' % _op,
            _opcode_case(_op, b'x', prefix=binary(b'valid'), expected=b'valid'))

transports(FramingCases, globals())

if __name__ == '__main__':
    unittest.main()
