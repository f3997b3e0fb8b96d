#pragma once

#include "config/proxysettings.h"
#include "util/result.h"

#include <QObject>
#include <QSslConfiguration>

#include <memory>

class QTcpServer;
class QTcpSocket;

namespace StudioProxy {

// The proxy port: accepts TCP connections, runs the TLS handshake for wss://, and hands
// each ready connection on. It knows nothing of WebSocket or sessions, so a restart can
// replace it while the sessions it accepted carry on.
class Listener final : public QObject
{
    Q_OBJECT
public:
    // TLS handshakes that take longer are dropped (slow or stuck clients hold descriptors).
    static constexpr int TlsHandshakeTimeoutMs = 10000;

    Listener(ProxyProtocol protocol, const QSslConfiguration &tls, QObject *parent = nullptr);
    ~Listener() override;

    // portKey names the variable the port came from, for the error message.
    Result<void> listen(const QHostAddress &address, quint16 port, const QString &portKey);

    // Serves the listening socket of another listener (a restart on the same port). Both
    // share one kernel socket, so its queue of waiting connections survives when the other
    // one closes: not a single connection attempt is refused during the swap.
    Result<void> takeOverSocketOf(const Listener &other);

    // Stops accepting. TLS handshakes already under way still complete and are handed on.
    void close();

    ProxyProtocol protocol() const { return m_protocol; }

    QHostAddress address() const;
    quint16 port() const;

signals:
    // A connection ready for the WebSocket handshake, plain or already encrypted. The
    // receiver takes ownership.
    void connectionReady(QTcpSocket *socket);
    // A TLS handshake failed; reason is written for an admin.
    void handshakeFailed(const QString &peer, const QString &reason);
    // Accepting failed (no descriptors left, say) and the listener has closed.
    void failed(const QString &reason);

private:
    void takePendingConnections();

    ProxyProtocol m_protocol;
    std::unique_ptr<QTcpServer> m_server;
};

} // namespace StudioProxy
