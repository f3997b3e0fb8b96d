#include "proxy/listener.h"

#include "log/logging.h"
#include "proxy/peername.h"

#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpSocket>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// A listening TCP socket on address:port; QHostAddress::Any means every address, IPv6 and
// IPv4 (one dual-stack socket, or IPv4 alone where the host has no IPv6).
int openListeningSocket(const QHostAddress &address, quint16 port, int *error)
{
    const bool any = address == QHostAddress(QHostAddress::Any);
    const bool v6 = any || address.protocol() == QAbstractSocket::IPv6Protocol;
    int descriptor =
            ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (descriptor < 0 && any && errno == EAFNOSUPPORT)
        return openListeningSocket(QHostAddress(QHostAddress::AnyIPv4), port, error);
    if (descriptor < 0) {
        *error = errno;
        return -1;
    }

    const int on = 1;
    const int off = 0;
    // Lets a restarted proxy bind while old connections linger in TIME_WAIT; it never lets
    // two processes listen on one port.
    ::setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (any)
        ::setsockopt(descriptor, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);

    sockaddr_storage storage {};
    socklen_t length = 0;
    if (v6) {
        auto &in6 = reinterpret_cast<sockaddr_in6 &>(storage);
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(port);
        if (!any) {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6.sin6_addr, &bytes, sizeof bytes);
        }
        length = sizeof in6;
    } else {
        auto &in4 = reinterpret_cast<sockaddr_in &>(storage);
        in4.sin_family = AF_INET;
        in4.sin_port = htons(port);
        in4.sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof in4;
    }
    if (::bind(descriptor, reinterpret_cast<sockaddr *>(&storage), length) != 0
            || ::listen(descriptor, Listener::Backlog) != 0) {
        *error = errno;
        ::close(descriptor);
        return -1;
    }
    return descriptor;
}

quint16 boundPort(int descriptor)
{
    sockaddr_storage storage {};
    socklen_t length = sizeof storage;
    ::getsockname(descriptor, reinterpret_cast<sockaddr *>(&storage), &length);
    return storage.ss_family == AF_INET6
            ? ntohs(reinterpret_cast<const sockaddr_in6 &>(storage).sin6_port)
            : ntohs(reinterpret_cast<const sockaddr_in &>(storage).sin_port);
}

} // namespace

Listener::Listener(ProxyProtocol protocol,
        const QSslConfiguration &tls,
        int handshakeTimeoutMs,
        QObject *parent)
    : QObject(parent)
    , m_protocol(protocol)
    , m_tls(tls)
    , m_handshakeTimeoutMs(handshakeTimeoutMs)
{
    m_retry.setSingleShot(true);
    m_retry.setInterval(AcceptRetryMs);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_notifier)
            m_notifier->setEnabled(true);
        acceptPending();
    });
}

Listener::~Listener()
{
    close();
}

Result<void> Listener::listen(const QHostAddress &address, quint16 port, const QString &portKey)
{
    int error = 0;
    const int descriptor = openListeningSocket(address, port, &error);
    if (descriptor >= 0) {
        m_address = address;
        adopt(descriptor);
        qCInfo(lcListener) << "listening on" << address << m_port;
        return {};
    }
    switch (error) {
    case EADDRINUSE:
        return Error { ErrorCode::PortInUse,
            u"port %1 (%2) is already in use by another program; stop it or choose another "
            "port"_s.arg(QString::number(port), portKey) };
    case EACCES:
    case EPERM:
        return Error { ErrorCode::PortNotPermitted,
            u"port %1 (%2) is privileged and needs root or CAP_NET_BIND_SERVICE"_s.arg(
                    QString::number(port), portKey) };
    default:
        return Error { ErrorCode::ListenFailed,
            u"cannot listen on port %1 (%2): %3"_s.arg(
                    QString::number(port), portKey, errnoText(error)) };
    }
}

