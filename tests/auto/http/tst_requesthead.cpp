#include "http/admission.h"
#include "http/requesthead.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

using Fields = QList<std::pair<QByteArray, QByteArray>>;

Q_DECLARE_METATYPE(StudioProxy::HeadStatus)

namespace StudioProxy {

static const char *statusName(HeadStatus status)
{
    switch (status) {
    case HeadStatus::Incomplete:
        return "Incomplete";
    case HeadStatus::Complete:
        return "Complete";
    case HeadStatus::TooLarge:
        return "TooLarge";
    case HeadStatus::TooManyLines:
        return "TooManyLines";
    case HeadStatus::Malformed:
        return "Malformed";
    }
    return "?";
}

// Found by QCOMPARE through argument-dependent lookup, so a failure names the status.
char *toString(HeadStatus status)
{
    return qstrdup(statusName(status));
}

} // namespace StudioProxy

// The request head the proxy port reads before it decides between a WebSocket upgrade, a plain
// answer and a refusal (RFC 9112 sections 2 to 5). It arrives in pieces, so every prefix of a
// head must wait, and the limits must refuse a flood before it fills the buffer.
class tst_RequestHead : public QObject
{
    Q_OBJECT

private slots:
    void complete_data();
    void complete();
    void incomplete_data();
    void incomplete();
    void limits_data();
    void limits();
    void malformed_data();
    void malformed();
    void lfLineEnds_data();
    void lfLineEnds();
    void field_data();
    void field();
    void fieldHasToken_data();
    void fieldHasToken();
    void path_data();
    void path();
    void bytesAfterTheHead_data();
    void bytesAfterTheHead();

private:
    static HeadParse parse(QByteArrayView data,
            qsizetype maxBytes = AdmissionLimits::MaxHeadBytes,
            int maxLines = AdmissionLimits::MaxHeadLines)
    {
        return parseRequestHead(data, maxBytes, maxLines);
    }
};

// A head of the request line and fieldLines, each ended by CRLF, and the blank line.
static QByteArray head(const QByteArray &requestLine, const QByteArrayList &fieldLines = {})
{
    QByteArray text = requestLine + "\r\n";
    for (const QByteArray &line : fieldLines)
        text += line + "\r\n";
    return text + "\r\n";
}

// count field lines "X-Line-<n>: <n>".
static QByteArrayList numberedFields(int count)
{
    QByteArrayList lines;
    for (int i = 0; i < count; ++i)
        lines << "X-Line-" + QByteArray::number(i) + ": " + QByteArray::number(i);
    return lines;
}

