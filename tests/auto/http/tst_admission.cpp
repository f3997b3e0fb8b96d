#include "http/admission.h"
#include "http/requesthead.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::HeadStatus)

// The proxy port's first decision on a request head: hand it to the WebSocket handshake
// (RFC 6455 section 4.2.1), answer /ping, or refuse it in plain HTTP and close. Every refusal
// is a response a browser, curl or a load balancer must be able to read, and an admin must find
// it in the log.
class tst_Admission : public QObject
{
    Q_OBJECT

private slots:
    void ping_data();
    void ping();
    void trustCheckPage_data();
    void trustCheckPage();
    void admit_data();
    void admit();
    void refuseHead_data();
    void refuseHead();
};

namespace {

// Stands for "handed to the WebSocket handshake" in the status column.
constexpr int Upgrade = 101;

// An opening handshake as RFC 6455 section 4.1 has a browser send it, less the fields named
// in drop and with the lines in extra added.
QByteArray handshake(const QByteArrayList &drop = {},
        const QByteArrayList &extra = {},
        const QByteArray &requestLine = "GET /ws HTTP/1.1")
{
    const QByteArrayList standard = { "Host: localhost:9000",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13" };

    QByteArray text = requestLine + "\r\n";
    for (const QByteArray &line : standard) {
        if (!drop.contains(line.first(line.indexOf(':'))))
            text += line + "\r\n";
    }
    for (const QByteArray &line : extra)
        text += line + "\r\n";
    return text + "\r\n";
}

// A plain request with a Host field and the lines in extra.
QByteArray plain(const QByteArray &requestLine, const QByteArrayList &extra = {})
{
    QByteArray text = requestLine + "\r\nHost: localhost:9000\r\n";
    for (const QByteArray &line : extra)
        text += line + "\r\n";
    return text + "\r\n";
}

struct Response
{
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> fields; // names in lowercase
    QByteArray body;

    QByteArrayList values(const QByteArray &name) const
    {
        QByteArrayList found;
        for (const auto &[fieldName, value] : fields) {
            if (fieldName == name.toLower())
                found << value;
        }
        return found;
    }
};

// Reads response as an HTTP/1.1 client must (RFC 9112 sections 2 to 6) into *parsed; returns
// what is wrong with it, or an empty string when it is well-formed and closes the connection.
QByteArray readResponse(const QByteArray &response, Response *parsed)
{
    const qsizetype headEnd = response.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return "no blank line after the head";
    const QByteArray head = response.first(headEnd + 2);
    if (head.count('\n') != head.count("\r\n") || head.count('\r') != head.count("\r\n"))
        return "a line of the head does not end with CRLF";
    parsed->body = response.sliced(headEnd + 4);

    QByteArrayList lines = head.split('\n');
    lines.removeLast(); // after the last CRLF
    for (QByteArray &line : lines)
        line.chop(1);

    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    const QByteArray statusLine = lines.takeFirst();
    if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.size() < 13 || statusLine.at(12) != ' ')
        return "bad status line: " + statusLine;
    bool isNumber = false;
    parsed->status = statusLine.mid(9, 3).toInt(&isNumber);
    if (!isNumber || parsed->status < 100)
        return "bad status code: " + statusLine;
    if (statusLine.size() == 13)
        return "no reason phrase: " + statusLine;

    for (const QByteArray &line : std::as_const(lines)) {
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || line.first(colon).contains(' ') || line.first(colon).contains('\t'))
            return "bad field line: " + line;
        parsed->fields.append({ line.first(colon).toLower(), line.sliced(colon + 1).trimmed() });
    }

    const QByteArrayList length = parsed->values("content-length");
    if (length.size() != 1)
        return "not one Content-Length but " + QByteArray::number(length.size());
    if (length.front() != QByteArray::number(parsed->body.size()))
        return "Content-Length " + length.front() + " for a body of "
                + QByteArray::number(parsed->body.size()) + " bytes";
    if (parsed->values("connection") != QByteArrayList { "close" })
        return "no Connection: close";
    return {};
}

} // namespace

void tst_Admission::ping_data()
{
    QTest::addColumn<QByteArray>("request");

    QTest::newRow("HTTP/1.1") << plain("GET /ping HTTP/1.1");
    QTest::newRow("HTTP/1.0") << plain("GET /ping HTTP/1.0");
    QTest::newRow("with a query") << plain("GET /ping?from=lb HTTP/1.1");
    QTest::newRow("keep-alive asked") << plain("GET /ping HTTP/1.1", { "Connection: keep-alive" });
}

