#pragma once

#include "config/proxysettings.h"

#include <QByteArrayList>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QWebSocketProtocol>

#include <optional>

class QWebSocket;

namespace StudioProxy {

class EngineSocket;
class EventLog;

// One relay: a WebSocket client and its own engine connection. Binary frames go to the
// engine as bytes and engine bytes come back as binary frames, exactly and in order, never
// inspected. Whichever side ends first, the other is told why.
class Session final : public QObject
{
    Q_OBJECT
public:
    // Engine bytes stop being read while this much waits to reach the client.
    static constexpr qint64 ClientHighWater = 1024 * 1024;
    // How far the engine socket may read ahead of the client.
    static constexpr qint64 EngineReadAhead = 256 * 1024;
    // A client that neither answers our Close nor drops TCP is cut after this.
    static constexpr int CloseTimeoutMs = 5000;

    Session(quint64 id,
            QWebSocket *client,
            const EngineEndpoint &engine,
            const SessionLimits &limits,
            EventLog *log,
            QObject *parent = nullptr);
    ~Session() override;

    void start();
    // The proxy is stopping: the client gets Close 1001, the engine socket closes.
    void shutdown();

    quint64 id() const { return m_id; }

    qint64 bytesToEngine() const { return m_bytesToEngine; }

    qint64 bytesToClient() const { return m_bytesToClient; }

signals:
    void finished();

private:
    void relayClientFrame(const QByteArray &frame);
    void relayEngineBytes();
    void onEngineConnected();
    void onEngineClosed();
    void onEngineFailed(const QString &reason);
    void onClientDisconnected();
    void closeClient(QWebSocketProtocol::CloseCode code, const QString &reason);
    void finishIfDone();
    void checkLiveness();
    QString describeClose() const;

    const quint64 m_id;
    QWebSocket *m_client;
    EngineSocket *m_engine;
    EventLog *m_log;
    QByteArrayList m_waitingForEngine;
    QElapsedTimer m_age;
    QTimer m_closeTimer;
    SessionLimits m_limits;
    QTimer m_keepAlive; // pings, pong timeout and idle timeout
    QElapsedTimer m_heardFrom; // since the client last sent anything, a pong included
    QElapsedTimer m_lastData; // since data last went either way
    QElapsedTimer m_sincePing;
    qint64 m_bytesToEngine = 0;
    qint64 m_bytesToClient = 0;
    std::optional<QWebSocketProtocol::CloseCode> m_sentCloseCode;
    QString m_closeCause;
    bool m_clientSentClose = false;
    bool m_abandoned = false; // we cut a silent client off: no Close either way
    bool m_clientDone = false;
    bool m_engineDone = false;
    bool m_finished = false;
};

} // namespace StudioProxy
