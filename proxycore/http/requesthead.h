#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <utility>

namespace StudioProxy {

// The head of an HTTP/1.1 request (RFC 9112 section 2): request line and header fields, as
// far as the proxy port needs them to decide between a WebSocket upgrade, a plain answer and
// a refusal. Bytes are kept as sent; field names are compared case-insensitively.
struct RequestHead
{
    QByteArray method;
    QByteArray target;
    QByteArray version;
    QList<std::pair<QByteArray, QByteArray>> fields; // names in lowercase, values trimmed

    // All values of a field joined with ", " (RFC 9110 section 5.3); null when absent.
    QByteArray field(QByteArrayView name) const;
    // Whether a comma-separated field lists token, case-insensitively ("Connection:
    // keep-alive, Upgrade" lists "upgrade").
    bool fieldHasToken(QByteArrayView name, QByteArrayView token) const;
    // The target's path without its query.
    QByteArray path() const;
};

enum class HeadStatus {
    Incomplete, // no blank line yet and still within the limits: wait for more bytes
    Complete, // head parsed; length is its size including the blank line
    TooLarge, // no end within maxBytes (431)
    TooManyLines, // more header lines than allowed (431)
    Malformed, // not an HTTP/1.x request head (400)
};

struct HeadParse
{
    HeadStatus status = HeadStatus::Incomplete;
    RequestHead head;
    qsizetype length = 0;
};

// Parses the start of data, which need not hold the whole head yet.
HeadParse parseRequestHead(QByteArrayView data, qsizetype maxBytes, int maxLines);

} // namespace StudioProxy
