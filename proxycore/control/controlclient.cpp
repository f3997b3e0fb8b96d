#include "control/controlclient.h"

#include "control/controlprotocol.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace StudioProxy {

ControlClient::ControlClient(const QString &socketPath, int timeoutMs)
    : m_path(socketPath)
    , m_timeoutMs(timeoutMs)
{ }

Result<void> ControlClient::connectToProxy()
{
    m_socket.connectToServer(m_path);
    if (!m_socket.waitForConnected(m_timeoutMs)) {
        if (m_socket.error() == QLocalSocket::SocketAccessError) {
            return Error { ErrorCode::ControlRefused,
                u"permission denied on %1: only root and the proxy's own user may control "
                "it"_s.arg(m_path) };
        }
        return Error { ErrorCode::ControlUnavailable,
            u"no studio-proxy answers on %1: %2"_s.arg(m_path, m_socket.errorString()) };
    }
    return {};
}

Result<QJsonValue> ControlClient::call(const QJsonObject &request)
{
    if (m_socket.state() != QLocalSocket::ConnectedState) {
        if (const Result<void> connected = connectToProxy(); !connected)
            return connected.error();
    }
    m_socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    m_socket.flush();

    QElapsedTimer elapsed;
    elapsed.start();
    while (!m_socket.canReadLine()) {
        const int left = m_timeoutMs - int(elapsed.elapsed());
        if (left <= 0 || !m_socket.waitForReadyRead(left)) {
            if (m_socket.canReadLine())
                break;
            return Error { ErrorCode::ControlUnavailable,
                m_socket.state() == QLocalSocket::ConnectedState
                        ? u"the proxy did not answer within %1 ms"_s.arg(m_timeoutMs)
                        : u"the proxy closed the control connection"_s };
        }
    }
    const QJsonObject response = QJsonDocument::fromJson(m_socket.readLine()).object();
    if (!response.value(u"ok"_s).toBool())
        return ControlProtocol::errorFrom(response);
    return response.value(u"result"_s);
}

Result<ProxyStatus> ControlClient::status()
{
    const Result<QJsonValue> result = call({ { u"command"_s, u"status"_s } });
    if (!result)
        return result.error();
    return ProxyStatus::fromJson(result->toObject());
}

Result<QStringList> ControlClient::set(const QString &name, const QString &value)
{
    const Result<QJsonValue> result =
            call({ { u"command"_s, u"set"_s }, { u"name"_s, name }, { u"value"_s, value } });
    if (!result)
        return result.error();
    QStringList warnings;
    for (const QJsonValue &warning : result->toArray())
        warnings << warning.toString();
    return warnings;
}

Result<QString> ControlClient::restart()
{
    const Result<QJsonValue> result = call({ { u"command"_s, u"restart"_s } });
    if (!result)
        return result.error();
    return result->toString();
}

Result<QList<StatementResult>> ControlClient::sql(const QString &statements)
{
    const Result<QJsonValue> result =
            call({ { u"command"_s, u"sql"_s }, { u"statements"_s, statements } });
    if (!result)
        return result.error();
    QList<StatementResult> results;
    for (const QJsonValue &value : result->toArray())
        results.append(ControlProtocol::statementFrom(value.toObject()));
    return results;
}

Result<ConfigUpdate> ControlClient::updateConfig(
        const QString &key, const std::optional<QString> &value)
{
    QJsonObject request { { u"command"_s, u"update-config"_s }, { u"key"_s, key } };
    if (value)
        request.insert(u"value"_s, *value);
    const Result<QJsonValue> result = call(request);
    if (!result)
        return result.error();
    return ControlProtocol::configUpdateFrom(result->toObject());
}

Result<QList<SessionInfo>> ControlClient::sessions()
{
    const Result<QJsonValue> result = call({ { u"command"_s, u"sessions"_s } });
    if (!result)
        return result.error();
    QList<SessionInfo> sessions;
    for (const QJsonValue &value : result->toArray())
        sessions.append(ControlProtocol::sessionFrom(value.toObject()));
    return sessions;
}

Result<void> ControlClient::closeSession(quint64 id)
{
    const Result<QJsonValue> result =
            call({ { u"command"_s, u"close-session"_s }, { u"id"_s, qint64(id) } });
    if (!result)
        return result.error();
    return {};
}

} // namespace StudioProxy
