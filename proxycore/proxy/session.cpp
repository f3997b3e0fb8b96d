#include "proxy/session.h"

#include "log/eventlog.h"
#include "log/logging.h"
#include "proxy/enginesocket.h"

#include <QWebSocket>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

QString clientAddress(const QWebSocket *client)
{
    QHostAddress address = client->peerAddress();
    bool mapped = false;
    const QHostAddress v4(address.toIPv4Address(&mapped));
    if (mapped)
        address = v4;
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
            ? u"[%1]"_s.arg(address.toString())
            : address.toString();
    return u"%1:%2"_s.arg(host).arg(client->peerPort());
}

QString formatBytes(qint64 bytes)
{
    return u"%1 B"_s.arg(bytes);
}

} // namespace

Session::Session(quint64 id,
        QWebSocket *client,
        const EngineEndpoint &engine,
        const SessionLimits &limits,
        EventLog *log,
        QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_client(client)
    , m_engine(new EngineSocket(engine, this))
    , m_log(log)
    , m_limits(limits)
{
    m_age.start();
    m_client->setParent(this);
    m_engine->setReadBufferSize(EngineReadAhead);
    // Qt's defaults (about 2 GiB) let one client hold the proxy's memory hostage; a MySQL
    // packet is at most 16 MiB plus its header, and drivers send one packet per message.
    // TODO(#4): stop Qt from assembling whole messages, so the bound can be per frame.
    m_client->setMaxAllowedIncomingFrameSize(m_limits.maxFrameSize);
    m_client->setMaxAllowedIncomingMessageSize(m_limits.maxFrameSize);

    connect(m_client, &QWebSocket::binaryFrameReceived, this, [this](const QByteArray &frame) {
        relayClientFrame(frame);
    });
    connect(m_client, &QWebSocket::textFrameReceived, this, [this] {
        // The stream is MySQL protocol bytes; text frames would have to be re-encoded.
        closeClient(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
                u"text frames are not supported; send binary frames"_s);
        m_engine->close();
    });
    connect(m_client, &QWebSocket::bytesWritten, this, &Session::relayEngineBytes);
    // Qt emits aboutToClose while answering a Close from the client, and while sending ours;
    // a client that just vanishes never gets here.
    connect(m_client, &QWebSocket::aboutToClose, this, [this] {
        if (!m_sentCloseCode && !m_abandoned)
            m_clientSentClose = true;
    });
    connect(m_client, &QWebSocket::disconnected, this, &Session::onClientDisconnected);

    connect(m_engine, &EngineSocket::connected, this, &Session::onEngineConnected);
    connect(m_engine, &EngineSocket::readyRead, this, &Session::relayEngineBytes);
    connect(m_engine, &EngineSocket::closed, this, &Session::onEngineClosed);
    connect(m_engine, &EngineSocket::failed, this, &Session::onEngineFailed);

    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this, [this] { m_client->abort(); });

    // A client that vanished without a FIN (a laptop closed, a network gone) would hold its
    // engine session, and its locks, for ever: pings find out (RFC 6455 section 5.5.2).
    m_heardFrom.start();
    m_lastData.start();
    connect(m_client, &QWebSocket::pong, this, [this] { m_heardFrom.restart(); });
    const int tick = std::min({ m_limits.pingIntervalMs > 0 ? m_limits.pingIntervalMs : 1000,
            m_limits.pongTimeoutMs,
            m_limits.idleTimeoutMs > 0 ? m_limits.idleTimeoutMs : 1000 * 1000 });
    if (m_limits.pingIntervalMs > 0 || m_limits.idleTimeoutMs > 0) {
        connect(&m_keepAlive, &QTimer::timeout, this, &Session::checkLiveness);
        m_keepAlive.start(std::max(tick / 2, 100));
    }
}

Session::~Session() = default;

void Session::start()
{
    const QString origin = m_client->origin().isEmpty() ? u"(none)"_s : m_client->origin();
    m_log->info(u"connection %1 opened: client %2, origin %3, path %4"_s.arg(QString::number(m_id),
            clientAddress(m_client),
            origin,
            m_client->requestUrl().path(QUrl::FullyEncoded)));
    m_sincePing.start();
    m_engine->connectToEngine(m_limits.engineConnectTimeoutMs);
}

void Session::shutdown()
{
    closeClient(QWebSocketProtocol::CloseCodeGoingAway, u"the proxy is shutting down"_s);
    m_engine->close();
}

void Session::checkLiveness()
{
    if (m_clientDone || m_sentCloseCode)
        return;
    if (m_limits.pingIntervalMs > 0 && m_heardFrom.elapsed() > m_limits.pongTimeoutMs) {
        // Nothing will reach it any more, a Close frame included.
        m_closeCause =
                u"client silent for %1 s, no answer to pings"_s.arg(m_limits.pongTimeoutMs / 1000);
        m_abandoned = true;
        m_client->abort();
        return;
    }
    if (m_limits.idleTimeoutMs > 0 && m_lastData.elapsed() > m_limits.idleTimeoutMs) {
        closeClient(QWebSocketProtocol::CloseCodeGoingAway,
                u"idle for %1 s"_s.arg(m_limits.idleTimeoutMs / 1000));
        m_engine->close();
        return;
    }
    if (m_limits.pingIntervalMs > 0 && m_heardFrom.elapsed() >= m_limits.pingIntervalMs
            && m_sincePing.elapsed() >= m_limits.pingIntervalMs) {
        m_sincePing.restart();
        m_client->ping();
    }
}

