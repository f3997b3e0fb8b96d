#include "proxy/listener.h"

#include "log/logging.h"

#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// Connections accepted but not yet taken; QSslServer counts handshakes in progress too and
// stops accepting above this, so it bounds concurrent handshakes rather than sessions.
constexpr int MaxPendingConnections = 512;

QString peerOf(const QTcpSocket *socket)
{
    return u"%1:%2"_s.arg(socket->peerAddress().toString()).arg(socket->peerPort());
}

} // namespace

Listener::Listener(ProxyProtocol protocol, const QSslConfiguration &tls, QObject *parent)
    : QObject(parent)
    , m_protocol(protocol)
{
    if (protocol == ProxyProtocol::Tls) {
        auto server = std::make_unique<QSslServer>();
        server->setSslConfiguration(tls);
        server->setHandshakeTimeout(TlsHandshakeTimeoutMs);
        connect(server.get(),
                &QSslServer::errorOccurred,
                this,
                [this](QSslSocket *socket, QAbstractSocket::SocketError) {
                    emit handshakeFailed(peerOf(socket), socket->errorString());
                });
        m_server = std::move(server);
    } else {
        m_server = std::make_unique<QTcpServer>();
    }
    m_server->setMaxPendingConnections(MaxPendingConnections);
    connect(m_server.get(),
            &QTcpServer::pendingConnectionAvailable,
            this,
            &Listener::takePendingConnections);
    // QTcpServer pauses accepting after an error that is not temporary (EMFILE, ENFILE,
    // ENOBUFS). The proxy never restarts itself: it reports and waits for an admin.
    connect(m_server.get(), &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
        QString reason = u"accepting connections on port %1 failed: %2"_s.arg(
                QString::number(port()), m_server->errorString());
        if (m_server->serverError() == QAbstractSocket::SocketResourceError)
            reason += u" (no file descriptors left? check the limit on open files)"_s;
        m_server->close();
        emit failed(reason);
    });
}

Listener::~Listener() = default;

Result<void> Listener::listen(const QHostAddress &address, quint16 port, const QString &portKey)
{
    if (m_server->listen(address, port)) {
        qCInfo(lcListener) << "listening on" << address << m_server->serverPort();
        return {};
    }
    switch (m_server->serverError()) {
    case QAbstractSocket::AddressInUseError:
        return Error { ErrorCode::PortInUse,
            u"port %1 (%2) is already in use by another program; stop it or choose "
            "another port"_s.arg(port)
                    .arg(portKey) };
    case QAbstractSocket::SocketAccessError:
        return Error { ErrorCode::PortNotPermitted,
            u"port %1 (%2) is below 1024 and needs root or CAP_NET_BIND_SERVICE"_s.arg(port).arg(
                    portKey) };
    default:
        return Error { ErrorCode::ListenFailed,
            u"cannot listen on port %1 (%2): %3"_s.arg(port).arg(
                    portKey, m_server->errorString()) };
    }
}

Result<void> Listener::takeOverSocketOf(const Listener &other)
{
    const int descriptor = ::fcntl(int(other.m_server->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (descriptor < 0 || !m_server->setSocketDescriptor(descriptor)) {
        if (descriptor >= 0)
            ::close(descriptor);
        return Error { ErrorCode::ListenFailed,
            u"cannot share the listening socket of port %1: %2"_s.arg(
                    QString::number(other.port()), QString::fromLocal8Bit(std::strerror(errno))) };
    }
    return {};
}

QHostAddress Listener::address() const
{
    return m_server->serverAddress();
}

void Listener::close()
{
    m_server->close();
}

quint16 Listener::port() const
{
    return m_server->serverPort();
}

void Listener::takePendingConnections()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        // Sockets are children of the server; sessions must outlive a replaced listener.
        socket->setParent(nullptr);
        // MySQL's request/response rhythm suffers badly from Nagle plus delayed ACKs.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        emit connectionReady(socket);
    }
}

} // namespace StudioProxy
