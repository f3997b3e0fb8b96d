"""The opening handshake (cases WS-03 and WS-04, RFC 6455 section 4): unusual but valid
upgrade requests get 101 with the right Sec-WebSocket-Accept; a missing or unknown
Sec-WebSocket-Version gets 426 naming version 13; plain HTTP gets an HTTP answer; no
subprotocol or extension is ever chosen; the proxy keeps serving others throughout."""

import base64
import os
import time
import unittest

from harness import (ProxyCase, accept_for, binary, close, ping, request, transports)


def _key():
    return base64.b64encode(os.urandom(16)).decode()


class HandshakeCases(ProxyCase):

    def fields(self, key, **changes):
        """The usual upgrade fields; changes replace (value) or drop (None) them by name."""
        base = [('Host', 'localhost:%d' % self.env.port), ('Upgrade', 'websocket'),
                ('Connection', 'Upgrade'), ('Sec-WebSocket-Key', key),
                ('Sec-WebSocket-Version', '13')]
        out = []
        for name, value in base:
            attr = name.replace('-', '_').lower()
            if attr in changes:
                if changes[attr] is not None:
                    out.append((name, changes.pop(attr)))
                else:
                    changes.pop(attr)
            else:
                out.append((name, value))
        out += [(name.replace('_', '-'), value) for name, value in changes.items()]
        return out

    def refused(self, fields, path='/'):
        """Sends a request that must not be upgraded: its response, after which the proxy
        closes the connection and no engine connection was made."""
        engines = len(self.env.engine.connections)
        client = self.raw_client()
        data, _ = request(self.env.port, fields=fields, path=path)
        client.send(data)
        response = client.read_head()
        closed, body = client.wait_eof()
        self.assertTrue(closed, 'the connection stayed open after %s' % response.status_line)
        length = response.field('content-length')
        if length is not None:
            self.assertEqual(len(body), int(length))
        time.sleep(0.05)
        self.assertEqual(len(self.env.engine.connections), engines,
                         'an engine connection for a refused request')
        response.body = body
        return response

    def upgraded(self, fields, key):
        client, engine = self.connect(fields=fields)
        self.roundtrip_ok(client, engine)
        return client, engine

    def assertStillServing(self):
        client, engine = self.connect()
        self.roundtrip_ok(client, engine)

    # -- 101

    def test_standard_upgrade(self):
        key = _key()
        engine = self.env.engine.prepare()
        client = self.raw_client()
        client.send(request(self.env.port, fields=self.fields(key))[0])
        response = client.read_head()
        self.assertEqual(response.status, 101, response.status_line)
        self.assertEqual(response.field('upgrade').lower(), 'websocket')
        self.assertIn('upgrade', [t.strip().lower() for t in response.field('connection').split(',')])
        self.assertEqual(response.field('sec-websocket-accept'), accept_for(key))
        self.assertIsNone(response.field('sec-websocket-protocol'))
        self.assertIsNone(response.field('sec-websocket-extensions'))
        self.assertTrue(engine.accepted.wait(5))
        self.roundtrip_ok(client, engine)

    def test_rfc_sample_key(self):
        key = 'dGhlIHNhbXBsZSBub25jZQ=='
        engine = self.env.engine.prepare()
        client = self.raw_client()
        client.send(request(self.env.port, fields=self.fields(key))[0])
        response = client.read_head()
        self.assertEqual(response.status, 101)
        self.assertEqual(response.field('sec-websocket-accept'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
        self.assertTrue(engine.accepted.wait(5))

    def test_ws03_lowercase_header_names(self):
        key = _key()
        fields = [(n.lower(), v) for n, v in self.fields(key)]
        self.upgraded(fields, key)

    def test_ws03_uppercase_header_names_and_values(self):
        key = _key()
        fields = [(n.upper(), v) for n, v in self.fields(key, upgrade='WEBSOCKET',
                                                         connection='UPGRADE')]
        self.upgraded(fields, key)

    def test_ws03_connection_keep_alive_upgrade(self):
        key = _key()
        self.upgraded(self.fields(key, connection='keep-alive, Upgrade'), key)

    def test_ws03_upgrade_value_in_mixed_case(self):
        key = _key()
        self.upgraded(self.fields(key, upgrade='WebSocket'), key)

    def test_extra_header_fields_and_origin(self):
        key = _key()
        self.upgraded(self.fields(key, origin='https://studio.example', user_agent='conformance',
                                  cookie='a=b', pragma='no-cache'), key)

    def test_upgrade_with_a_path_and_query(self):
        engine = self.env.engine.prepare()
        client = self.raw_client()
        key = _key()
        client.send(request(self.env.port, fields=self.fields(key), path='/some/path?x=1')[0])
        self.assertEqual(client.read_head().status, 101)
        self.assertTrue(engine.accepted.wait(5))
        self.roundtrip_ok(client, engine)

    def test_request_sent_one_byte_per_write(self):
        engine = self.env.engine.prepare()
        client = self.raw_client()
        key = _key()
        client.send_slowly(request(self.env.port, fields=self.fields(key))[0], pause=0.0005)
        response = client.read_head()
        self.assertEqual(response.status, 101)
        self.assertEqual(response.field('sec-websocket-accept'), accept_for(key))
        self.assertTrue(engine.accepted.wait(5))
        self.roundtrip_ok(client, engine)

    # -- WS-04 subprotocols and extensions: none is chosen

    def test_ws04_offered_subprotocols_none_or_one_chosen(self):
        key = _key()
        engine = self.env.engine.prepare()
        client = self.raw_client()
        client.send(request(self.env.port,
                            fields=self.fields(key, sec_websocket_protocol='foo, binary'))[0])
        response = client.read_head()
        self.assertEqual(response.status, 101)
        chosen = response.field('sec-websocket-protocol')
        self.assertIn(chosen, (None, 'foo', 'binary'))
        self.assertTrue(engine.accepted.wait(5))

    def test_ws04_no_subprotocol_offered_none_answered(self):
        key = _key()
        engine = self.env.engine.prepare()
        client = self.raw_client()
        client.send(request(self.env.port, fields=self.fields(key))[0])
        response = client.read_head()
        self.assertEqual(response.status, 101)
        self.assertIsNone(response.field('sec-websocket-protocol'))
        self.assertTrue(engine.accepted.wait(5))

    def test_permessage_deflate_is_not_negotiated_so_rsv1_stays_illegal(self):
        key = _key()
        engine = self.env.engine.prepare()
        client = self.raw_client()
        client.send(request(self.env.port, fields=self.fields(
            key, sec_websocket_extensions='permessage-deflate; client_max_window_bits'))[0])
        response = client.read_head()
        self.assertEqual(response.status, 101)
        self.assertIsNone(response.field('sec-websocket-extensions'))
        self.assertTrue(engine.accepted.wait(5))
        client.send(binary(b'compressed?', rsv=4))
        self.assertClosed(client, 1002, engine)

    # -- refusals

    def test_ws03_missing_version_gets_426_naming_13(self):
        response = self.refused(self.fields(_key(), sec_websocket_version=None))
        self.assertEqual(response.status, 426, response.status_line)
        self.assertEqual(response.field('sec-websocket-version'), '13')
        self.assertStillServing()

    def test_ws03_version_8_gets_426_naming_13(self):
        response = self.refused(self.fields(_key(), sec_websocket_version='8'))
        self.assertEqual(response.status, 426, response.status_line)
        self.assertEqual(response.field('sec-websocket-version'), '13')
        self.assertStillServing()

    def test_version_14_gets_426_naming_13(self):
        response = self.refused(self.fields(_key(), sec_websocket_version='14'))
        self.assertEqual(response.status, 426, response.status_line)
        self.assertEqual(response.field('sec-websocket-version'), '13')

    def test_ws03_plain_get_gets_an_http_answer(self):
        response = self.refused([('Host', 'localhost:%d' % self.env.port)], path='/ws')
        self.assertEqual(response.status, 426, response.status_line)
        self.assertStillServing()

    def test_get_root_serves_the_trust_check_page(self):
        response = self.refused([('Host', 'localhost:%d' % self.env.port)])
        self.assertEqual(response.status, 200, response.status_line)
        self.assertEqual(response.field('content-type'), 'text/html; charset=utf-8')
        self.assertStillServing()

    def test_get_ping_answers_pong(self):
        response = self.refused([('Host', 'localhost:%d' % self.env.port)], path='/ping')
        self.assertEqual(response.status, 200, response.status_line)
        self.assertEqual(response.body.strip(), b'pong')

    def test_missing_host_gets_400(self):
        response = self.refused(self.fields(_key(), host=None))
        self.assertEqual(response.status, 400, response.status_line)
        self.assertStillServing()

    def test_key_that_is_not_16_bytes_gets_400(self):
        response = self.refused(self.fields(base64.b64encode(b'short').decode()))
        self.assertEqual(response.status, 400, response.status_line)

    def test_missing_key_gets_400(self):
        response = self.refused(self.fields(_key(), sec_websocket_key=None))
        self.assertEqual(response.status, 400, response.status_line)

    def test_connection_without_upgrade_token_gets_400(self):
        response = self.refused(self.fields(_key(), connection='keep-alive'))
        self.assertEqual(response.status, 400, response.status_line)

    def test_an_open_session_survives_refused_requests(self):
        client, engine = self.connect()
        client.send(binary(b'before'))
        for fields in (self.fields(_key(), sec_websocket_version='8'),
                       self.fields(_key(), host=None),
                       [('Host', 'localhost')]):
            self.refused(fields)
        client.send(binary(b'after') + ping(b'alive'))
        self.assertPong(client, b'alive')
        self.assertEngineGets(engine, b'beforeafter')
        client.send(close(1000))
        self.assertClosed(client, 1000, engine)


transports(HandshakeCases, globals())

if __name__ == '__main__':
    unittest.main()