Result<void> Listener::takeOverSocketOf(const Listener &other)
{
    const int descriptor =
            other.m_descriptor < 0 ? -1 : ::fcntl(other.m_descriptor, F_DUPFD_CLOEXEC, 0);
    if (descriptor < 0) {
        return Error { ErrorCode::ListenFailed,
            u"cannot share the listening socket of port %1: %2"_s.arg(
                    QString::number(other.port()), errnoText(errno)) };
    }
    m_address = other.m_address;
    adopt(descriptor);
    return {};
}

void Listener::adopt(int descriptor)
{
    m_descriptor = descriptor;
    m_port = boundPort(descriptor);
    m_notifier = new QSocketNotifier(descriptor, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Listener::acceptPending);
}

void Listener::close()
{
    m_retry.stop();
    delete m_notifier;
    m_notifier = nullptr;
    if (m_descriptor >= 0) {
        ::close(m_descriptor);
        m_descriptor = -1;
    }
}

void Listener::acceptPending()
{
    while (m_descriptor >= 0) {
        const int descriptor =
                ::accept4(m_descriptor, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor < 0) {
            const int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK)
                return;
            if (error == EINTR || error == ECONNABORTED || error == EPROTO)
                continue; // the client gave up before we took it
            const bool shortage =
                    error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
            if (shortage && !m_failingSince.isValid())
                m_failingSince.start();
            if (shortage && m_failingSince.elapsed() < AcceptFailureAfterMs) {
                qCWarning(lcListener) << "accept:" << errnoText(error) << "- retrying";
                m_notifier->setEnabled(false);
                m_retry.start();
                return;
            }
            QString reason = u"accepting connections on port %1 failed: %2"_s.arg(
                    QString::number(m_port), errnoText(error));
            if (error == EMFILE || error == ENFILE)
                reason += u" (for %1 s; raise the limit on open files)"_s.arg(
                        AcceptFailureAfterMs / 1000);
            close();
            emit failed(reason);
            return;
        }
        m_failingSince.invalidate();

        if (m_protocol == ProxyProtocol::Tls) {
            auto *socket = new QSslSocket(this);
            socket->setSocketDescriptor(descriptor);
            startTls(socket, peerName(socket));
        } else {
            auto *socket = new QTcpSocket();
            socket->setSocketDescriptor(descriptor);
            // MySQL's request/response rhythm suffers badly from Nagle plus delayed ACKs.
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            emit connectionReady(socket);
        }
    }
}

void Listener::startTls(QSslSocket *socket, const QString &peer)
{
    socket->setSslConfiguration(m_tls);
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);

    auto *timeout = new QTimer(socket);
    timeout->setSingleShot(true);
    connect(timeout, &QTimer::timeout, socket, [this, socket, peer] {
        emit handshakeFailed(
                peer, u"no TLS handshake within %1 s"_s.arg(m_handshakeTimeoutMs / 1000));
        socket->abort();
        socket->deleteLater();
    });
    timeout->start(m_handshakeTimeoutMs);

    connect(socket, &QSslSocket::encrypted, this, [this, socket, timeout] {
        delete timeout;
        socket->disconnect(this);
        socket->setParent(nullptr);
        emit connectionReady(socket);
    });
    connect(socket, &QAbstractSocket::errorOccurred, this, [this, socket, peer] {
        if (socket->isEncrypted())
            return;
        emit handshakeFailed(peer, socket->errorString());
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    });

    // A TLS connection starts with a handshake record (RFC 8446 section 5.1, type 22); a
    // plain HTTP request or ws:// client on the wss:// port gets a clear line in the log
    // instead of an obscure TLS error.
    auto checkFirstByte = [this, socket, peer] {
        char first = 0;
        if (socket->isEncrypted() || socket->mode() != QSslSocket::UnencryptedMode
                || socket->peek(&first, 1) != 1) {
            return;
        }
        if (first != 0x16) {
            emit handshakeFailed(peer,
                    u"the client did not start a TLS handshake (plain HTTP or ws:// on the "
                    "wss:// port?)"_s);
            socket->disconnect(this);
            socket->abort();
            socket->deleteLater();
            return;
        }
        socket->startServerEncryption();
    };
    connect(socket, &QSslSocket::readyRead, this, checkFirstByte);
}

} // namespace StudioProxy
