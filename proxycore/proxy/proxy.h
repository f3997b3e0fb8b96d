#pragma once

#include "certs/tlsidentity.h"
#include "config/proxysettings.h"
#include "util/result.h"

#include <QHash>
#include <QObject>
#include <QWebSocketServer>

#include <memory>
#include <optional>

class QTcpSocket;
class QTimer;

namespace StudioProxy {

class EventLog;
class Listener;
class Session;

// The running proxy: a listener on the proxy port, the WebSocket handshake for each
// connection it accepts, and a relay session per upgraded connection.
class Proxy final : public QObject
{
    Q_OBJECT
public:
    // A connection that has not finished its WebSocket handshake by then is dropped.
    static constexpr int HandshakeTimeoutMs = 10000;

    explicit Proxy(EventLog *log, QObject *parent = nullptr);
    ~Proxy() override;

    // Binds the port named by settings and starts serving. Nothing is listening on failure.
    Result<void> start(const ProxySettings &settings, const std::optional<TlsIdentity> &tls);

    // Stops accepting, sends Close 1001 to every client and closes every engine socket;
    // stopped() follows once the last session has ended.
    void stop();

    bool isListening() const { return m_listener != nullptr; }

    quint16 port() const;

    int sessionCount() const { return int(m_sessions.size()); }

signals:
    void stopped();

private:
    void beginHandshake(QTcpSocket *socket);
    void takeUpgradedConnections();
    void onSessionFinished(Session *session);

    EventLog *m_log;
    QWebSocketServer m_handshaker;
    std::unique_ptr<Listener> m_listener;
    EngineEndpoint m_engine;

    struct Handshake
    {
        QTcpSocket *socket = nullptr;
        QTimer *timeout = nullptr;
    };

    QHash<QString, Handshake> m_handshaking; // by peer address and port
    QHash<quint64, Session *> m_sessions;
    quint64 m_nextSessionId = 1;
    bool m_stopping = false;
};

} // namespace StudioProxy
