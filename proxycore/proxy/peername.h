#pragma once

#include <QAbstractSocket>
#include <QString>

namespace StudioProxy {

// How the log names a client: "1.2.3.4:5" or "[::1]:5". IPv4 clients of the dual-stack
// socket show as IPv4, not as ::ffff:1.2.3.4.
inline QString peerName(const QAbstractSocket *socket)
{
    bool isV4 = false;
    const QHostAddress v4(socket->peerAddress().toIPv4Address(&isV4));
    const QString host =
            isV4 ? v4.toString() : QStringLiteral("[%1]").arg(socket->peerAddress().toString());
    return QStringLiteral("%1:%2").arg(host).arg(socket->peerPort());
}

} // namespace StudioProxy
