#pragma once

#include "config/proxysettings.h"

#include <QByteArrayView>
#include <QObject>
#include <QTimer>

class QIODevice;
class QLocalSocket;
class QTcpSocket;

namespace StudioProxy {

// One connection to the engine, over its Unix socket or over TCP, behind one interface:
// the session does not care which.
class EngineSocket final : public QObject
{
    Q_OBJECT
public:
    static constexpr int CloseTimeoutMs = 5000;

    explicit EngineSocket(const EngineEndpoint &endpoint, QObject *parent = nullptr);

    void connectToEngine(int timeoutMs);

    bool isConnected() const { return m_connected; }

    QIODevice *device() const { return m_device; }

    // Sends bytes to the engine: at once while nothing else is queued (see writeThrough()).
    void write(QByteArrayView bytes);
    qint64 bytesToWrite() const;
    // Writes what is buffered to the socket now, as far as it takes it.
    void flush();

    // Bounds how much the socket reads ahead of the session; 0 means no bound.
    void setReadBufferSize(qint64 size);

    // Sends what is still queued, then closes; closed() follows. An engine that does not
    // take the rest within CloseTimeoutMs is cut off.
    void close();
    void abort();

signals:
    void connected();
    void readyRead();
    void bytesWritten(qint64 bytes);
    // The engine closed the connection, or close() finished. Unread bytes stay readable.
    void closed();
    // The connection could not be made, or broke; reason is written for an admin.
    void failed(const QString &reason);

private:
    void onConnected();
    void onDisconnected();
    void onError(const QString &reason);

    EngineEndpoint m_endpoint;
    QLocalSocket *m_local = nullptr;
    QTcpSocket *m_tcp = nullptr;
    QIODevice *m_device = nullptr;
    QTimer m_connectTimer;
    QTimer m_closeTimer;
    bool m_connected = false;
    bool m_done = false;
    // Why a send failed, when the kernel told us and will not tell Qt (see writeThrough()).
    QString m_sendError;
};

} // namespace StudioProxy
