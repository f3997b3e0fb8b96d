#pragma once

#include "control/controller.h"

#include <QJsonObject>
#include <QLocalSocket>

namespace StudioProxy {

// A Controller for a proxy in another process, reached through its control socket. Calls
// block until the answer arrives: the socket is local, and a restart answers within
// milliseconds, but a hung proxy is given up on after the timeout.
class ControlClient final : public Controller
{
public:
    explicit ControlClient(const QString &socketPath, int timeoutMs = 30000);

    Result<void> connectToProxy();

    Result<ProxyStatus> status() override;
    Result<QStringList> set(const QString &name, const QString &value) override;
    Result<QString> restart() override;
    Result<QList<StatementResult>> sql(const QString &statements) override;
    Result<ConfigUpdate> updateConfig(
            const QString &key, const std::optional<QString> &value) override;
    Result<QList<SessionInfo>> sessions() override;
    Result<void> closeSession(quint64 id) override;

private:
    Result<QJsonValue> call(const QJsonObject &request);

    QString m_path;
    int m_timeoutMs;
    QLocalSocket m_socket;
};

} // namespace StudioProxy
