#pragma once

#include "config/proxysettings.h"
#include "proxy/sessioninfo.h"
#include "proxy/websocketframes.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <optional>

class QTcpSocket;

namespace StudioProxy {

class EngineSocket;
class EventLog;

// One relay: a WebSocket client and its own engine connection. Binary frames go to the
// engine as bytes and engine bytes come back as binary frames, exactly and in order, never
// inspected. Each direction stops reading while the other side has more than a high-water
// mark to send, so a session's memory stays bounded whatever its peers do. Whichever side
// ends first, the other is told why.
class Session final : public QObject, private WebSocketFrames::Handler
{
    Q_OBJECT
public:
    // Bytes queued for a peer above which the other peer is not read. With the read-ahead of
    // each socket and one read chunk, they bound a session's buffers (see README.md).
    static constexpr qint64 HighWater = 1024 * 1024;
    static constexpr qint64 ReadAhead = 256 * 1024;
    static constexpr qint64 ReadChunk = 64 * 1024;
    // A peer that neither answers our Close nor takes its last bytes is cut off after this.
    static constexpr int CloseTimeoutMs = 5000;

    struct Client
    {
        QString address; // "1.2.3.4:5" or "[::1]:5"
        QString origin;
        QString path;
    };

    Session(quint64 id,
            QTcpSocket *socket,
            const Client &client,
            const EngineEndpoint &engine,
            const SessionLimits &limits,
            EventLog *log,
            QObject *parent = nullptr);
    ~Session() override;

    void start();
    // The proxy is stopping: the client gets Close 1001, the engine socket closes.
    void shutdown();

    // An admin ends this session: the client gets Close 1000 with a reason, the engine
    // socket closes (the engine rolls back what the session held open).
    void closeByAdmin();

    SessionInfo info() const;

    quint64 id() const { return m_id; }

    qint64 bytesToEngine() const { return m_bytesToEngine; }

    qint64 bytesToClient() const { return m_bytesToClient; }

signals:
    void finished();

private:
    // WebSocketFrames::Handler
    void binaryData(const char *data, qsizetype size) override;
    void ping(const QByteArray &payload) override;
    void pong() override;
    void closeReceived(std::optional<quint16> code, const QString &reason) override;
    void protocolError(quint16 code, const QString &reason) override;

    void readClient();
    void relayEngineBytes();
    void sendFrame(quint8 opcode, const char *data, qsizetype size);
    void sendClose(quint16 code, const QString &reason);
    qint64 clientBacklog() const;
    bool engineCongested() const;
    void onEngineConnected();
    void onEngineClosed();
    void onEngineFailed(const QString &reason);
    void onClientFinished();
    void onClientDisconnected();
    void checkLiveness();
    void finishIfDone();
    void readGreeting(const char *data, qsizetype size);
    QString describeClose() const;

    const quint64 m_id;
    QTcpSocket *m_client;
    const Client m_info;
    EngineSocket *m_engine;
    EventLog *m_log;
    SessionLimits m_limits;
    WebSocketFrames::Parser m_parser;
    QByteArray m_waitingForEngine; // client bytes that came before the engine connection
    QElapsedTimer m_age;
    QDateTime m_openedAt;
    QByteArray m_greeting; // the engine's first bytes, until its connection id is read
    bool m_greetingRead = false;
    std::optional<quint32> m_engineConnectionId;
    QElapsedTimer m_heardFrom; // since the client last sent anything, a pong included
    QElapsedTimer m_lastData; // since data last went either way
    QElapsedTimer m_sincePing;
    QTimer m_keepAlive; // pings, pong timeout and idle timeout
    QTimer m_closeTimer;
    qint64 m_bytesToEngine = 0;
    qint64 m_bytesToClient = 0;
    std::optional<quint16> m_sentCloseCode;
    bool m_closeReceived = false;
    std::optional<quint16> m_receivedCloseCode;
    QString m_closeCause;
    bool m_clientDone = false;
    bool m_engineDone = false;
    bool m_finished = false;
    bool m_readingClient = false; // in readClient(): see there
    bool m_relayingEngine = false; // in relayEngineBytes()
};

} // namespace StudioProxy
