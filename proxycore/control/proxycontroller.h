#pragma once

#include "config/configfile.h"
#include "config/proxysettings.h"
#include "config/runtimevariables.h"
#include "control/controller.h"
#include "proxy/proxy.h"

#include <QDateTime>
#include <QObject>

#include <memory>

namespace StudioProxy {

class EventLog;

// Owns the proxy running in this process and the rules around it: the runtime variables,
// the actual state, conflicts, an all-or-nothing restart, and no restart of its own after
// a failure.
class ProxyController final : public QObject, public Controller
{
    Q_OBJECT
public:
    // startup carries what cannot change at runtime: the engine and the log folder.
    ProxyController(const ConfigFile &config,
            const RuntimeVariables &variables,
            const ProxySettings &startup,
            EventLog *log,
            QObject *parent = nullptr);
    ~ProxyController() override;

    // A controller for the config file at configPath, not started, with its own log opened in
    // the folder the file names (or logFolderOverride): what a built-in proxy runs on.
    static Result<std::unique_ptr<ProxyController>> fromConfigFile(
            const QString &configPath, const QString &logFolderOverride = QString());

    // The first start: the same rules as a restart. On error nothing listens.
    Result<void> start();

    // Stops accepting and closes every session; stopped() follows.
    void stop();

    Result<ProxyStatus> status() override;
    Result<QStringList> set(const QString &name, const QString &value) override;
    Result<QString> restart() override;
    Result<QList<StatementResult>> sql(const QString &statements) override;
    Result<ConfigUpdate> updateConfig(
            const QString &key, const std::optional<QString> &value) override;
    Result<QList<SessionInfo>> sessions() override;
    Result<void> closeSession(quint64 id) override;

    const RuntimeVariables &variables() const { return m_variables; }

    ProxyStatus::State state() const { return m_state; }

    QList<Conflict> conflicts() const;

signals:
    void stateChanged();
    void stopped();

private:
    Result<QString> apply();
    void onListenerFailed(const QString &reason);

    QString m_configPath;
    RuntimeVariables m_variables;
    ProxySettings m_base;
    quint16 m_enginePort = 3306;
    EventLog *m_log;
    Proxy m_proxy;

    ProxyStatus::State m_state = ProxyStatus::State::Stopped;
    ProxySettings m_serving;
    QString m_fingerprint;
    QDateTime m_since;
    QString m_failureReason;
    QDateTime m_failedAt;
};

} // namespace StudioProxy
