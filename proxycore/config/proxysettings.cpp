#include "config/proxysettings.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// Where to tell the admin to make a change: the config file that set the variable, or
// SET GLOBAL when it was set at runtime.
QString whereToFix(const RuntimeVariables &variables, const QStringList &names)
{
    QStringList files;
    for (const QString &name : names) {
        const QString file = variables.sourceFile(name);
        if (!file.isEmpty() && !files.contains(file))
            files << file;
    }
    if (files.isEmpty())
        return u"with SET GLOBAL"_s;
    return u"in "_s + files.join(u" or "_s);
}

Result<EngineEndpoint> engineEndpoint(const ConfigFile &config, const RuntimeVariables &variables)
{
    EngineEndpoint engine;
    const ConfigEntry *socket = config.find(u"socket"_s);
    if (socket && !socket->value.isEmpty()) {
        engine.socketPath = QDir::cleanPath(
                QFileInfo(socket->file).absoluteDir().absoluteFilePath(socket->value));
        return engine;
    }
    if (!variables.datadir().isEmpty()) {
        engine.socketPath = QDir(variables.datadir()).absoluteFilePath(u"memsql.sock"_s);
        return engine;
    }

    engine.kind = EngineEndpoint::Kind::Tcp;
    if (const ConfigEntry *port = config.find(u"port"_s)) {
        bool ok = false;
        const uint value = port->value.toUInt(&ok);
        if (!ok || value > 65535) {
            return Error { ErrorCode::InvalidValue,
                u"port in %1 line %2 is \"%3\"; expected a port number from 1 to 65535"_s.arg(
                        port->file, QString::number(port->line), port->value) };
        }
        if (value != 0)
            engine.port = quint16(value);
    }
    return engine;
}

Result<ProxySettings> withEngineAndLog(const ConfigFile &config,
        const RuntimeVariables &variables,
        ProxySettings settings,
        const QString &logFolderOverride)
{
    const Result<EngineEndpoint> engine = engineEndpoint(config, variables);
    if (!engine)
        return engine.error();
    settings.engine = engine.value();

    const ConfigEntry *tracelogs = config.find(u"tracelogsdir"_s);
    const QString datadir = variables.datadir();
    if (!logFolderOverride.isEmpty()) {
        settings.logFolder = QFileInfo(logFolderOverride).absoluteFilePath();
    } else if (tracelogs && !tracelogs->value.isEmpty()) {
        settings.logFolder = QDir::cleanPath(
                QFileInfo(tracelogs->file).absoluteDir().absoluteFilePath(tracelogs->value));
    } else if (!datadir.isEmpty()) {
        settings.logFolder = QDir(datadir).absoluteFilePath(u"tracelogs"_s);
    } else {
        return Error { ErrorCode::LogUnwritable,
            u"no folder for websocket_proxy.log: set tracelogsdir or datadir in %1, or pass "
            "--log-dir"_s.arg(config.path()) };
    }
    return settings;
}

} // namespace

QString EngineEndpoint::toString() const
{
    if (kind == Kind::UnixSocket)
        return u"unix:"_s + socketPath;
    return u"tcp:%1:%2"_s.arg(host).arg(port);
}

Result<ProxySettings> applyVariables(const RuntimeVariables &variables, ProxySettings settings)
{
    const quint16 https = variables.port(u"https_proxy_port"_s);
    const quint16 http = variables.port(u"http_proxy_port"_s);
    if (https && http) {
        return Error { ErrorCode::PortConflict,
            u"both https_proxy_port (%1) and http_proxy_port (%2) are set; they are mutually "
            "exclusive: remove one of them %3"_s.arg(QString::number(https),
                    QString::number(http),
                    whereToFix(variables, { u"https_proxy_port"_s, u"http_proxy_port"_s })) };
    }
    if (!https && !http) {
        return Error { ErrorCode::NoProxyPort,
            u"neither https_proxy_port nor http_proxy_port is set in %1; set one of them to "
            "the port the proxy should serve"_s.arg(variables.configPath()) };
    }

    settings.configPath = variables.configPath();
    settings.protocol = https ? ProxyProtocol::Tls : ProxyProtocol::Plain;
    settings.portKey = https ? u"https_proxy_port"_s : u"http_proxy_port"_s;
    settings.port = https ? https : http;
    settings.sslCert.clear();
    settings.sslKey.clear();
    settings.sslCa.clear();

    const auto seconds = [&](const QString &name) {
        return int(variables.integer(name) * 1000);
    };
    settings.maxSessions = int(variables.integer(u"proxy_max_sessions"_s));
    settings.allowedOrigins = variables.list(u"proxy_allowed_origins"_s);
    settings.handshakeTimeoutMs = seconds(u"proxy_handshake_timeout"_s);
    settings.limits.maxFrameSize = quint64(variables.integer(u"proxy_max_frame_size"_s));
    settings.limits.engineConnectTimeoutMs = seconds(u"proxy_engine_connect_timeout"_s);
    settings.limits.idleTimeoutMs = seconds(u"proxy_idle_timeout"_s);
    settings.limits.pingIntervalMs = seconds(u"proxy_ping_interval"_s);
    settings.limits.pongTimeoutMs = seconds(u"proxy_pong_timeout"_s);
    if (settings.protocol == ProxyProtocol::Plain)
        return settings;

    QStringList missing;
    for (const QString &key : { u"ssl_cert"_s, u"ssl_key"_s }) {
        if (!variables.isSet(key))
            missing << key;
    }
    if (!missing.isEmpty()) {
        const QString file = variables.sourceFile(u"https_proxy_port"_s);
        return Error { ErrorCode::SslSettingMissing,
            u"https_proxy_port requires SSL, but %1 %2 not set%3; set ssl_cert and ssl_key, or "
            "use http_proxy_port instead"_s.arg(missing.join(u" and "_s),
                    missing.size() > 1 ? u"are"_s : u"is"_s,
                    file.isEmpty() ? QString() : u" in "_s + file) };
    }
    settings.sslCert = variables.value(u"ssl_cert"_s);
    settings.sslKey = variables.value(u"ssl_key"_s);
    settings.sslCa = variables.value(u"ssl_ca"_s);
    settings.sslKeyPassphraseFile = variables.value(u"ssl_key_passphrase_file"_s);
    return settings;
}

Result<ProxySettings> proxySettingsFrom(const ConfigFile &config, const QString &logFolderOverride)
{
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config);
    if (!variables)
        return variables.error();
    Result<ProxySettings> settings = applyVariables(variables.value());
    if (!settings)
        return settings;
    return withEngineAndLog(config, variables.value(), settings.value(), logFolderOverride);
}

Result<ProxySettings> engineSettingsFrom(const ConfigFile &config, const QString &logFolderOverride)
{
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config);
    if (!variables)
        return variables.error();
    ProxySettings settings;
    settings.configPath = config.path();
    return withEngineAndLog(config, variables.value(), settings, logFolderOverride);
}

} // namespace StudioProxy