// The health check of a load balancer: 200 and "pong", and nothing in the admin's log.
void tst_Admission::ping()
{
    QFETCH(QByteArray, request);

    const HeadParse parsed =
            parseRequestHead(request, AdmissionLimits::MaxHeadBytes, AdmissionLimits::MaxHeadLines);
    QCOMPARE(parsed.status, HeadStatus::Complete);
    const Admission admission = StudioProxy::admit(parsed.head, AdmissionLimits(), 0);

    QVERIFY(!admission.upgrade);
    QCOMPARE(admission.status, 200);
    Response response;
    const QByteArray problem = readResponse(admission.response, &response);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, "pong\n"_ba);
    QVERIFY2(admission.logLine.isEmpty(), qPrintable(admission.logLine));
}

void tst_Admission::trustCheckPage_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("bodyHolds");

    QTest::newRow("/") << plain("GET / HTTP/1.1") << "text/html; charset=utf-8"_ba
                       << "<script src=\"/trust-check.js\""_ba;
    QTest::newRow("/ over HTTP/1.0") << plain("GET / HTTP/1.0") << "text/html; charset=utf-8"_ba
                                     << "<title>"_ba;
    QTest::newRow("/?x=1") << plain("GET /?x=1 HTTP/1.1") << "text/html; charset=utf-8"_ba
                           << "<title>"_ba;
    QTest::newRow("script") << plain("GET /trust-check.js HTTP/1.1")
                            << "text/javascript; charset=utf-8"_ba
                            << "document.title"_ba;
    QTest::newRow("style sheet") << plain("GET /trust-check.css HTTP/1.1")
                                 << "text/css; charset=utf-8"_ba
                                 << "#verdict"_ba;
}

// GET / serves the page that shows whether this browser trusts the proxy: never cached, and
// allowed to load script and style from this origin and to open WebSockets to this host only.
void tst_Admission::trustCheckPage()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, bodyHolds);

    const HeadParse parsed =
            parseRequestHead(request, AdmissionLimits::MaxHeadBytes, AdmissionLimits::MaxHeadLines);
    QCOMPARE(parsed.status, HeadStatus::Complete);
    const Admission admission = StudioProxy::admit(parsed.head, AdmissionLimits(), 0);

    QVERIFY(!admission.upgrade);
    Response response;
    const QByteArray problem = readResponse(admission.response, &response);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(response.status, 200);
    QCOMPARE(response.values("content-type"), QByteArrayList { contentType });
    QCOMPARE(response.values("cache-control"), QByteArrayList { "no-store" });
    QVERIFY2(response.body.contains(bodyHolds), response.body.left(200).constData());
    const QByteArrayList policy = response.values("content-security-policy");
    QCOMPARE(policy.size(), 1);
    QVERIFY2(policy.front().contains("default-src 'none'"), policy.front().constData());
    QVERIFY2(policy.front().contains("script-src 'self';"), policy.front().constData());
    QVERIFY2(
            policy.front().contains("connect-src 'self' wss://localhost:9000 ws://localhost:9000;"),
            policy.front().constData());
}