void tst_RequestHead::complete_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<Fields>("fields");

    QTest::newRow("request line only") << head("GET / HTTP/1.1") << "GET"_ba
                                       << "/"_ba
                                       << "HTTP/1.1"_ba << Fields {};
    QTest::newRow("HTTP/1.0") << head("GET /ping HTTP/1.0") << "GET"_ba
                              << "/ping"_ba
                              << "HTTP/1.0"_ba << Fields {};
    QTest::newRow("opening handshake") << head("GET /ws?db=x HTTP/1.1",
            { "Host: localhost:9000",
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version: 13" })
                                       << "GET"_ba
                                       << "/ws?db=x"_ba
                                       << "HTTP/1.1"_ba
                                       << Fields { { "host", "localhost:9000" },
                                              { "upgrade", "websocket" },
                                              { "connection", "Upgrade" },
                                              { "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==" },
                                              { "sec-websocket-version", "13" } };
    QTest::newRow("names lowercased, values trimmed")
            << head("POST /x HTTP/1.1", { "HOST:   example.com   ", "X-Tab:\tv a l\t", "a-B:c" })
            << "POST"_ba
            << "/x"_ba
            << "HTTP/1.1"_ba
            << Fields { { "host", "example.com" }, { "x-tab", "v a l" }, { "a-b", "c" } };
    QTest::newRow("empty value") << head("GET / HTTP/1.1", { "X-Empty:", "X-Blank:   " })
                                 << "GET"_ba
                                 << "/"_ba
                                 << "HTTP/1.1"_ba
                                 << Fields { { "x-empty", "" }, { "x-blank", "" } };
    QTest::newRow("repeated field kept in order")
            << head("GET / HTTP/1.1", { "Via: a", "X: 1", "Via: b" }) << "GET"_ba
            << "/"_ba
            << "HTTP/1.1"_ba << Fields { { "via", "a" }, { "x", "1" }, { "via", "b" } };
    QTest::newRow("asterisk form") << head("OPTIONS * HTTP/1.1") << "OPTIONS"_ba
                                   << "*"_ba
                                   << "HTTP/1.1"_ba << Fields {};
    QTest::newRow("absolute form") << head("GET http://h:1/ws HTTP/1.1") << "GET"_ba
                                   << "http://h:1/ws"_ba
                                   << "HTTP/1.1"_ba << Fields {};
}

void tst_RequestHead::complete()
{
    QFETCH(QByteArray, data);

    const HeadParse parsed = parse(data);

    QCOMPARE(parsed.status, HeadStatus::Complete);
    QCOMPARE(parsed.length, data.size());
    QTEST(parsed.head.method, "method");
    QTEST(parsed.head.target, "target");
    QTEST(parsed.head.version, "version");
    QTEST(parsed.head.fields, "fields");
}

void tst_RequestHead::incomplete_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("maxLines");

    QTest::newRow("request line only") << head("GET / HTTP/1.1") << 100;
    QTest::newRow("opening handshake") << head("GET /ws HTTP/1.1",
            { "Host: localhost",
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version: 13" })
                                       << 100;
    QTest::newRow("maxLines field lines") << head("GET / HTTP/1.1", numberedFields(3)) << 3;
}

// Bytes arrive one at a time: every proper prefix must wait, and only the whole head decides.
void tst_RequestHead::incomplete()
{
    QFETCH(QByteArray, data);
    QFETCH(int, maxLines);

    QByteArray decidedEarly;
    for (qsizetype size = 0; size < data.size() && decidedEarly.isEmpty(); ++size) {
        const HeadStatus status =
                parse(data.first(size), AdmissionLimits::MaxHeadBytes, maxLines).status;
        if (status != HeadStatus::Incomplete)
            decidedEarly =
                    "the first " + QByteArray::number(size) + " bytes give " + statusName(status);
    }
    QVERIFY2(decidedEarly.isEmpty(), decidedEarly.constData());

    const HeadParse parsed = parse(data, AdmissionLimits::MaxHeadBytes, maxLines);
    QCOMPARE(parsed.status, HeadStatus::Complete);
    QCOMPARE(parsed.length, data.size());
}

void tst_RequestHead::limits_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("maxBytes");
    QTest::addColumn<int>("maxLines");
    QTest::addColumn<HeadStatus>("status");

    // 16 bytes of request line, 46 of field line, 2 of blank line.
    const QByteArray sixtyFour = head("GET / HTTP/1.1", { "X: " + QByteArray(41, 'a') });

    QTest::newRow("no end within maxBytes")
            << QByteArray("GET / HTTP/1.1\r\nX: "_ba + QByteArray(100, 'a')) << 64 << 100
            << HeadStatus::TooLarge;
    QTest::newRow("exactly maxBytes, no end yet")
            << QByteArray(sixtyFour.first(62) + "ab") << 64 << 100 << HeadStatus::TooLarge;
    QTest::newRow("one byte short of maxBytes")
            << sixtyFour.first(63) << 64 << 100 << HeadStatus::Incomplete;
    QTest::newRow("end exactly at maxBytes") << sixtyFour << 64 << 100 << HeadStatus::Complete;
    QTest::newRow("end one byte past maxBytes") << sixtyFour << 63 << 100 << HeadStatus::TooLarge;
    QTest::newRow("maxLines field lines")
            << head("GET / HTTP/1.1", numberedFields(4)) << 8192 << 4 << HeadStatus::Complete;
    QTest::newRow("maxLines field lines, blank line still to come")
            << head("GET / HTTP/1.1", numberedFields(4)).chopped(2) << 8192 << 4
            << HeadStatus::Incomplete;
    QTest::newRow("one line too many")
            << head("GET / HTTP/1.1", numberedFields(5)) << 8192 << 4 << HeadStatus::TooManyLines;
    QTest::newRow("one line too many, blank line still to come")
            << head("GET / HTTP/1.1", numberedFields(5)).chopped(2) << 8192 << 4
            << HeadStatus::TooManyLines;
    QTest::newRow("flood of short lines before maxBytes")
            << QByteArray("GET / HTTP/1.1\r\n"_ba + QByteArray("a:b\r\n").repeated(200)) << 8192
            << 100 << HeadStatus::TooManyLines;
}

void tst_RequestHead::limits()
{
    QFETCH(QByteArray, data);
    QFETCH(int, maxBytes);
    QFETCH(int, maxLines);

    QTEST(parse(data, maxBytes, maxLines).status, "status");
}

void tst_RequestHead::malformed_data()
{
    QTest::addColumn<QByteArray>("data");

    // RFC 9112 section 3: method SP request-target SP HTTP-version, and nothing else.
    QTest::newRow("empty request line") << "\r\n\r\n"_ba;
    QTest::newRow("method only") << head("GET");
    QTest::newRow("no version") << head("GET /");
    QTest::newRow("no target") << head("GET HTTP/1.1");
    QTest::newRow("leading space") << head(" GET / HTTP/1.1");
    QTest::newRow("two spaces after method") << head("GET  / HTTP/1.1");
    QTest::newRow("trailing space") << head("GET / HTTP/1.1 ");
    QTest::newRow("space in target") << head("GET /a b HTTP/1.1");
    QTest::newRow("method not a token") << head("G(T / HTTP/1.1");
    QTest::newRow("HTTP/2.0") << head("GET / HTTP/2.0");
    QTest::newRow("HTTP/0.9") << head("GET / HTTP/0.9");
    QTest::newRow("lowercase version") << head("GET / http/1.1");
    QTest::newRow("not HTTP") << head("SSH-2.0-OpenSSH_9.2p1 Debian-2");

    // RFC 9112 section 5: field-name ":" OWS field-value OWS.
    QTest::newRow("no colon") << head("GET / HTTP/1.1", { "Host localhost" });
    QTest::newRow("empty name") << head("GET / HTTP/1.1", { ": value" });
    QTest::newRow("space before colon") << head("GET / HTTP/1.1", { "Host : localhost" });
    QTest::newRow("tab before colon") << head("GET / HTTP/1.1", { "Host\t: localhost" });
    QTest::newRow("folded with space") << head("GET / HTTP/1.1", { "X-A: one", " two" });
    QTest::newRow("folded with tab") << head("GET / HTTP/1.1", { "X-A: one", "\ttwo" });
    QTest::newRow("folded line with a colon")
            << head("GET / HTTP/1.1", { "X-A: one", " X-B: two" });
    QTest::newRow("first field line folded") << head("GET / HTTP/1.1", { " Host: localhost" });

    // RFC 9110 section 5.5 and RFC 9112 section 2.2: CR, LF and NUL are never part of a value.
    QTest::newRow("bare LF in a value")
            << head("GET / HTTP/1.1", { "Origin: https://a.test\nX-Injected: 1" });
    QTest::newRow("bare CR in a value") << head("GET / HTTP/1.1", { "Origin: https://a\r.test" });
    QTest::newRow("NUL in a value")
            << head("GET / HTTP/1.1", { QByteArray("Origin: https://a\0.test", 23) });
}

void tst_RequestHead::malformed()
{
    QFETCH(QByteArray, data);

    QCOMPARE(parse(data).status, HeadStatus::Malformed);
}

void tst_RequestHead::lfLineEnds_data()
{
    QTest::addColumn<QByteArray>("data");

    QTest::newRow("LF only") << "GET / HTTP/1.1\nHost: localhost\n\n"_ba;
    QTest::newRow("CRLF request line, LF fields") << "GET / HTTP/1.1\r\nHost: localhost\n\n"_ba;
    QTest::newRow("LF blank line") << "GET / HTTP/1.1\r\nHost: localhost\r\n\n"_ba;
}

// RFC 9112 section 2.2 lets a server refuse a bare LF as a line end; refusing it at once (400)
// tells the client what is wrong instead of making it wait for the handshake deadline.
void tst_RequestHead::lfLineEnds()
{
    QFETCH(QByteArray, data);

    QCOMPARE(parse(data).status, HeadStatus::Malformed);

    const QByteArray filled = data + QByteArray(AdmissionLimits::MaxHeadBytes, 'x');
    QCOMPARE(parse(filled).status, HeadStatus::Malformed);
}

void tst_RequestHead::field_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("isNull");

    const QByteArray fields = head("GET / HTTP/1.1",
            { "Host: localhost",
                    "Connection: keep-alive",
                    "X-Empty:",
                    "connection: Upgrade",
                    "Via: a",
                    "VIA:",
                    "Via: c" });

    QTest::newRow("once") << fields << "host"_ba
                          << "localhost"_ba << false;
    QTest::newRow("name in any case") << fields << "HoSt"_ba
                                      << "localhost"_ba << false;
    QTest::newRow("repeated, joined with comma") << fields << "Connection"_ba
                                                 << "keep-alive, Upgrade"_ba << false;
    QTest::newRow("repeated, one empty") << fields << "via"_ba
                                         << "a, , c"_ba << false;
    QTest::newRow("present and empty") << fields << "x-empty"_ba
                                       << ""_ba << false;
    QTest::newRow("absent") << fields << "origin"_ba << QByteArray() << true;
    QTest::newRow("absent, no fields at all")
            << head("GET / HTTP/1.1") << "host"_ba << QByteArray() << true;
}