void Session::relayClientFrame(const QByteArray &frame)
{
    m_heardFrom.restart();
    m_lastData.restart();
    if (m_engineDone)
        return; // nobody left to deliver to; the client is being closed
    m_bytesToEngine += frame.size();
    if (!m_engine->isConnected()) {
        m_waitingForEngine.append(frame);
        return;
    }
    m_engine->device()->write(frame);
}

void Session::onEngineConnected()
{
    qCDebug(lcSession) << "session" << m_id << "engine connected";
    for (const QByteArray &frame : std::as_const(m_waitingForEngine))
        m_engine->device()->write(frame);
    m_waitingForEngine.clear();
}

void Session::relayEngineBytes()
{
    QIODevice *engine = m_engine->device();
    if (m_clientDone || m_sentCloseCode) {
        // Nobody will read these any more. Dropping them keeps the engine writing, and so
        // reading what we still owe it, instead of both sides waiting on each other.
        engine->skip(engine->bytesAvailable());
        return;
    }
    // Stop at the high-water mark; the client's bytesWritten() brings us back. Meanwhile the
    // engine socket's bounded read buffer fills and the kernel pushes back on the engine.
    while (m_client->bytesToWrite() < ClientHighWater) {
        const qint64 available = engine->bytesAvailable();
        if (available <= 0)
            break;
        const QByteArray chunk = engine->read(available);
        m_bytesToClient += chunk.size();
        m_lastData.restart();
        m_client->sendBinaryMessage(chunk);
    }
    if (m_engineDone && engine->bytesAvailable() == 0)
        closeClient(QWebSocketProtocol::CloseCodeNormal, QString());
}

void Session::onEngineClosed()
{
    m_engineDone = true;
    if (!m_closeCause.isEmpty() || m_clientDone) {
        finishIfDone();
        return;
    }
    // The engine's last words (an error packet, the end of a result) go out before the Close:
    // a MySQL server writes an error and hangs up when it refuses a login.
    m_closeCause = u"engine closed the connection"_s;
    relayEngineBytes();
    finishIfDone();
}

void Session::onEngineFailed(const QString &reason)
{
    m_engineDone = true;
    m_log->warning(u"connection %1: %2"_s.arg(m_id).arg(reason));
    if (m_closeCause.isEmpty())
        m_closeCause = reason;
    if (m_engine->isConnected()) {
        // Bytes the engine sent before the break are still owed to the client.
        QIODevice *engine = m_engine->device();
        while (engine->bytesAvailable() > 0) {
            const QByteArray chunk = engine->read(engine->bytesAvailable());
            m_bytesToClient += chunk.size();
            m_client->sendBinaryMessage(chunk);
        }
    }
    // 1011: the server met a condition that kept it from fulfilling the request (RFC 6455
    // section 7.4.1). 1006 may never be sent on the wire.
    closeClient(QWebSocketProtocol::CloseCodeBadOperation,
            m_engine->isConnected() ? u"engine connection lost"_s : u"engine unavailable"_s);
    m_engine->abort();
    finishIfDone();
}

void Session::onClientDisconnected()
{
    m_clientDone = true;
    m_closeTimer.stop();
    if (m_closeCause.isEmpty()) {
        m_closeCause = m_clientSentClose ? u"client closed the connection"_s
                                         : u"client went away without a close frame"_s;
    }
    // Frames the client sent before it left (a COM_QUIT, say) still reach the engine.
    m_engine->close();
    finishIfDone();
}

void Session::closeClient(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (m_sentCloseCode || m_clientDone)
        return;
    m_sentCloseCode = code;
    if (m_closeCause.isEmpty())
        m_closeCause = reason;
    m_closeTimer.start(CloseTimeoutMs);
    m_client->close(code, reason);
}

void Session::finishIfDone()
{
    if (m_finished || !m_clientDone || !m_engineDone)
        return;
    m_finished = true;
    m_log->info(u"connection %1 closed: %2; client to engine %3, engine to client %4, %5 s"_s.arg(
            QString::number(m_id),
            describeClose(),
            formatBytes(m_bytesToEngine),
            formatBytes(m_bytesToClient),
            QString::number(m_age.elapsed() / 1000.0, 'f', 3)));
    emit finished();
}

QString Session::describeClose() const
{
    int code = QWebSocketProtocol::CloseCodeAbnormalDisconnection;
    if (m_sentCloseCode)
        code = *m_sentCloseCode;
    else if (m_clientSentClose)
        code = m_client->closeCode();
    return u"code %1 (%2)"_s.arg(code).arg(m_closeCause);
}

} // namespace StudioProxy
