#include "testsupport/proxyfixtures.h"

#include <QDeadlineTimer>
#include <QLocalSocket>
#include <QRandomGenerator>
#include <QThread>

using namespace Qt::StringLiterals;

namespace TestSupport {

GreetingEngine::GreetingEngine(quint32 firstConnectionId)
    : m_anchor(new QObject)
    , m_nextId(firstConnectionId)
{
    m_anchor->moveToThread(&m_thread);
    QObject::connect(&m_thread, &QThread::finished, m_anchor, &QObject::deleteLater);
    m_thread.start();
}

GreetingEngine::~GreetingEngine()
{
    QMetaObject::invokeMethod(
            m_anchor,
            [this] {
                delete m_server;
                m_server = nullptr;
            },
            Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

bool GreetingEngine::listen(const QString &socketPath)
{
    bool listening = false;
    QMetaObject::invokeMethod(
            m_anchor,
            [this, socketPath, &listening] {
                m_server = new QLocalServer(m_anchor);
                QObject::connect(m_server, &QLocalServer::newConnection, m_server, [this] {
                    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
                        m_connections.fetchAndAddRelaxed(1);
                        socket->write(greeting(m_nextId++));
                    }
                });
                QLocalServer::removeServer(socketPath);
                listening = m_server->listen(socketPath);
            },
            Qt::BlockingQueuedConnection);
    return listening;
}

QByteArray GreetingEngine::greeting(quint32 connectionId)
{
    QByteArray payload;
    payload.append(char(10)); // protocol version
    payload.append("10.11.6-MariaDB-test");
    payload.append('\0');
    for (int shift = 0; shift < 32; shift += 8)
        payload.append(char((connectionId >> shift) & 0xff));
    payload.append("12345678", 8); // the first part of the scramble
    payload.append('\0');
    payload.append("\xff\xf7\x21\x02\x00\xff\x81\x15", 8);
    payload.append(QByteArray(10, '\0'));
    payload.append("abcdefghijkl", 12);
    payload.append('\0');
    payload.append("mysql_native_password");
    payload.append('\0');
    QByteArray packet;
    packet.append(char(payload.size() & 0xff));
    packet.append(char((payload.size() >> 8) & 0xff));
    packet.append(char((payload.size() >> 16) & 0xff));
    packet.append(char(0)); // sequence id
    return packet + payload;
}

QString WebSocketClient::open(quint16 port, const QByteArray &origin)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    if (!m_socket.waitForConnected(5000))
        return m_socket.errorString();
    QByteArray request = "GET / HTTP/1.1\r\nHost: localhost:" + QByteArray::number(port)
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!origin.isEmpty())
        request += "Origin: " + origin + "\r\n";
    m_socket.write(request + "\r\n");
    const QDeadlineTimer deadline(5000);
    while (!m_buffer.contains("\r\n\r\n") && !deadline.hasExpired()) {
        if (m_socket.waitForReadyRead(int(deadline.remainingTime())))
            m_buffer += m_socket.readAll();
    }
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0 || !m_buffer.startsWith("HTTP/1.1 101"))
        return u"no upgrade: "_s + QString::fromLatin1(m_buffer.left(200));
    m_buffer.remove(0, end + 4);
    return QString();
}

std::optional<std::pair<quint8, QByteArray>> WebSocketClient::readFrame(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (m_buffer.size() >= 2) {
            const auto *bytes = reinterpret_cast<const uchar *>(m_buffer.constData());
            quint64 length = bytes[1] & 0x7f;
            qsizetype header = 2;
            if (length == 126 && m_buffer.size() >= 4) {
                length = quint64(bytes[2]) << 8 | bytes[3];
                header = 4;
            } else if (length == 127 && m_buffer.size() >= 10) {
                length = 0;
                for (int i = 2; i < 10; ++i)
                    length = length << 8 | bytes[i];
                header = 10;
            } else if (length >= 126) {
                header = -1;
            }
            if (header > 0 && quint64(m_buffer.size()) >= header + length) {
                const quint8 opcode = bytes[0] & 0x0f;
                const QByteArray payload = m_buffer.mid(header, qsizetype(length));
                m_buffer.remove(0, header + qsizetype(length));
                return std::make_pair(opcode, payload);
            }
        }
        // An event loop that ran meanwhile may have read bytes already: no readyRead for them.
        if (m_socket.bytesAvailable() > 0) {
            const qsizetype before = m_buffer.size();
            m_buffer += m_socket.readAll();
            if (m_buffer.size() > before)
                continue;
        }
        if (deadline.hasExpired())
            return std::nullopt;
        if (m_socket.state() != QAbstractSocket::ConnectedState && m_socket.bytesAvailable() == 0)
            return std::nullopt;
        if (m_socket.waitForReadyRead(int(std::max<qint64>(deadline.remainingTime(), 1))))
            m_buffer += m_socket.readAll();
    }
}

std::optional<QByteArray> WebSocketClient::readBinary(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const auto frame = readFrame(int(deadline.remainingTime()));
        if (!frame)
            return std::nullopt;
        if (frame->first == 2)
            return frame->second;
    }
    return std::nullopt;
}

std::optional<quint16> WebSocketClient::waitForClose(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const auto frame = readFrame(int(deadline.remainingTime()));
        if (!frame)
            return std::nullopt;
        if (frame->first == 8 && frame->second.size() >= 2) {
            return quint16(quint8(frame->second.at(0)) << 8 | quint8(frame->second.at(1)));
        }
    }
    return std::nullopt;
}

HeadlessProxy::~HeadlessProxy()
{
    stop();
}

QString HeadlessProxy::start(const QString &configPath, const QString &controlSocket)
{
    const QString binary = qEnvironmentVariable("STUDIO_PROXY_BIN");
    if (binary.isEmpty())
        return u"STUDIO_PROXY_BIN is not set"_s;
    m_process.setStandardInputFile(QProcess::nullDevice());
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(binary,
            { u"--headless"_s, u"--config"_s, configPath, u"--control-socket"_s, controlSocket });
    const QDeadlineTimer deadline(20000);
    while (!m_output.contains("studio-proxy: control:") && !deadline.hasExpired()
            && m_process.state() != QProcess::NotRunning) {
        m_process.waitForReadyRead(100);
        m_output += m_process.readAll();
    }
    if (!m_output.contains("studio-proxy: control:"))
        return u"the headless proxy did not start: "_s + QString::fromLocal8Bit(m_output);
    return QString();
}

void HeadlessProxy::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished();
    }
}

} // namespace TestSupport