void tst_RequestHead::field()
{
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, name);
    QFETCH(bool, isNull);

    const HeadParse parsed = parse(data);
    QCOMPARE(parsed.status, HeadStatus::Complete);

    const QByteArray value = parsed.head.field(name);
    QTEST(value, "value");
    QCOMPARE(value.isNull(), isNull);
}

void tst_RequestHead::fieldHasToken_data()
{
    QTest::addColumn<QByteArrayList>("fieldLines");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("listed");

    QTest::newRow("alone") << QByteArrayList { "Connection: Upgrade" } << "connection"_ba
                           << "upgrade"_ba << true;
    QTest::newRow("second in a list")
            << QByteArrayList { "Connection: keep-alive, Upgrade" } << "connection"_ba
            << "upgrade"_ba << true;
    QTest::newRow("first in a list")
            << QByteArrayList { "Connection: Upgrade, keep-alive" } << "connection"_ba
            << "upgrade"_ba << true;
    QTest::newRow("any case") << QByteArrayList { "CONNECTION: KEEP-ALIVE,UPGRADE" }
                              << "Connection"_ba
                              << "Upgrade"_ba << true;
    QTest::newRow("space around commas")
            << QByteArrayList { "Connection: keep-alive ,  upgrade " } << "connection"_ba
            << "upgrade"_ba << true;
    QTest::newRow("in a repeated line")
            << QByteArrayList { "Connection: keep-alive", "Connection: Upgrade" } << "connection"_ba
            << "upgrade"_ba << true;
    QTest::newRow("websocket") << QByteArrayList { "Upgrade: WebSocket" } << "upgrade"_ba
                               << "websocket"_ba << true;
    QTest::newRow("only as a prefix")
            << QByteArrayList { "Connection: Upgrades" } << "connection"_ba
            << "upgrade"_ba << false;
    QTest::newRow("only inside a token")
            << QByteArrayList { "Connection: keep-alive-upgrade" } << "connection"_ba
            << "upgrade"_ba << false;
    QTest::newRow("in another field") << QByteArrayList { "Upgrade: upgrade" } << "connection"_ba
                                      << "upgrade"_ba << false;
    QTest::newRow("field absent") << QByteArrayList {} << "connection"_ba
                                  << "upgrade"_ba << false;
    QTest::newRow("field empty") << QByteArrayList { "Connection:" } << "connection"_ba
                                 << "upgrade"_ba << false;
}

