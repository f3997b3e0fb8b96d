#include "proxy/enginesocket.h"

#include "log/logging.h"
#include "proxy/writethrough.h"

#include <QLocalSocket>
#include <QNetworkProxy>
#include <QTcpSocket>

#include <cerrno>
#include <cstring>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// Qt's own texts for these ("Invalid name") do not tell an admin what to check.
QString describe(const QLocalSocket *socket)
{
    switch (socket->error()) {
    case QLocalSocket::ServerNotFoundError:
        return u"no such socket (is the engine running, and is socket set right?)"_s;
    case QLocalSocket::ConnectionRefusedError:
        return u"connection refused (the engine is not accepting connections)"_s;
    case QLocalSocket::SocketAccessError:
        return u"permission denied (the proxy's user cannot open the engine's socket)"_s;
    case QLocalSocket::SocketResourceError:
        return u"out of resources (too many open files?)"_s;
    default:
        return socket->errorString();
    }
}

} // namespace

EngineSocket::EngineSocket(const EngineEndpoint &endpoint, QObject *parent)
    : QObject(parent)
    , m_endpoint(endpoint)
{
    if (endpoint.kind == EngineEndpoint::Kind::UnixSocket) {
        m_local = new QLocalSocket(this);
        m_device = m_local;
        connect(m_local, &QLocalSocket::connected, this, &EngineSocket::onConnected);
        connect(m_local, &QLocalSocket::disconnected, this, &EngineSocket::onDisconnected);
        connect(m_local,
                &QLocalSocket::errorOccurred,
                this,
                [this](QLocalSocket::LocalSocketError e) {
                    // The peer closing is reported as an error too; disconnected() covers it.
                    if (e != QLocalSocket::PeerClosedError)
                        onError(describe(m_local));
                });
    } else {
        m_tcp = new QTcpSocket(this);
        // The engine is reached directly, whatever proxy the application or system names.
        m_tcp->setProxy(QNetworkProxy::NoProxy);
        m_device = m_tcp;
        connect(m_tcp, &QTcpSocket::connected, this, &EngineSocket::onConnected);
        connect(m_tcp, &QTcpSocket::disconnected, this, &EngineSocket::onDisconnected);
        connect(m_tcp, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e != QAbstractSocket::RemoteHostClosedError)
                onError(m_tcp->errorString());
        });
    }
    connect(m_device, &QIODevice::readyRead, this, &EngineSocket::readyRead);
    connect(m_device, &QIODevice::bytesWritten, this, &EngineSocket::bytesWritten);

    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this, &EngineSocket::abort);
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        onError(u"no answer within %1 ms"_s.arg(m_connectTimer.interval()));
    });
}

void EngineSocket::connectToEngine(int timeoutMs)
{
    qCDebug(lcEngine) << "connecting to" << m_endpoint.toString();
    m_connectTimer.start(timeoutMs);
    if (m_local) {
        m_local->connectToServer(m_endpoint.socketPath);
    } else {
        m_tcp->connectToHost(m_endpoint.host, m_endpoint.port);
        // MySQL packets are small and latency-bound; Nagle would hold them back.
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    }
}

void EngineSocket::flush()
{
    if (m_local)
        m_local->flush();
    else
        m_tcp->flush();
}

void EngineSocket::write(QByteArrayView bytes)
{
    const qintptr descriptor = m_local ? plainDescriptor(m_local) : plainDescriptor(m_tcp);
    // A connection that broke for a reason of the network's: Qt would see only its end. (A
    // reset or a closed peer Qt reports itself; a short-lived ENOBUFS breaks nothing.)
    switch (const int error = writeThrough(m_device, descriptor, bytes)) {
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
        if (m_sendError.isEmpty())
            m_sendError = QString::fromLocal8Bit(std::strerror(error));
        break;
    default:
        break;
    }
}

qint64 EngineSocket::bytesToWrite() const
{
    return m_device->bytesToWrite();
}

void EngineSocket::setReadBufferSize(qint64 size)
{
    if (m_local)
        m_local->setReadBufferSize(size);
    else
        m_tcp->setReadBufferSize(size);
}

void EngineSocket::close()
{
    if (m_done)
        return;
    if (!m_connected) {
        abort();
        return;
    }
    m_closeTimer.start(CloseTimeoutMs);
    if (m_local)
        m_local->disconnectFromServer();
    else
        m_tcp->disconnectFromHost();
}

void EngineSocket::abort()
{
    m_connectTimer.stop();
    m_closeTimer.stop();
    if (m_local)
        m_local->abort();
    else
        m_tcp->abort();
    if (!m_done) {
        m_done = true;
        emit closed();
    }
}

void EngineSocket::onConnected()
{
    m_connectTimer.stop();
    m_connected = true;
    emit connected();
}

void EngineSocket::onDisconnected()
{
    if (m_done)
        return;
    if (!m_sendError.isEmpty()) {
        onError(m_sendError);
        return;
    }
    m_done = true;
    m_connectTimer.stop();
    m_closeTimer.stop();
    emit closed();
}

void EngineSocket::onError(const QString &reason)
{
    if (m_done)
        return;
    m_done = true;
    m_connectTimer.stop();
    const QString message = m_connected
            ? u"engine connection %1 broke: %2"_s.arg(m_endpoint.toString(), reason)
            : u"cannot connect to the engine at %1: %2"_s.arg(m_endpoint.toString(), reason);
    emit failed(message);
}

} // namespace StudioProxy
