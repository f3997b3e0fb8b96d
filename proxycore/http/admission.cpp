#include "http/admission.h"

#include <QFile>

#include <algorithm>

using namespace Qt::StringLiterals;

// The trust-check page is compiled into this static library; register it before first use.
static void registerTrustCheckPage()
{
    Q_INIT_RESOURCE(trustcheck);
}

namespace StudioProxy {

namespace {

constexpr QByteArrayView WebSocketVersion = "13";

QString describe(const RequestHead &head)
{
    return u"%1 %2"_s.arg(
            QString::fromLatin1(head.method), QString::fromLatin1(head.target.left(200)));
}

// 16 bytes in base64, nothing else (RFC 6455 section 4.2.1, item 5).
bool isWebSocketKey(const QByteArray &key)
{
    const auto decoded =
            QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    return decoded && decoded.decoded.size() == 16;
}

// The page's files and their media types, by request path.
struct PageFile
{
    QByteArrayView path;
    const char *resource;
    QByteArrayView contentType;
};

constexpr PageFile PageFiles[] = {
    { "/", ":/trustcheck/index.html", "text/html; charset=utf-8" },
    { "/trust-check.js", ":/trustcheck/trust-check.js", "text/javascript; charset=utf-8" },
    { "/trust-check.css", ":/trustcheck/trust-check.css", "text/css; charset=utf-8" },
};

// A Host value fit to be written into a header: name or address and port, nothing else.
bool isPlainHost(const QByteArray &host)
{
    return !host.isEmpty() && host.size() <= 255
            && std::all_of(host.begin(), host.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                           || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
               });
}

// The trust-check page (GET /): scripts and styles from this origin only, and WebSocket
// connections to this host alone; CSP 'self' covers ws: and wss: only in newer browsers, so
// the origins are named as well.
Admission servePage(const RequestHead &head, const PageFile &page)
{
    static const bool registered = [] {
        registerTrustCheckPage();
        return true;
    }();
    Q_UNUSED(registered);

    QFile file(QString::fromLatin1(page.resource));
    if (!file.open(QIODevice::ReadOnly))
        return Admission::respond(500, "Internal Server Error", "The page is missing.\n");
    const QByteArray body = file.readAll();
    const QByteArray host = head.field("host").trimmed();
    QByteArray connect = "'self'";
    if (isPlainHost(host))
        connect += " wss://" + host + " ws://" + host;

    Admission admission;
    admission.status = 200;
    admission.response = "HTTP/1.1 200 OK\r\nContent-Type: " + page.contentType.toByteArray()
            + "\r\nContent-Length: " + QByteArray::number(body.size())
            + "\r\nConnection: close\r\nCache-Control: no-store\r\n"
              "X-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; "
              "script-src 'self'; style-src 'self'; connect-src "
            + connect + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n\r\n"
            + body;
    return admission;
}

} // namespace

Admission Admission::respond(int status,
        const QByteArray &reason,
        const QByteArray &body,
        const QByteArray &extraFields,
        const QString &logLine)
{
    Admission admission;
    admission.status = status;
    admission.logLine = logLine;
    admission.response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: " + QByteArray::number(body.size()) + "\r\n"
            + "Connection: close\r\n" + "Cache-Control: no-store\r\n" + extraFields + "\r\n" + body;
    return admission;
}

Admission admit(const RequestHead &head, const AdmissionLimits &limits, int activeSessions)
{
    const bool wantsWebSocket = head.fieldHasToken("upgrade", "websocket");
    if (!wantsWebSocket) {
        if (head.method != "GET") {
            return Admission::respond(405,
                    "Method Not Allowed",
                    "This port serves WebSocket connections.\n",
                    "Allow: GET\r\n",
                    u"answered %1 with 405"_s.arg(describe(head)));
        }
        if (head.path() == "/ping")
            return Admission::respond(200, "OK", "pong\n");
        for (const PageFile &page : PageFiles) {
            if (head.path() == page.path)
                return servePage(head, page);
        }
        // RFC 9110 section 15.5.22: 426 names the protocol to switch to.
        return Admission::respond(426,
                "Upgrade Required",
                "This port serves WebSocket connections for SingleStore Studio; GET / shows "
                "whether this browser trusts it, GET /ping answers pong.\n",
                "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
                u"answered %1 without a WebSocket upgrade with 426"_s.arg(describe(head)));
    }

    if (head.method != "GET" || head.version != "HTTP/1.1"
            || !head.fieldHasToken("connection", "upgrade")
            || !isWebSocketKey(head.field("sec-websocket-key")) || head.field("host").isEmpty()
            || head.field("host").contains(',')) {
        // RFC 6455 section 4.2.1: Host is required, and the key is 16 bytes in base64.
        return Admission::respond(400,
                "Bad Request",
                "A WebSocket upgrade needs GET, HTTP/1.1, Host, Connection: Upgrade and a "
                "Sec-WebSocket-Key of 16 bytes in base64.\n",
                QByteArray(),
                u"refused a malformed WebSocket upgrade (%1) with 400"_s.arg(describe(head)));
    }
    // RFC 6455 section 4.4: answer an unknown version with the versions we speak.
    if (head.field("sec-websocket-version").trimmed() != WebSocketVersion) {
        return Admission::respond(426,
                "Upgrade Required",
                "This server speaks WebSocket version 13.\n",
                "Sec-WebSocket-Version: 13\r\n",
                u"refused WebSocket version \"%1\" with 426"_s.arg(
                        QString::fromLatin1(head.field("sec-websocket-version").left(20))));
    }

    const QString origin = QString::fromUtf8(head.field("origin"));
    if (!limits.allowedOrigins.isEmpty()
            && !limits.allowedOrigins.contains(origin, Qt::CaseInsensitive)) {
        return Admission::respond(403,
                "Forbidden",
                "This origin may not connect to this proxy.\n",
                QByteArray(),
                u"refused origin %1 with 403: not in proxy_allowed_origins"_s.arg(
                        origin.isEmpty() ? u"(none)"_s : origin));
    }
    if (activeSessions >= limits.maxSessions) {
        return Admission::respond(503,
                "Service Unavailable",
                "The proxy serves as many sessions as it may; try again later.\n",
                "Retry-After: 1\r\n",
                u"refused a connection with 503: %1 sessions is proxy_max_sessions"_s.arg(
                        limits.maxSessions));
    }

    Admission admission;
    admission.upgrade = true;
    return admission;
}

Admission refuseHead(HeadStatus status)
{
    if (status == HeadStatus::TooLarge || status == HeadStatus::TooManyLines) {
        return Admission::respond(431,
                "Request Header Fields Too Large",
                "The request head is larger than this proxy accepts.\n",
                QByteArray(),
                u"refused a request head over %1 bytes or %2 lines with 431"_s
                        .arg(AdmissionLimits::MaxHeadBytes)
                        .arg(AdmissionLimits::MaxHeadLines));
    }
    return Admission::respond(400,
            "Bad Request",
            "This is not an HTTP/1.1 request.\n",
            QByteArray(),
            u"refused a request that is not HTTP with 400"_s);
}

} // namespace StudioProxy