void tst_RequestHead::fieldHasToken()
{
    QFETCH(QByteArrayList, fieldLines);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, token);

    const HeadParse parsed = parse(head("GET / HTTP/1.1", fieldLines));
    QCOMPARE(parsed.status, HeadStatus::Complete);
    QTEST(parsed.head.fieldHasToken(name, token), "listed");
}

void tst_RequestHead::path_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");

    QTest::newRow("root") << "/"_ba
                          << "/"_ba;
    QTest::newRow("no query") << "/ping"_ba
                              << "/ping"_ba;
    QTest::newRow("query") << "/ping?probe=lb"_ba
                           << "/ping"_ba;
    QTest::newRow("empty query") << "/ping?"_ba
                                 << "/ping"_ba;
    QTest::newRow("question mark in query") << "/ws?a=1?b"_ba
                                            << "/ws"_ba;
    QTest::newRow("query only on root") << "/?x"_ba
                                        << "/"_ba;
    QTest::newRow("asterisk") << "*"_ba
                              << "*"_ba;
}

void tst_RequestHead::path()
{
    QFETCH(QByteArray, target);

    const HeadParse parsed = parse(head("GET " + target + " HTTP/1.1"));
    QCOMPARE(parsed.status, HeadStatus::Complete);
    QTEST(parsed.head.path(), "path");
}

