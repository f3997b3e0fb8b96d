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

#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
    m_retry.setSingleShot(true);
    m_retry.setInterval(RetryAcceptMs);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        m_notifier->setEnabled(true);
        accept();
    });
}

ControlServer::~ControlServer()
{
    if (m_listener >= 0) {
        ::close(m_listener);
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

    struct stat existing
    { };

    const QByteArray native = QFile::encodeName(path);
    if (::lstat(native.constData(), &existing) == 0 && !S_ISSOCK(existing.st_mode)) {
        // Only a socket left behind is ever removed: a mistyped path must not cost a file.
        return Error { ErrorCode::ControlUnavailable,
            u"the control socket path %1 is a file that is not a socket; pass another "
            "--control-socket"_s.arg(path) };
    }
    if (info.exists()) {
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(500)) {
            return Error { ErrorCode::ControlUnavailable,
                u"another studio-proxy already answers on the control socket %1; stop it or "
                "pass --control-socket"_s.arg(path) };
        }
        QFile::remove(path); // left behind by a proxy that was killed
    }

    const QByteArray name = QFile::encodeName(path);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (size_t(name.size()) >= sizeof address.sun_path) {
        return Error { ErrorCode::ControlUnavailable,
            u"the control socket path %1 is too long for a Unix socket"_s.arg(path) };
    }
    std::memcpy(address.sun_path, name.constData(), size_t(name.size()));

    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    // Created 0600 from the start: no window in which another user could connect.
    const mode_t previous = ::umask(0177);
    const bool bound = listener >= 0
            && ::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
            && ::listen(listener, 16) == 0;
    const int error = errno;
    ::umask(previous);
    if (!bound) {
        if (listener >= 0)
            ::close(listener);
        return Error { ErrorCode::ControlUnavailable,
            u"cannot listen on the control socket %1: %2"_s.arg(
                    path, QString::fromLocal8Bit(std::strerror(error))) };
    }

    m_listener = listener;
    m_path = path;
    m_notifier = new QSocketNotifier(listener, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &ControlServer::accept);
    return {};
}

void ControlServer::accept()
{
    for (;;) {
        const int descriptor = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (descriptor < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // The client waits in the backlog until a descriptor is free again.
                m_notifier->setEnabled(false);
                m_retry.start();
            }
            return;
        }
        auto *socket = new QLocalSocket(this);
        socket->setSocketDescriptor(descriptor);
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        const std::optional<uid_t> uid = peerUid(socket);
        if (!uid || (*uid != 0 && *uid != ::geteuid())) {
            refuse(socket, uid ? QString::number(*uid) : u"unknown"_s);
            continue;
        }
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { readRequests(socket); });
        readRequests(socket);
    }
}

// The refusal answers the client's first request, so that it reads why instead of finding
// the connection closed; a client that sends nothing is dropped after a while.
void ControlServer::refuse(QLocalSocket *socket, const QString &uid)
{
    m_log->warning(u"control socket: refused a client running as uid %1; only root and the "
                   "proxy's own user may control it"_s.arg(uid));
    const auto answer = [socket] {
        if (!socket->canReadLine())
            return;
        reply(socket,
                ControlProtocol::errorResponse({ ErrorCode::ControlRefused,
                        u"permission denied: only root and uid %1 may control this proxy"_s.arg(
                                ::geteuid()) }));
        socket->disconnectFromServer();
    };
    connect(socket, &QLocalSocket::readyRead, this, answer);
    QTimer::singleShot(RefusedClientTimeoutMs, socket, &QLocalSocket::abort);
    answer();
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
    if (command == u"sessions") {
        const Result<QList<SessionInfo>> sessions = m_controller->sessions();
        if (!sessions)
            return errorResponse(sessions.error());
        QJsonArray list;
        for (const SessionInfo &session : sessions.value())
            list.append(toJson(session));
        return okResponse(list);
    }
    if (command == u"close-session") {
        const QJsonValue id = request.value(u"id"_s);
        if (!id.isDouble() || id.toInteger() <= 0) {
            return errorResponse({ ErrorCode::InvalidValue,
                    u"close-session needs \"id\", a session id from sessions"_s });
        }
        const Result<void> closed = m_controller->closeSession(quint64(id.toInteger()));
        return closed ? okResponse(true) : errorResponse(closed.error());
    }
    return errorResponse({ ErrorCode::ControlFailed,
            u"unknown command \"%1\"; expected status, set, restart, sql, update-config, "
            "sessions or close-session"_s.arg(command) });
}

} // namespace StudioProxy
