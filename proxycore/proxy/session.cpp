#include "proxy/session.h"

#include "log/eventlog.h"
#include "log/logging.h"
#include "proxy/enginesocket.h"
#include "proxy/writethrough.h"

#include <QScopedValueRollback>
#include <QSslSocket>
#include <QTcpSocket>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace StudioProxy::WebSocketFrames;

namespace StudioProxy {

Session::Session(quint64 id,
        QTcpSocket *socket,
        const Client &client,
        const EngineEndpoint &engine,
        const SessionLimits &limits,
        EventLog *log,
        QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_client(socket)
    , m_info(client)
    , m_engine(new EngineSocket(engine, this))
    , m_log(log)
    , m_limits(limits)
    , m_parser(limits.maxFrameSize)
{
    m_age.start();
    m_openedAt = QDateTime::currentDateTimeUtc();
    m_heardFrom.start();
    m_lastData.start();
    m_sincePing.start();
    m_client->setParent(this);
    // Unread bytes wait in the kernel, not here, once these fill: that is the backpressure.
    m_client->setReadBufferSize(ReadAhead);
    m_engine->setReadBufferSize(ReadAhead);

    connect(m_client, &QTcpSocket::readyRead, this, &Session::readClient);
    connect(m_client, &QTcpSocket::readChannelFinished, this, &Session::onClientFinished);
    connect(m_client, &QTcpSocket::disconnected, this, &Session::onClientDisconnected);
    // The client's backlog shrinking lets both directions go on: engine bytes, and the
    // client's own frames, whose pongs and Close answers add to that backlog. With TLS the
    // backlog drains as encrypted bytes, which only encryptedBytesWritten() reports.
    const auto clientDrained = [this] {
        relayEngineBytes();
        readClient();
    };
    connect(m_client, &QTcpSocket::bytesWritten, this, clientDrained);
    if (auto *tls = qobject_cast<QSslSocket *>(m_client))
        connect(tls, &QSslSocket::encryptedBytesWritten, this, clientDrained);
    connect(m_engine, &EngineSocket::connected, this, &Session::onEngineConnected);
    connect(m_engine, &EngineSocket::readyRead, this, &Session::relayEngineBytes);
    connect(m_engine, &EngineSocket::bytesWritten, this, &Session::readClient);
    connect(m_engine, &EngineSocket::closed, this, &Session::onEngineClosed);
    connect(m_engine, &EngineSocket::failed, this, &Session::onEngineFailed);

    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this, [this] { m_client->abort(); });

    // A client that vanished without a FIN (a laptop closed, a network gone) would hold its
    // engine session, and its locks, for ever: pings find out (RFC 6455 section 5.5.2).
    if (m_limits.pingIntervalMs > 0 || m_limits.idleTimeoutMs > 0) {
        const int tick = std::min({ m_limits.pingIntervalMs > 0 ? m_limits.pingIntervalMs : 1000,
                m_limits.pongTimeoutMs,
                m_limits.idleTimeoutMs > 0 ? m_limits.idleTimeoutMs : 1000 * 1000 });
        connect(&m_keepAlive, &QTimer::timeout, this, &Session::checkLiveness);
        m_keepAlive.start(std::max(tick / 2, 100));
    }
}

Session::~Session() = default;

void Session::start()
{
    m_log->info(u"connection %1 opened: client %2, origin %3, path %4"_s.arg(QString::number(m_id),
            m_info.address,
            m_info.origin.isEmpty() ? u"(none)"_s : m_info.origin,
            m_info.path));
    m_engine->connectToEngine(m_limits.engineConnectTimeoutMs);
    // Frames may have come with the handshake.
    readClient();
}

void Session::shutdown()
{
    sendClose(GoingAway, u"the proxy is shutting down"_s);
    m_engine->close();
}

void Session::closeByAdmin()
{
    if (m_closeCause.isEmpty())
        m_closeCause = u"closed by an administrator"_s;
    m_log->info(u"connection %1: closed by an administrator"_s.arg(m_id));
    sendClose(Normal, u"closed by an administrator"_s);
    m_engine->close();
}

SessionInfo Session::info() const
{
    return SessionInfo { m_id,
        m_info.address,
        m_info.origin,
        m_engineConnectionId,
        m_bytesToEngine,
        m_bytesToClient,
        m_openedAt,
        m_age.elapsed() };
}

// The MySQL initial handshake packet (protocol version 10) that every engine session starts
// with: a 4-byte packet header, the version byte, the server version ending in NUL, then the
// connection id as 4 bytes little-endian. Only the first packet is looked at, and only until
// the id is known; the bytes themselves are relayed untouched either way.
void Session::readGreeting(const char *data, qsizetype size)
{
    constexpr qsizetype MaxGreetingBytes = 512;
    m_greeting.append(data, std::min(size, MaxGreetingBytes - m_greeting.size()));
    const auto *bytes = reinterpret_cast<const uchar *>(m_greeting.constData());
    if (m_greeting.size() >= 5 && bytes[4] != 10) {
        m_greetingRead = true; // an error packet (0xff), or a protocol we do not know
    } else if (m_greeting.size() >= 5) {
        const qsizetype nul = m_greeting.indexOf('\0', 5);
        if (nul >= 0 && m_greeting.size() >= nul + 5) {
            m_engineConnectionId = quint32(bytes[nul + 1]) | quint32(bytes[nul + 2]) << 8
                    | quint32(bytes[nul + 3]) << 16 | quint32(bytes[nul + 4]) << 24;
            m_greetingRead = true;
        }
    }
    if (m_greeting.size() >= MaxGreetingBytes)
        m_greetingRead = true;
    if (m_greetingRead)
        m_greeting = QByteArray();
}

qint64 Session::clientBacklog() const
{
    const auto *tls = qobject_cast<const QSslSocket *>(m_client);
    return m_client->bytesToWrite() + (tls ? tls->encryptedBytesToWrite() : 0);
}

bool Session::engineCongested() const
{
    return m_engine->isConnected() ? m_engine->bytesToWrite() >= HighWater
                                   : m_waitingForEngine.size() >= HighWater;
}

// Client to engine: read only while the engine keeps up; its bytesWritten() brings us back.
// What was read goes to the kernel before returning (a flush), not on the event loop's next
// pass: that pass would cost a query two more polls, one each way. A flush reports
// bytesWritten() at once, which calls this again: the guard sends that call back, and the
// loop goes on instead while the flush made room.
void Session::readClient()
{
    if (m_readingClient)
        return;
    const QScopedValueRollback guard(m_readingClient, true);
    for (;;) {
        bool fed = false;
        while (!m_clientDone && !m_closeReceived && m_client->bytesAvailable() > 0
                && (m_sentCloseCode || m_engineDone || !engineCongested())
                && clientBacklog() < HighWater) {
            // Reading all that one block of the socket's buffer holds takes the block itself,
            // without a copy, and frees it once parsed: an idle socket keeps none. The parser
            // unmasks in place; the block is this array's alone, so data() does not copy.
            QByteArray chunk = m_client->read(std::min(m_client->bytesAvailable(), ReadChunk));
            if (chunk.isEmpty())
                break;
            fed = true;
            m_heardFrom.restart();
            if (!m_parser.feed(chunk.data(), chunk.size(), *this))
                break;
        }
        if (!fed)
            return;
        m_engine->flush();
        m_client->flush(); // pongs, and the answer to a Close
    }
}

void Session::binaryData(const char *data, qsizetype size)
{
    if (m_sentCloseCode || m_engineDone)
        return; // closing: nobody left to deliver to
    m_bytesToEngine += size;
    m_lastData.restart();
    if (m_engine->isConnected())
        m_engine->write(QByteArrayView(data, size));
    else
        m_waitingForEngine.append(data, size);
}

void Session::ping(const QByteArray &payload)
{
    if (!m_sentCloseCode)
        sendFrame(Opcode::Pong, payload.constData(), payload.size());
}

void Session::pong()
{
    m_heardFrom.restart();
}

void Session::closeReceived(std::optional<quint16> code, const QString &reason)
{
    m_closeReceived = true;
    m_receivedCloseCode = code;
    if (m_closeCause.isEmpty()) {
        m_closeCause = reason.isEmpty() ? u"client closed the connection"_s
                                        : u"client closed the connection: %1"_s.arg(reason);
    }
    if (!m_sentCloseCode) {
        // Section 5.5.1: answer with the same code; an empty Close gets an empty one.
        m_sentCloseCode = code.value_or(NoStatus);
        const QByteArray answer = code ? closeFrame(*code, QString()) : header(Opcode::Close, 0);
        writeThrough(m_client, plainDescriptor(m_client), answer);
    }
    // Section 7.1.1: the server closes TCP first. Frames the client sent before its Close
    // (a COM_QUIT, say) still reach the engine. A client that does not read what is still
    // owed to it does not hold the session for ever.
    m_closeTimer.start(CloseTimeoutMs);
    m_client->disconnectFromHost();
    m_engine->close();
}

void Session::protocolError(quint16 code, const QString &reason)
{
    // Section 7.1.7: fail the connection: a Close with the reason, then TCP.
    if (m_closeCause.isEmpty())
        m_closeCause = reason;
    sendClose(code, reason);
    m_client->disconnectFromHost();
    m_engine->close();
}

void Session::sendFrame(quint8 opcode, const char *data, qsizetype size)
{
    writeThrough(m_client,
            plainDescriptor(m_client),
            header(opcode, quint64(size)),
            QByteArrayView(data, size));
}

void Session::sendClose(quint16 code, const QString &reason)
{
    if (m_sentCloseCode || m_clientDone)
        return;
    m_sentCloseCode = code;
    if (m_closeCause.isEmpty())
        m_closeCause = reason;
    writeThrough(m_client, plainDescriptor(m_client), closeFrame(code, reason));
    m_closeTimer.start(CloseTimeoutMs);
}

// Engine to client: one binary frame per read, while the client keeps up; its
// bytesWritten() brings us back. Flushed before returning, as readClient() is.
void Session::relayEngineBytes()
{
    if (m_relayingEngine)
        return;
    const QScopedValueRollback guard(m_relayingEngine, true);
    QIODevice *engine = m_engine->device();
    if (m_clientDone || m_sentCloseCode) {
        // Nobody will read these any more. Dropping them keeps the engine writing, and so
        // reading what we still owe it, instead of both sides waiting on each other.
        engine->skip(engine->bytesAvailable());
        return;
    }
    for (;;) {
        bool sent = false;
        while (clientBacklog() < HighWater) {
            const qint64 available = engine->bytesAvailable();
            if (available <= 0)
                break;
            const QByteArray chunk = engine->read(std::min(available, ReadAhead));
            if (chunk.isEmpty())
                break;
            sent = true;
            m_bytesToClient += chunk.size();
            m_lastData.restart();
            if (!m_greetingRead)
                readGreeting(chunk.constData(), chunk.size());
            sendFrame(Opcode::Binary, chunk.constData(), chunk.size());
        }
        if (!sent || m_clientDone)
            break;
        m_client->flush();
    }
    if (m_engineDone && engine->bytesAvailable() == 0)
        sendClose(Normal, QString());
}

void Session::onEngineConnected()
{
    qCDebug(lcSession) << "session" << m_id << "engine connected";
    if (!m_waitingForEngine.isEmpty()) {
        m_engine->write(m_waitingForEngine);
        m_waitingForEngine.clear();
    }
    readClient();
}

void Session::onEngineClosed()
{
    m_engineDone = true;
    if (m_closeCause.isEmpty())
        m_closeCause = u"engine closed the connection"_s;
    // The engine's last words (an error packet, the end of a result) go out before the Close:
    // a MySQL server writes an error and hangs up when it refuses a login.
    relayEngineBytes();
    finishIfDone();
}

void Session::onEngineFailed(const QString &reason)
{
    m_engineDone = true;
    m_log->warning(u"connection %1: %2"_s.arg(m_id).arg(reason));
    if (m_closeCause.isEmpty())
        m_closeCause = reason;
    const bool wasConnected = m_engine->isConnected();
    if (wasConnected && !m_clientDone && !m_sentCloseCode) {
        // Bytes the engine sent before the break are still owed to the client.
        QIODevice *engine = m_engine->device();
        const QByteArray rest = engine->readAll();
        m_bytesToClient += rest.size();
        if (!rest.isEmpty())
            sendFrame(Opcode::Binary, rest.constData(), rest.size());
    }
    // 1011: the server met a condition that kept it from fulfilling the request (section
    // 7.4.1). 1006 may never be sent on the wire.
    sendClose(InternalError, wasConnected ? u"engine connection lost"_s : u"engine unavailable"_s);
    m_engine->abort();
    finishIfDone();
}

// A FIN from the client: what it sent before still reaches the engine, and nothing more is
// written to it (RFC 9293 lets it close its read side too).
void Session::onClientFinished()
{
    if (m_clientDone)
        return;
    QByteArray rest;
    while (!m_closeReceived && m_client->bytesAvailable() > 0) {
        rest = m_client->read(ReadChunk);
        if (!m_parser.feed(rest.data(), rest.size(), *this))
            break;
    }
    if (m_closeCause.isEmpty())
        m_closeCause = u"client went away without a close frame"_s;
    m_client->abort();
}

void Session::onClientDisconnected()
{
    m_clientDone = true;
    m_closeTimer.stop();
    m_keepAlive.stop();
    if (m_closeCause.isEmpty())
        m_closeCause = u"client went away without a close frame"_s;
    m_engine->close();
    finishIfDone();
}

void Session::checkLiveness()
{
    if (m_clientDone || m_sentCloseCode)
        return;
    // Bytes we have not read yet (held back while the engine is slow) prove the client alive.
    if (m_client->bytesAvailable() > 0)
        m_heardFrom.restart();
    if (m_limits.pingIntervalMs > 0 && m_heardFrom.elapsed() > m_limits.pongTimeoutMs) {
        // Nothing will reach it any more, a Close frame included.
        m_closeCause =
                u"client silent for %1 s, no answer to pings"_s.arg(m_limits.pongTimeoutMs / 1000);
        m_client->abort();
        return;
    }
    if (m_limits.idleTimeoutMs > 0 && m_lastData.elapsed() > m_limits.idleTimeoutMs) {
        sendClose(GoingAway, u"idle for %1 s"_s.arg(m_limits.idleTimeoutMs / 1000));
        m_engine->close();
        return;
    }
    if (m_limits.pingIntervalMs > 0 && m_heardFrom.elapsed() >= m_limits.pingIntervalMs
            && m_sincePing.elapsed() >= m_limits.pingIntervalMs) {
        m_sincePing.restart();
        sendFrame(Opcode::Ping, nullptr, 0);
    }
}

void Session::finishIfDone()
{
    if (m_finished || !m_clientDone || !m_engineDone)
        return;
    m_finished = true;
    m_log->info(
            u"connection %1 closed: %2; client to engine %3 B, engine to client %4 B, %5 s"_s.arg(
                    QString::number(m_id),
                    describeClose(),
                    QString::number(m_bytesToEngine),
                    QString::number(m_bytesToClient),
                    QString::number(m_age.elapsed() / 1000.0, 'f', 3)));
    emit finished();
}

// The code that ended the session: the one we sent, else the client's, else none at all.
QString Session::describeClose() const
{
    quint16 code = Abnormal;
    if (m_sentCloseCode)
        code = *m_sentCloseCode;
    else if (m_closeReceived)
        code = m_receivedCloseCode.value_or(NoStatus);
    return u"code %1 (%2)"_s.arg(code).arg(m_closeCause);
}

} // namespace StudioProxy
