#include "control/controlserver.h"

#include "control/controller.h"
#include "control/controlprotocol.h"
#include "log/eventlog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// The uid of the process at the other end of a Unix socket, from the kernel.
std::optional<uid_t> peerUid(const QLocalSocket *socket)
{
    ucred credentials {};
    socklen_t size = sizeof credentials;
    if (::getsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &credentials, &size)
            != 0) {
        return std::nullopt;
    }
    return credentials.uid;
}

void reply(QLocalSocket *socket, const QJsonObject &response)
{
    socket->write(QJsonDocument(response).toJson(QJsonDocument::Compact) + '\n');
}

} // namespace

ControlServer::ControlServer(Controller *controller, EventLog *log, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_log(log)
{
    connect(&m_server, &QLocalServer::newConnection, this, &ControlServer::accept);
}

ControlServer::~ControlServer()
{
    if (m_server.isListening()) {
        m_server.close();
        QFile::remove(m_path);
    }
}

Result<void> ControlServer::listen(const QString &path)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        return Error { ErrorCode::ControlUnavailable,
            u"cannot create the folder of the control socket %1"_s.arg(path) };
    }
    if (info.exists()) {
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(500)) {
            return Error { ErrorCode::ControlUnavailable,
                u"another studio-proxy already answers on the control socket %1; stop it or "
                "pass --control-socket"_s.arg(path) };
        }
        QLocalServer::removeServer(path); // left behind by a proxy that was killed
    }

    // Created 0600 from the start: no window in which another user could connect.
    const mode_t previous = ::umask(0177);
    const bool listening = m_server.listen(path);
    ::umask(previous);
    if (!listening) {
        return Error { ErrorCode::ControlUnavailable,
            u"cannot listen on the control socket %1: %2"_s.arg(path, m_server.errorString()) };
    }
    ::chmod(QFile::encodeName(path).constData(), 0600);
    m_path = path;
    return {};
}

void ControlServer::accept()
{
    while (QLocalSocket *socket = m_server.nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        const std::optional<uid_t> uid = peerUid(socket);
        if (!uid || (*uid != 0 && *uid != ::geteuid())) {
            const QString who = uid ? QString::number(*uid) : u"unknown"_s;
            m_log->warning(u"control socket: refused a client running as uid %1; only root "
                           "and the proxy's own user may control it"_s.arg(who));
            reply(socket,
                    ControlProtocol::errorResponse({ ErrorCode::ControlRefused,
                            u"permission denied: only root and uid %1 may control this proxy"_s.arg(
                                    ::geteuid()) }));
            socket->disconnectFromServer();
            continue;
        }
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { readRequests(socket); });
        readRequests(socket);
    }
}

void ControlServer::readRequests(QLocalSocket *socket)
{
    while (socket->canReadLine()) {
        const QByteArray line = socket->readLine(MaxRequestBytes + 1);
        QJsonParseError parseError {};
        const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
        if (!document.isObject()) {
            reply(socket,
                    ControlProtocol::errorResponse({ ErrorCode::ControlFailed,
                            u"a request is one JSON object on one line"_s }));
            continue;
        }
        reply(socket, handle(document.object()));
    }
    if (socket->bytesAvailable() > MaxRequestBytes) {
        reply(socket,
                ControlProtocol::errorResponse(
                        { ErrorCode::ControlFailed, u"request too long"_s }));
        socket->disconnectFromServer();
    }
}

QJsonObject ControlServer::handle(const QJsonObject &request)
{
    using namespace ControlProtocol;
    const QString command = request.value(u"command"_s).toString();
    if (command == u"status") {
        const Result<ProxyStatus> status = m_controller->status();
        return status ? okResponse(status->toJson()) : errorResponse(status.error());
    }
    if (command == u"set") {
        const Result<QStringList> set = m_controller->set(
                request.value(u"name"_s).toString(), request.value(u"value"_s).toString());
        return set ? okResponse(QJsonArray::fromStringList(set.value()))
                   : errorResponse(set.error());
    }
    if (command == u"restart") {
        const Result<QString> restarted = m_controller->restart();
        return restarted ? okResponse(restarted.value()) : errorResponse(restarted.error());
    }
    if (command == u"sql") {
        const Result<QList<StatementResult>> results =
                m_controller->sql(request.value(u"statements"_s).toString());
        if (!results)
            return errorResponse(results.error());
        QJsonArray list;
        for (const StatementResult &result : results.value())
            list.append(toJson(result));
        return okResponse(list);
    }
    if (command == u"update-config") {
        const QJsonValue value = request.value(u"value"_s);
        const Result<ConfigUpdate> update =
                m_controller->updateConfig(request.value(u"key"_s).toString(),
                        value.isString() ? std::optional<QString>(value.toString()) : std::nullopt);
        return update ? okResponse(toJson(update.value())) : errorResponse(update.error());
    }
    return errorResponse({ ErrorCode::ControlFailed,
            u"unknown command \"%1\"; expected status, set, restart, sql or update-config"_s.arg(
                    command) });
}

} // namespace StudioProxy
