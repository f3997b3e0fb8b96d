#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace StudioProxy {

// What an admin sees of one open relay session: who, from where, and how much it carried.
struct SessionInfo
{
    quint64 id = 0;
    QString clientAddress; // "1.2.3.4:5" or "[::1]:5"
    QString origin; // the Origin header; empty when the client sent none
    // The connection id the engine announced in its greeting (what SHOW PROCESSLIST and KILL
    // use); unknown until the greeting arrived, and for an engine that refused the login.
    std::optional<quint32> engineConnectionId;
    qint64 bytesToEngine = 0;
    qint64 bytesToClient = 0;
    QDateTime openedAt; // UTC
    qint64 durationMs = 0; // when the snapshot was taken
};

} // namespace StudioProxy
