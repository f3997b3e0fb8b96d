#pragma once

#include <QByteArray>
#include <QLocalServer>
#include <QProcess>
#include <QString>
#include <QTcpSocket>
#include <QThread>

#include <optional>

// Real components the controller and GUI tests drive: an engine that greets like MySQL, a
// WebSocket client that speaks RFC 6455 on a raw socket, and a headless studio-proxy started
// as a child process the way an admin starts it.
namespace TestSupport {

// Listens on a Unix socket and, for each connection, sends a MySQL protocol 10 greeting with
// the next connection id (from firstConnectionId), then keeps the connection open. It runs
// on a thread of its own, so that a test may block on a client meanwhile.
class GreetingEngine
{
public:
    explicit GreetingEngine(quint32 firstConnectionId = 4242);
    ~GreetingEngine();

    bool listen(const QString &socketPath);

    int connections() const { return m_connections.loadRelaxed(); }

    static QByteArray greeting(quint32 connectionId);

private:
    QThread m_thread;
    QObject *m_anchor; // lives on m_thread: work is queued to it
    QLocalServer *m_server = nullptr; // lives on m_thread
    quint32 m_nextId;
    QAtomicInt m_connections;
};

// A WebSocket client on a plain TCP socket: the upgrade, then frames read as they come.
class WebSocketClient
{
public:
    // Connects and upgrades; an empty string when it worked, else what went wrong.
    QString open(quint16 port, const QByteArray &origin = {});

    // The payload of the next binary frame, waiting up to timeoutMs; nullopt on timeout.
    std::optional<QByteArray> readBinary(int timeoutMs = 5000);

    // The code of the Close frame that arrives within timeoutMs; nullopt when none did.
    std::optional<quint16> waitForClose(int timeoutMs = 5000);

    QTcpSocket &socket() { return m_socket; }

private:
    // One whole frame: opcode and payload.
    std::optional<std::pair<quint8, QByteArray>> readFrame(int timeoutMs);

    QTcpSocket m_socket;
    QByteArray m_buffer;
};

// `studio-proxy --headless --config FILE --control-socket PATH`, from $STUDIO_PROXY_BIN.
class HeadlessProxy
{
public:
    ~HeadlessProxy();

    // Starts it and waits until it says it listens; an empty string when it does.
    QString start(const QString &configPath, const QString &controlSocket);
    void stop();

    qint64 pid() const { return m_process.processId(); }

    QByteArray output() const { return m_output; }

private:
    QProcess m_process;
    QByteArray m_output;
};

} // namespace TestSupport
