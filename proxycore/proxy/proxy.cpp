#include "proxy/proxy.h"

#include "http/admission.h"
#include "log/eventlog.h"
#include "log/logging.h"
#include "proxy/listener.h"
#include "proxy/peername.h"
#include "proxy/session.h"
#include "proxy/websocketframes.h"
#include "proxy/writethrough.h"

#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace { } // namespace

Proxy::Proxy(EventLog *log, QObject *parent)
    : QObject(parent)
    , m_log(log)
{ }

Proxy::~Proxy()
{
    // Sessions go first: they hold sockets whose cleanup the handshaker still watches.
    qDeleteAll(m_sessions);
}

Result<std::unique_ptr<Listener>> Proxy::prepareListener(
        const ProxySettings &settings, const std::optional<TlsIdentity> &tls) const
{
    auto listener = std::make_unique<Listener>(settings.protocol,
            tls ? tls->serverConfiguration() : QSslConfiguration(),
            settings.handshakeTimeoutMs);
    const bool samePort = m_listener && m_listener->port() == settings.port
            && m_listener->address() == settings.bindAddress;
    const Result<void> ready = samePort
            ? listener->takeOverSocketOf(*m_listener)
            : listener->listen(settings.bindAddress, settings.port, settings.portKey);
    if (!ready)
        return ready.error();
    return listener;
}

void Proxy::serve(std::unique_ptr<Listener> listener, const ProxySettings &settings)
{
    connect(listener.get(), &Listener::connectionReady, this, &Proxy::beginHandshake);
    connect(listener.get(),
            &Listener::handshakeFailed,
            this,
            [this](const QString &peer, const QString &reason) {
                m_log->warning(u"TLS handshake with %1 failed: %2"_s.arg(peer, reason));
            });
    connect(listener.get(), &Listener::failed, this, [this](const QString &reason) {
        closeListener();
        emit listenerFailed(reason);
    });
    m_engine = settings.engine;
    m_limits.maxSessions = settings.maxSessions;
    m_limits.allowedOrigins = settings.allowedOrigins;
    m_sessionLimits = settings.limits;
    m_handshakeTimeoutMs = settings.handshakeTimeoutMs;
    std::swap(m_listener, listener);
    m_stopping = false;
    if (listener)
        retire(std::move(listener));
}

void Proxy::closeListener()
{
    if (m_listener)
        retire(std::move(m_listener));
}

void Proxy::retire(std::unique_ptr<Listener> listener)
{
    listener->close();
    // TLS handshakes under way on it still complete and reach beginHandshake().
    Listener *retired = listener.release();
    retired->setParent(this);
    QTimer::singleShot(retired->handshakeTimeoutMs() + 1000, retired, &QObject::deleteLater);
}

qint64 Proxy::bytesToEngine() const
{
    qint64 total = m_endedBytesToEngine;
    for (const Session *session : m_sessions)
        total += session->bytesToEngine();
    return total;
}

qint64 Proxy::bytesToClient() const
{
    qint64 total = m_endedBytesToClient;
    for (const Session *session : m_sessions)
        total += session->bytesToClient();
    return total;
}

QList<SessionInfo> Proxy::sessions() const
{
    QList<SessionInfo> list;
    list.reserve(m_sessions.size());
    for (const Session *session : m_sessions)
        list.append(session->info());
    std::sort(list.begin(), list.end(), [](const SessionInfo &a, const SessionInfo &b) {
        return a.id < b.id;
    });
    return list;
}

bool Proxy::closeSession(quint64 id)
{
    Session *session = m_sessions.value(id);
    if (!session)
        return false;
    session->closeByAdmin();
    return true;
}

quint16 Proxy::port() const
{
    return m_listener ? m_listener->port() : 0;
}

void Proxy::stop()
{
    m_stopping = true;
    closeListener();
    const QSet<QTcpSocket *> handshaking = m_handshaking;
    for (QTcpSocket *socket : handshaking)
        socket->abort();
    const QList<Session *> sessions = m_sessions.values();
    for (Session *session : sessions)
        session->shutdown();
    if (m_sessions.isEmpty())
        QTimer::singleShot(0, this, &Proxy::stopped);
}

// Reads the request head, answers it, and turns an accepted WebSocket upgrade into a
// session. One deadline covers the head and the handshake.
void Proxy::beginHandshake(QTcpSocket *socket)
{
    // Connections that have not sent their head yet cost a descriptor each and prove
    // nothing; past this many, new ones are closed at once rather than let a crowd of idle
    // sockets exhaust the descriptors that sessions need.
    if (m_handshaking.size() >= MaxHandshaking) {
        socket->abort();
        socket->deleteLater();
        if (!m_warnedHandshaking)
            m_log->warning(u"%1 connections are in their handshake; closing new ones until "
                           "some finish"_s.arg(MaxHandshaking));
        m_warnedHandshaking = true;
        return;
    }
    m_warnedHandshaking = false;
    socket->setParent(this);
    m_handshaking.insert(socket);
    auto *deadline = new QTimer(socket);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, socket, &QTcpSocket::abort);
    deadline->start(m_handshakeTimeoutMs);

    const auto forget = [this, socket] {
        m_handshaking.remove(socket);
        socket->disconnect(this);
    };
    connect(socket, &QTcpSocket::disconnected, this, [socket, forget] {
        forget();
        socket->deleteLater();
    });

    const auto inspect = [this, socket, deadline, forget] {
        const HeadParse parsed = parseRequestHead(socket->peek(AdmissionLimits::MaxHeadBytes),
                AdmissionLimits::MaxHeadBytes,
                AdmissionLimits::MaxHeadLines);
        if (parsed.status == HeadStatus::Incomplete)
            return;
        const Admission admission = parsed.status == HeadStatus::Complete
                ? admit(parsed.head, m_limits, sessionCount())
                : refuseHead(parsed.status);
        if (!admission.upgrade || m_stopping) {
            forget();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            if (!admission.logLine.isEmpty())
                m_log->info(u"request from %1: %2"_s.arg(peerName(socket), admission.logLine));
            socket->write(
                    m_stopping ? refuseHead(HeadStatus::Malformed).response : admission.response);
            socket->disconnectFromHost();
            return;
        }

        // Read, not skipped: a head that is all the socket holds leaves with its buffer block
        // (see Session::readClient()).
        socket->read(parsed.length);
        // RFC 6455 section 4.2.2: no subprotocol and no extension is chosen.
        const QByteArray answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                + WebSocketFrames::acceptKey(parsed.head.field("sec-websocket-key")) + "\r\n\r\n";
        writeThrough(socket, plainDescriptor(socket), answer);
        forget();
        delete deadline;

        const Session::Client client { peerName(socket),
            QString::fromUtf8(parsed.head.field("origin")),
            QString::fromUtf8(parsed.head.path()) };
        auto *session = new Session(
                m_nextSessionId++, socket, client, m_engine, m_sessionLimits, m_log, this);
        m_sessions.insert(session->id(), session);
        connect(session, &Session::finished, this, [this, session] { onSessionFinished(session); });
        session->start();
    };
    connect(socket, &QTcpSocket::readyRead, this, inspect);
    if (socket->bytesAvailable() > 0)
        inspect();
}

void Proxy::onSessionFinished(Session *session)
{
    m_sessions.remove(session->id());
    m_endedBytesToEngine += session->bytesToEngine();
    m_endedBytesToClient += session->bytesToClient();
    session->deleteLater();
    if (m_stopping && m_sessions.isEmpty())
        emit stopped();
}

} // namespace StudioProxy