void tst_Admission::admit_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QStringList>("allowedOrigins");
    QTest::addColumn<int>("maxSessions");
    QTest::addColumn<int>("activeSessions");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArrayList>("fields"); // "Name: value" that the response must carry

    const QStringList any;
    const QStringList studio = { u"https://studio.example.com"_s, u"http://localhost:8080"_s };
    const QByteArrayList none;
    const QByteArrayList upgradeRequired = { "Upgrade: websocket", "Sec-WebSocket-Version: 13" };
    const QByteArrayList versions = { "Sec-WebSocket-Version: 13" };

    // Not an upgrade: RFC 9110 section 15.5.22 has 426 name the protocol to switch to.
    QTest::newRow("GET /index.html")
            << plain("GET /index.html HTTP/1.1") << any << 10 << 0 << 426 << upgradeRequired;
    QTest::newRow("GET /ws without Upgrade")
            << plain("GET /ws HTTP/1.1") << any << 10 << 0 << 426 << upgradeRequired;
    QTest::newRow("GET /ws over HTTP/1.0")
            << plain("GET /ws HTTP/1.0") << any << 10 << 0 << 426 << upgradeRequired;
    QTest::newRow("Upgrade: h2c") << plain(
            "GET /ws HTTP/1.1", { "Connection: Upgrade", "Upgrade: h2c" })
                                  << any << 10 << 0 << 426 << upgradeRequired;
    // The trust-check page is plain HTTP and is served whatever the session count.
    QTest::newRow("GET / (trust-check page)")
            << plain("GET / HTTP/1.1") << any << 10 << 0 << 200
            << QByteArrayList { "Content-Type: text/html; charset=utf-8" };
    QTest::newRow("POST") << plain("POST / HTTP/1.1", { "Content-Length: 0" }) << any << 10 << 0
                          << 405 << QByteArrayList { "Allow: GET" };
    QTest::newRow("PUT /ping") << plain("PUT /ping HTTP/1.1") << any << 10 << 0 << 405
                               << QByteArrayList { "Allow: GET" };
    QTest::newRow("GET / when full") << plain("GET / HTTP/1.1") << any << 1 << 1 << 200 << none;

    // RFC 6455 section 4.2.1: what an opening handshake must hold.
    QTest::newRow("upgrade") << handshake() << any << 10 << 0 << Upgrade << none;
    QTest::newRow("all-lowercase names")
            << "GET /ws HTTP/1.1\r\nhost: localhost:9000\r\nupgrade: websocket\r\n"
               "connection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "sec-websocket-version: 13\r\norigin: https://studio.example.com\r\n\r\n"_ba
            << studio << 10 << 0 << Upgrade << none;
    QTest::newRow("Connection: keep-alive, Upgrade")
            << handshake({ "Connection" }, { "Connection: keep-alive, Upgrade" }) << any << 10 << 0
            << Upgrade << none;
    QTest::newRow("Connection over two lines")
            << handshake({ "Connection" }, { "Connection: keep-alive", "Connection: Upgrade" })
            << any << 10 << 0 << Upgrade << none;
    QTest::newRow("Upgrade: WebSocket") << handshake({ "Upgrade" }, { "Upgrade: WebSocket" }) << any
                                        << 10 << 0 << Upgrade << none;
    QTest::newRow("query in the target")
            << handshake({}, {}, "GET /ws?db=x HTTP/1.1") << any << 10 << 0 << Upgrade << none;
    QTest::newRow("no Sec-WebSocket-Key")
            << handshake({ "Sec-WebSocket-Key" }) << any << 10 << 0 << 400 << none;
    QTest::newRow("empty Sec-WebSocket-Key")
            << handshake({ "Sec-WebSocket-Key" }, { "Sec-WebSocket-Key:" }) << any << 10 << 0 << 400
            << none;
    QTest::newRow("no Connection") << handshake({ "Connection" }) << any << 10 << 0 << 400 << none;
    QTest::newRow("Connection: keep-alive")
            << handshake({ "Connection" }, { "Connection: keep-alive" }) << any << 10 << 0 << 400
            << none;
    QTest::newRow("HTTP/1.0") << handshake({}, {}, "GET /ws HTTP/1.0") << any << 10 << 0 << 400
                              << none;
    QTest::newRow("POST upgrade") << handshake({}, {}, "POST /ws HTTP/1.1") << any << 10 << 0 << 400
                                  << none;
    QTest::newRow("no Host") << handshake({ "Host" }) << any << 10 << 0 << 400 << none;

    // RFC 6455 section 4.4: an unknown version is answered with the versions spoken.
    QTest::newRow("no Sec-WebSocket-Version")
            << handshake({ "Sec-WebSocket-Version" }) << any << 10 << 0 << 426 << versions;
    for (const QByteArray &version : { "8"_ba, "14"_ba, ""_ba, "13.0"_ba, "1 3"_ba }) {
        QTest::addRow("Sec-WebSocket-Version: %s", version.constData())
                << handshake({ "Sec-WebSocket-Version" }, { "Sec-WebSocket-Version: " + version })
                << any << 10 << 0 << 426 << versions;
    }

    // RFC 6455 section 4.2.2 and 10.2: the server decides which origins may connect.
    const auto origin = [](const QByteArray &value) {
        return handshake({}, { "Origin: " + value });
    };
    QTest::newRow("origin listed")
            << origin("https://studio.example.com") << studio << 10 << 0 << Upgrade << none;
    QTest::newRow("origin listed, other case")
            << origin("HTTPS://Studio.Example.COM") << studio << 10 << 0 << Upgrade << none;
    QTest::newRow("second origin listed")
            << origin("http://localhost:8080") << studio << 10 << 0 << Upgrade << none;
    QTest::newRow("origin not listed")
            << origin("https://evil.example.net") << studio << 10 << 0 << 403 << none;
    QTest::newRow("listed origin as a prefix")
            << origin("https://studio.example.com.evil.test") << studio << 10 << 0 << 403 << none;
    QTest::newRow("other port") << origin("http://localhost:8081") << studio << 10 << 0 << 403
                                << none;
    QTest::newRow("origin null") << origin("null") << studio << 10 << 0 << 403 << none;
    QTest::newRow("no origin, list set") << handshake() << studio << 10 << 0 << 403 << none;
    QTest::newRow("any origin, empty list")
            << origin("https://evil.example.net") << any << 10 << 0 << Upgrade << none;

    // proxy_max_sessions: a full proxy asks the client to come back.
    const QByteArrayList retry = { "Retry-After" };
    QTest::newRow("one session left") << handshake() << any << 2 << 1 << Upgrade << none;
    QTest::newRow("full") << handshake() << any << 2 << 2 << 503 << retry;
    QTest::newRow("over full") << handshake() << any << 2 << 3 << 503 << retry;
    QTest::newRow("no sessions allowed") << handshake() << any << 0 << 0 << 503 << retry;
    QTest::newRow("/ping when full") << plain("GET /ping HTTP/1.1") << any << 1 << 1 << 200 << none;
}

