#pragma once

#include "config/proxysettings.h"
#include "util/result.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QTimer>

class QSocketNotifier;
class QSslSocket;
class QTcpSocket;

namespace StudioProxy {

// The proxy port: accepts TCP connections, runs the TLS handshake for wss://, and hands
// each ready connection on. It knows nothing of WebSocket or sessions, so a restart can
// replace it while the sessions it accepted carry on.
//
// It owns its accept loop rather than using QTcpServer, for two reasons: out of file
// descriptors, QTcpServer may neither report the error nor stop polling, and a restart on
// the same port needs to share the listening socket with the listener it replaces.
class Listener final : public QObject
{
    Q_OBJECT
public:
    // Out of descriptors (or kernel memory), accepting pauses this long, then tries again;
    // waiting clients stay in the kernel's queue meanwhile.
    static constexpr int AcceptRetryMs = 100;
    // A resource shortage that lasts this long is a failure: the listener closes and waits
    // for an admin, as the engine's proxy does.
    static constexpr int AcceptFailureAfterMs = 5000;
    static constexpr int Backlog = 511;

    // TLS handshakes that take longer than handshakeTimeoutMs are dropped: slow or stuck
    // clients would hold descriptors.
    Listener(ProxyProtocol protocol,
            const QSslConfiguration &tls,
            int handshakeTimeoutMs,
            QObject *parent = nullptr);
    ~Listener() override;

    // portKey names the variable the port came from, for the error message.
    Result<void> listen(const QHostAddress &address, quint16 port, const QString &portKey);

    // Serves the listening socket of another listener (a restart on the same port). Both
    // share one kernel socket, so its queue of waiting connections survives when the other
    // one closes: not a single connection attempt is refused during the swap.
    Result<void> takeOverSocketOf(const Listener &other);

    // Stops accepting. TLS handshakes already under way still complete and are handed on.
    void close();

    bool isListening() const { return m_descriptor >= 0; }

    ProxyProtocol protocol() const { return m_protocol; }

    QHostAddress address() const { return m_address; }

    quint16 port() const { return m_port; }

    int handshakeTimeoutMs() const { return m_handshakeTimeoutMs; }

signals:
    // A connection ready for the WebSocket handshake, plain or already encrypted. The
    // receiver takes ownership.
    void connectionReady(QTcpSocket *socket);
    // A TLS handshake failed; reason is written for an admin.
    void handshakeFailed(const QString &peer, const QString &reason);
    // Accepting failed for good and the listener has closed; reason is for an admin.
    void failed(const QString &reason);

private:
    void acceptPending();
    void startTls(QSslSocket *socket, const QString &peer);
    void adopt(int descriptor);

    ProxyProtocol m_protocol;
    QSslConfiguration m_tls;
    int m_handshakeTimeoutMs;
    int m_descriptor = -1;
    QHostAddress m_address;
    quint16 m_port = 0;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_retry;
    QElapsedTimer m_failingSince;
};

} // namespace StudioProxy
