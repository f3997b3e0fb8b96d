#pragma once

#include "control/controllerthread.h"
#include "control/proxystatus.h"
#include "proxy/sessioninfo.h"

#include <QMap>
#include <QObject>
#include <QTimer>

namespace StudioProxy {

// A headless studio-proxy found on this host through its control socket.
struct HeadlessInstance
{
    QString socketPath;
    ProxyStatus status;
};

// The desktop app's one way to the proxy it manages: the built-in one, running on a thread of
// its own, or a headless instance reached through its control socket. Every call is
// asynchronous; answers arrive as signals on the GUI thread. The status and the sessions are
// refreshed every second.
class ProxyConnection final : public QObject
{
    Q_OBJECT
public:
    enum class Mode { None, BuiltIn, Headless };

    static constexpr int PollIntervalMs = 1000;

    explicit ProxyConnection(QObject *parent = nullptr);

    Mode mode() const { return m_mode; }

    // "the built-in proxy" or "the headless proxy (pid N, control socket PATH)".
    QString description() const;

    // Creates the proxy in this process for configPath (not serving until start(), unless
    // startNow); logFolder overrides where websocket_proxy.log goes.
    void useBuiltIn(const QString &configPath, bool startNow, const QString &logFolder = {});
    void useHeadless(const QString &socketPath);

    QString configPath() const { return m_configPath; }

    bool hasStatus() const { return m_hasStatus; }

    const ProxyStatus &status() const { return m_status; }

    const QList<SessionInfo> &sessions() const { return m_sessions; }

    // Start and Stop: the built-in proxy only; a headless one is its service manager's.
    void start();
    void stop();
    void restart();
    void closeSession(quint64 id);
    // SET GLOBAL each value, then RESTART PROXY when restartAfter; stops at the first error.
    void setVariables(const QList<QPair<QString, QString>> &values, bool restartAfter);
    // Persists key = value in the proxy's config file (no value: removes it).
    void updateConfig(const QString &key, const std::optional<QString> &value);
    void refresh();

    // Looks for headless instances answering on this host; headlessFound() follows.
    void lookForHeadless();

signals:
    void modeChanged();
    void statusChanged();
    void sessionsChanged();
    // The proxy could not be reached or created; the reason in words for the admin.
    void unavailable(const QString &reason);
    // command: "start", "stop", "restart", "close-session", "set", "update-config".
    void commandFinished(const QString &command, bool ok, const QString &message);
    void headlessFound(const QList<StudioProxy::HeadlessInstance> &instances);

private:
    void finish(const QString &command, bool ok, const QString &message);

    ControllerThread m_thread;
    QTimer m_poll;
    Mode m_mode = Mode::None;
    QString m_configPath;
    QString m_socketPath;
    bool m_hasStatus = false;
    bool m_refreshing = false;
    ProxyStatus m_status;
    QList<SessionInfo> m_sessions;
};

} // namespace StudioProxy