void tst_Admission::admit()
{
    QFETCH(QByteArray, request);
    QFETCH(QStringList, allowedOrigins);
    QFETCH(int, maxSessions);
    QFETCH(int, activeSessions);
    QFETCH(int, status);
    QFETCH(QByteArrayList, fields);

    const HeadParse parsed =
            parseRequestHead(request, AdmissionLimits::MaxHeadBytes, AdmissionLimits::MaxHeadLines);
    QCOMPARE(parsed.status, HeadStatus::Complete);
    AdmissionLimits limits;
    limits.allowedOrigins = allowedOrigins;
    limits.maxSessions = maxSessions;

    const Admission admission = StudioProxy::admit(parsed.head, limits, activeSessions);

    QCOMPARE(admission.upgrade ? Upgrade : admission.status, status);
    if (admission.upgrade) {
        QVERIFY(admission.response.isEmpty());
        return;
    }

    Response response;
    const QByteArray problem = readResponse(admission.response, &response);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(response.status, status);
    QVERIFY(!response.body.isEmpty());
    for (const QByteArray &field : std::as_const(fields)) {
        const qsizetype colon = field.indexOf(':');
        const QByteArrayList values =
                response.values(field.first(colon < 0 ? field.size() : colon));
        QVERIFY2(!values.isEmpty(), field.constData());
        if (colon >= 0)
            QVERIFY2(values.contains(field.sliced(colon + 1).trimmed()), field.constData());
    }
    if (status == 503) {
        // RFC 9110 section 10.2.3: Retry-After as delay-seconds.
        bool isNumber = false;
        response.values("retry-after").front().toUInt(&isNumber);
        QVERIFY2(isNumber, response.values("retry-after").front().constData());
    }

    if (status == 200)
        QVERIFY2(admission.logLine.isEmpty(), qPrintable(admission.logLine));
    else
        QVERIFY(!admission.logLine.isEmpty());
}

void tst_Admission::refuseHead_data()
{
    QTest::addColumn<HeadStatus>("headStatus");
    QTest::addColumn<int>("status");

    // RFC 6585 section 5 for 431.
    QTest::newRow("TooLarge") << HeadStatus::TooLarge << 431;
    QTest::newRow("TooManyLines") << HeadStatus::TooManyLines << 431;
    QTest::newRow("Malformed") << HeadStatus::Malformed << 400;
}

void tst_Admission::refuseHead()
{
    QFETCH(HeadStatus, headStatus);
    QFETCH(int, status);

    const Admission admission = StudioProxy::refuseHead(headStatus);

    QVERIFY(!admission.upgrade);
    QCOMPARE(admission.status, status);
    Response response;
    const QByteArray problem = readResponse(admission.response, &response);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(response.status, status);
    QVERIFY(!response.body.isEmpty());
    QVERIFY(!admission.logLine.isEmpty());
}

QTEST_GUILESS_MAIN(tst_Admission)
#include "tst_admission.moc"
