#pragma once

#include "certs/tlsidentity.h"
#include "config/proxysettings.h"
#include "http/admission.h"
#include "proxy/sessioninfo.h"
#include "util/result.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <memory>
#include <optional>

class QTcpSocket;
class QTimer;

namespace StudioProxy {

class EventLog;
class Listener;
class Session;

// The running proxy: the listener on the proxy port, the WebSocket handshake for each
// connection it accepts, and a relay session per upgraded connection. Sessions belong to
// the proxy, not to the listener, so a restart can swap the listener under them.
class Proxy final : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxHandshaking = 1024;

    explicit Proxy(EventLog *log, QObject *parent = nullptr);
    ~Proxy() override;

    // Binds the port settings name, or shares the current listener's socket when the port
    // is the same, and readies TLS. Nothing that serves now is touched.
    Result<std::unique_ptr<Listener>> prepareListener(
            const ProxySettings &settings, const std::optional<TlsIdentity> &tls) const;

    // Serves with listener from now on, with the engine and limits of settings for new
    // connections; the previous listener stops accepting. Open sessions are not touched.
    void serve(std::unique_ptr<Listener> listener, const ProxySettings &settings);

    // Stops accepting; sessions carry on.
    void closeListener();

    // Stops accepting, sends Close 1001 to every client and closes every engine socket;
    // stopped() follows once the last session has ended.
    void stop();

    bool isListening() const { return m_listener != nullptr; }

    quint16 port() const;

    int sessionCount() const { return int(m_sessions.size()); }

    quint64 totalSessions() const { return m_nextSessionId - 1; }

    qint64 bytesToEngine() const;
    qint64 bytesToClient() const;

    // The open sessions, oldest first.
    QList<SessionInfo> sessions() const;

    // Ends one session as an admin asked; false when no session has that id.
    bool closeSession(quint64 id);

signals:
    void listenerFailed(const QString &reason);
    void stopped();

private:
    void beginHandshake(QTcpSocket *socket);
    void onSessionFinished(Session *session);
    void retire(std::unique_ptr<Listener> listener);

    EventLog *m_log;
    std::unique_ptr<Listener> m_listener;
    EngineEndpoint m_engine;
    AdmissionLimits m_limits;
    SessionLimits m_sessionLimits;
    int m_handshakeTimeoutMs = 10000;
    QSet<QTcpSocket *> m_handshaking; // head not read or not answered yet
    QHash<quint64, Session *> m_sessions;
    quint64 m_nextSessionId = 1;
    qint64 m_endedBytesToEngine = 0;
    qint64 m_endedBytesToClient = 0;
    bool m_stopping = false;
    bool m_warnedHandshaking = false;
};

} // namespace StudioProxy
