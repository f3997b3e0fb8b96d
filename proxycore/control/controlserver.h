#pragma once

#include "util/result.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>

class QLocalSocket;
class QSocketNotifier;

namespace StudioProxy {

class Controller;
class EventLog;

// The local control channel: a Unix socket (mode 0600) that accepts only root and the
// proxy's own user, checked from the peer's credentials (it stands in for the engine's
// SUPER privilege). One JSON object per line each way; see ControlClient for the requests.
class ControlServer final : public QObject
{
    Q_OBJECT
public:
    // A request line longer than this is refused: nothing legitimate comes near it.
    static constexpr qint64 MaxRequestBytes = 64 * 1024;
    // How soon to try accepting again after running out of descriptors.
    static constexpr int RetryAcceptMs = 100;
    static constexpr int RefusedClientTimeoutMs = 5000;

    ControlServer(Controller *controller, EventLog *log, QObject *parent = nullptr);
    ~ControlServer() override;

    // Refuses when another proxy answers on path; removes a stale socket file otherwise.
    Result<void> listen(const QString &path);

    QString path() const { return m_path; }

    // Answers one request; the transport is separate so that it can be tested alone.
    QJsonObject handle(const QJsonObject &request);

private:
    void accept();
    void readRequests(QLocalSocket *socket);
    void refuse(QLocalSocket *socket, const QString &uid);

    Controller *m_controller;
    EventLog *m_log;
    // A listening socket of our own rather than QLocalServer, which closes for good on the
    // first failed accept(); out of descriptors, this one pauses and tries again.
    int m_listener = -1;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_retry;
    QString m_path;
};

} // namespace StudioProxy
