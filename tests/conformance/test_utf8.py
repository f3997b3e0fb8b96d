"""Text and UTF-8 (the idea of Autobahn section 6, where it applies): the proxy relays bytes,
so every text frame, valid UTF-8 or not, fragmented or not, gets Close 1003 (RFC 6455
7.4.1); UTF-8 does matter in Close reasons (section 7.5 idea): a valid reason gets its code
echoed, an invalid one Close 1007."""

import unittest

from harness import OP_TEXT, ProxyCase, binary, close, frame, ping, transports

# Valid UTF-8, boundary code points and noncharacters included (noncharacters are valid
# Unicode scalar values and so valid UTF-8).
VALID_REASONS = {
    'ascii': b'Hello-\x7f',
    'greek': '\u03ba\u1f79\u03c3\u03bc\u03b5'.encode(),
    'first_2_byte': '\u0080'.encode(),
    'last_2_byte': '\u07ff'.encode(),
    'first_3_byte': '\u0800'.encode(),
    'last_before_surrogates': '\ud7ff'.encode(),
    'first_after_surrogates': '\ue000'.encode(),
    'bom': '\ufeff'.encode(),
    'noncharacter_fdd0': '\ufdd0'.encode(),
    'noncharacter_fffe': '\ufffe'.encode(),
    'last_3_byte': '\uffff'.encode(),
    'first_4_byte': '\U00010000'.encode(),
    'last_code_point': '\U0010ffff'.encode(),
    'emoji': '\U0001f600 ok'.encode(),
    'nul': b'a\x00b',
    'max_length_multibyte': ('\u20ac' * 41).encode(),  # 123 bytes
}

INVALID_REASONS = {
    'lone_continuation_80': b'\x80',
    'lone_continuation_bf': b'a\xbfb',
    'start_byte_then_ascii': b'\xc2a',
    'truncated_2_byte_at_end': b'ok\xc2',
    'truncated_3_byte_at_end': b'ok\xe0\xa0',
    'truncated_4_byte_at_end': b'ok\xf0\x90\x80',
    'overlong_slash_2': b'\xc0\xaf',
    'overlong_slash_3': b'\xe0\x80\xaf',
    'overlong_slash_4': b'\xf0\x80\x80\xaf',
    'overlong_max_2': b'\xc1\xbf',
    'overlong_nul_2': b'\xc0\x80',
    'high_surrogate': b'\xed\xa0\x80',
    'low_surrogate': b'\xed\xbf\xbf',
    'surrogate_pair': b'\xed\xa0\x80\xed\xb0\x80',
    'above_10ffff': b'\xf4\x90\x80\x80',
    'five_byte_form': b'\xf8\x88\x80\x80\x80',
    'byte_fe': b'\xfe',
    'byte_ff': b'\xff',
    'byte_f5': b'\xf5\x80\x80\x80',
    'valid_then_invalid': '\u03ba\u1f79\u03c3\u03bc\u03b5'.encode() + b'\xed\xa0\x80edited',
}

for _reason in VALID_REASONS.values():
    _reason.decode('utf-8')  # the table itself is right
for _reason in INVALID_REASONS.values():
    try:
        _reason.decode('utf-8')
        raise AssertionError('%r is valid UTF-8' % _reason)
    except UnicodeDecodeError:
        pass


class Utf8Cases(ProxyCase):

    # -- text frames: Close 1003, whatever their content

    def test_text_frame(self):
        self.assertFails(frame(OP_TEXT, b'Hello'), code=1003)

    def test_empty_text_frame(self):
        self.assertFails(frame(OP_TEXT, b''), code=1003)

    def test_text_frame_with_invalid_utf8(self):
        self.assertFails(frame(OP_TEXT, b'\xce\xba\xe1\xbd\xb9\xed\xa0\x80'), code=1003)

    def test_text_frame_with_multibyte_utf8(self):
        self.assertFails(frame(OP_TEXT, '\U0001f600 \u03ba\u1f79'.encode()), code=1003)

    def test_first_fragment_of_a_text_message(self):
        self.assertFails(frame(OP_TEXT, b'\xce', fin=False) + frame(0, b'\xba'), code=1003)

    def test_text_frame_one_byte_per_write(self):
        self.assertFails(frame(OP_TEXT, b'Hello') + ping(b'never'), code=1003, slowly=True)

    def test_text_frame_after_binary_data(self):
        self.assertFails(binary(b'binary first') + frame(OP_TEXT, b'text') + binary(b'never'),
                         code=1003, engine_expected=b'binary first')

    def test_large_text_frame_is_refused_at_its_header(self):
        # 1003 comes from the header alone: the payload need not arrive.
        client, engine = self.connect()
        client.send(frame(OP_TEXT, b'', length=1 << 20))
        self.assertClosed(client, 1003, engine)

    def test_unmasked_text_frame_is_a_protocol_error(self):
        self.assertFails(frame(OP_TEXT, b'x', masked=False), code=1002)


def _valid_reason(reason):
    def test(self):
        client, engine = self.connect()
        client.send(close(1000, reason))
        self.assertClosed(client, 1000, engine)
    return test


def _invalid_reason(reason):
    def test(self):
        self.assertFails(close(1000, reason), code=1007)
    return test


for _name, _reason in VALID_REASONS.items():
    setattr(Utf8Cases, 'test_close_reason_valid_%s' % _name, _valid_reason(_reason))
for _name, _reason in INVALID_REASONS.items():
    setattr(Utf8Cases, 'test_close_reason_invalid_%s' % _name, _invalid_reason(_reason))

transports(Utf8Cases, globals())

if __name__ == '__main__':
    unittest.main()