void tst_RequestHead::bytesAfterTheHead_data()
{
    QTest::addColumn<QByteArray>("data");

    QTest::newRow("request line only") << head("GET / HTTP/1.1");
    QTest::newRow("opening handshake") << head("GET /ws HTTP/1.1",
            { "Host: localhost",
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version: 13" });
    QTest::newRow("empty value last") << head("GET /ping HTTP/1.0", { "X-Empty:" });
    QTest::newRow("maxLines field lines")
            << head("GET / HTTP/1.1", numberedFields(AdmissionLimits::MaxHeadLines));
}

// Whatever follows the blank line (a pipelined request, a WebSocket frame sent early, noise)
// belongs to the body or the next message, never to this head.
void tst_RequestHead::bytesAfterTheHead()
{
    QFETCH(QByteArray, data);

    const HeadParse alone = parse(data);
    QCOMPARE(alone.status, HeadStatus::Complete);
    QCOMPARE(alone.length, data.size());

    QByteArrayList suffixes = { "\r\n"_ba,
        "\r\n\r\n"_ba,
        "\n"_ba,
        QByteArray(1, '\0'),
        head("POST /next HTTP/1.1", { "Host: elsewhere" }),
        "X-Late: 1\r\n\r\n"_ba,
        QByteArray(AdmissionLimits::MaxHeadBytes * 2, ' ') };

    // A fixed seed keeps a failure reproducible.
    QRandomGenerator random(6455);
    for (int i = 0; i < 50; ++i) {
        QByteArray noise(random.bounded(1, 600), Qt::Uninitialized);
        for (char &byte : noise)
            byte = char(random.bounded(256));
        suffixes << noise;
    }

    for (const QByteArray &suffix : std::as_const(suffixes)) {
        const HeadParse parsed = parse(QByteArray(data + suffix));
        const QByteArray shown = suffix.left(40).toPercentEncoding();
        QVERIFY2(parsed.status == alone.status, shown.constData());
        QVERIFY2(parsed.length == alone.length, shown.constData());
        QVERIFY2(parsed.head.method == alone.head.method, shown.constData());
        QVERIFY2(parsed.head.target == alone.head.target, shown.constData());
        QVERIFY2(parsed.head.version == alone.head.version, shown.constData());
        QVERIFY2(parsed.head.fields == alone.head.fields, shown.constData());
    }
}

QTEST_GUILESS_MAIN(tst_RequestHead)
#include "tst_requesthead.moc"
