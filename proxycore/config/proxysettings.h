#pragma once

#include "config/configfile.h"
#include "config/runtimevariables.h"
#include "util/result.h"

#include <QHostAddress>
#include <QString>
#include <QStringList>

namespace StudioProxy {

enum class ProxyProtocol {
    Plain, // ws://, from http_proxy_port
    Tls, // wss://, from https_proxy_port
};

// Where the engine accepts connections: its Unix socket, or TCP when no socket is known.
struct EngineEndpoint
{
    enum class Kind { UnixSocket, Tcp };

    Kind kind = Kind::UnixSocket;
    QString socketPath;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 3306;

    QString toString() const;
};

// What each session may do and how long it may take, from the proxy_* variables.
struct SessionLimits
{
    quint64 maxFrameSize = 64 * 1024 * 1024;
    int engineConnectTimeoutMs = 10000;
    int idleTimeoutMs = 0; // 0: no idle timeout
    int pingIntervalMs = 30000; // 0: no pings
    int pongTimeoutMs = 60000;
};

// What the proxy serves, where, and with which files, as the startup rules derive it from
// the engine's config file.
struct ProxySettings
{
    QString configPath;
    ProxyProtocol protocol = ProxyProtocol::Plain;
    QString portKey; // the variable the port came from, for messages
    quint16 port = 0;
    QHostAddress bindAddress = QHostAddress(QHostAddress::Any);
    QString sslCert;
    QString sslKey;
    QString sslCa;
    QString sslKeyPassphraseFile;
    EngineEndpoint engine;
    QString logFolder;

    int maxSessions = 10000;
    QStringList allowedOrigins;
    int handshakeTimeoutMs = 10000;
    SessionLimits limits;

    QString scheme() const
    {
        return protocol == ProxyProtocol::Tls ? QStringLiteral("wss") : QStringLiteral("ws");
    }
};

// Applies the startup rules to a config file: exactly one of https_proxy_port and
// http_proxy_port, SSL files for HTTPS, an engine to reach and a folder for the log.
// logFolderOverride (from --log-dir) wins over tracelogsdir and datadir.
Result<ProxySettings> proxySettingsFrom(
        const ConfigFile &config, const QString &logFolderOverride = QString());

// The engine and the log folder alone, without the rules on the proxy's ports: what a proxy
// that does not serve yet needs (the desktop app's, whose admin may still have to fix them).
Result<ProxySettings> engineSettingsFrom(
        const ConfigFile &config, const QString &logFolderOverride = QString());

// The rules on the proxy's variables alone, as a start and every restart apply them: fills
// in protocol, port and SSL files; leaves the engine and the log folder as they are in base.
Result<ProxySettings> applyVariables(
        const RuntimeVariables &variables, ProxySettings base = ProxySettings());

} // namespace StudioProxy
