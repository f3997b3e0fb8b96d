#include "config/proxysettings.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

QString where(const ConfigEntry &entry)
{
    return u"%1 line %2"_s.arg(entry.file).arg(entry.line);
}

// A port variable; 0 means "off", as in the engine.
Result<quint16> portValue(const ConfigEntry *entry)
{
    if (!entry)
        return quint16(0);
    bool ok = false;
    const uint port = entry->value.toUInt(&ok);
    if (!ok || port > 65535) {
        return Error { ErrorCode::InvalidValue,
            u"%1 in %2 is \"%3\"; expected a port number from 1 to 65535"_s.arg(
                    entry->key, where(*entry), entry->value) };
    }
    return quint16(port);
}

class PathResolver
{
public:
    explicit PathResolver(const ConfigFile &config)
    {
        if (const ConfigEntry *datadir = config.find(u"datadir"_s))
            m_datadir = QFileInfo(relativeToFile(*datadir)).absoluteFilePath();
    }

    QString datadir() const { return m_datadir; }

    // Relative paths resolve against the folder of the file that names them first, then
    // against datadir, where the engine itself would look.
    QString resolve(const ConfigEntry &entry) const
    {
        const QString first = relativeToFile(entry);
        if (QFileInfo(entry.value).isAbsolute() || QFileInfo::exists(first) || m_datadir.isEmpty())
            return first;
        const QString second = QDir(m_datadir).absoluteFilePath(entry.value);
        return QFileInfo::exists(second) ? second : first;
    }

private:
    static QString relativeToFile(const ConfigEntry &entry)
    {
        return QDir::cleanPath(QFileInfo(entry.file).absoluteDir().absoluteFilePath(entry.value));
    }

    QString m_datadir;
};

Result<EngineEndpoint> engineEndpoint(const ConfigFile &config, const PathResolver &paths)
{
    EngineEndpoint engine;
    const ConfigEntry *socket = config.find(u"socket"_s);
    if (socket && !socket->value.isEmpty()) {
        engine.socketPath = paths.resolve(*socket);
        return engine;
    }
    if (!paths.datadir().isEmpty()) {
        engine.socketPath = QDir(paths.datadir()).absoluteFilePath(u"memsql.sock"_s);
        return engine;
    }

    engine.kind = EngineEndpoint::Kind::Tcp;
    if (const ConfigEntry *port = config.find(u"port"_s)) {
        const Result<quint16> value = portValue(port);
        if (!value)
            return value.error();
        if (value.value() != 0)
            engine.port = value.value();
    }
    return engine;
}

} // namespace

QString EngineEndpoint::toString() const
{
    if (kind == Kind::UnixSocket)
        return u"unix:"_s + socketPath;
    return u"tcp:%1:%2"_s.arg(host).arg(port);
}

Result<ProxySettings> proxySettingsFrom(const ConfigFile &config, const QString &logFolderOverride)
{
    const ConfigEntry *https = config.find(u"https_proxy_port"_s);
    const ConfigEntry *http = config.find(u"http_proxy_port"_s);
    const Result<quint16> httpsPort = portValue(https);
    if (!httpsPort)
        return httpsPort.error();
    const Result<quint16> httpPort = portValue(http);
    if (!httpPort)
        return httpPort.error();

    if (httpsPort.value() && httpPort.value()) {
        return Error { ErrorCode::PortConflict,
            u"both https_proxy_port (%1) and http_proxy_port (%2) are set; they are mutually "
            "exclusive: remove one of them from %3"_s.arg(https->value,
                    http->value,
                    https->file == http->file ? https->file
                                              : https->file + u" or "_s + http->file) };
    }
    if (!httpsPort.value() && !httpPort.value()) {
        return Error { ErrorCode::NoProxyPort,
            u"neither https_proxy_port nor http_proxy_port is set in %1; set one of them to "
            "the port the proxy should serve"_s.arg(config.path()) };
    }

    ProxySettings settings;
    settings.configPath = config.path();
    const PathResolver paths(config);
    if (httpsPort.value()) {
        settings.protocol = ProxyProtocol::Tls;
        settings.portKey = u"https_proxy_port"_s;
        settings.port = httpsPort.value();
    } else {
        settings.portKey = u"http_proxy_port"_s;
        settings.port = httpPort.value();
    }

    if (settings.protocol == ProxyProtocol::Tls) {
        QStringList missing;
        for (const QString &key : { u"ssl_cert"_s, u"ssl_key"_s }) {
            const ConfigEntry *entry = config.find(key);
            if (!entry || entry->value.isEmpty())
                missing << key;
            else
                (key == u"ssl_cert" ? settings.sslCert : settings.sslKey) = paths.resolve(*entry);
        }
        if (!missing.isEmpty()) {
            return Error { ErrorCode::SslSettingMissing,
                u"https_proxy_port requires SSL, but %1 %2 not set in %3; set ssl_cert and "
                "ssl_key, or use http_proxy_port instead"_s.arg(missing.join(u" and "_s),
                        missing.size() > 1 ? u"are"_s : u"is"_s,
                        https->file) };
        }
        const ConfigEntry *ca = config.find(u"ssl_ca"_s);
        if (ca && !ca->value.isEmpty())
            settings.sslCa = paths.resolve(*ca);
    }

    const Result<EngineEndpoint> engine = engineEndpoint(config, paths);
    if (!engine)
        return engine.error();
    settings.engine = engine.value();

    const ConfigEntry *tracelogs = config.find(u"tracelogsdir"_s);
    if (!logFolderOverride.isEmpty())
        settings.logFolder = QFileInfo(logFolderOverride).absoluteFilePath();
    else if (tracelogs && !tracelogs->value.isEmpty())
        settings.logFolder = paths.resolve(*tracelogs);
    else if (!paths.datadir().isEmpty())
        settings.logFolder = QDir(paths.datadir()).absoluteFilePath(u"tracelogs"_s);
    else {
        return Error { ErrorCode::LogUnwritable,
            u"no folder for websocket_proxy.log: set tracelogsdir or datadir in %1, or pass "
            "--log-dir"_s.arg(config.path()) };
    }
    return settings;
}

} // namespace StudioProxy
