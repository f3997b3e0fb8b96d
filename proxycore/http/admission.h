#pragma once

#include "http/requesthead.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace StudioProxy {

// What the proxy port accepts before a WebSocket upgrade.
struct AdmissionLimits
{
    static constexpr qsizetype MaxHeadBytes = 8 * 1024;
    static constexpr int MaxHeadLines = 100;

    int maxSessions = 10000;
    QStringList allowedOrigins; // empty: any origin
};

// The answer to one request head on the proxy port: hand it to the WebSocket handshake, or
// answer it in plain HTTP and close.
struct Admission
{
    bool upgrade = false;
    int status = 0; // when not upgrading
    QByteArray response; // the whole HTTP response, when not upgrading
    QString logLine; // what the admin's log says about it; empty for /ping

    static Admission respond(int status,
            const QByteArray &reason,
            const QByteArray &body,
            const QByteArray &extraFields = QByteArray(),
            const QString &logLine = QString());
};

// RFC 6455 section 4.2.1 and 4.4 for the upgrade; GET /ping answers "pong" for health checks;
// GET / serves the trust-check page (and its script and style sheet).
Admission admit(const RequestHead &head, const AdmissionLimits &limits, int activeSessions);

// A refusal for a head that could not be parsed (400) or grew past the limits (431).
Admission refuseHead(HeadStatus status);

} // namespace StudioProxy
