#include "config/runtimevariables.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

std::optional<quint16> parsePort(const QString &text)
{
    const QString digits = text.trimmed();
    if (digits.isEmpty() || !std::all_of(digits.cbegin(), digits.cend(), [](QChar c) {
            return c >= u'0' && c <= u'9';
        })) {
        return std::nullopt;
    }
    bool ok = false;
    const uint port = digits.toUInt(&ok);
    if (!ok || port > 65535)
        return std::nullopt;
    return quint16(port);
}

} // namespace

const QList<RuntimeVariables::Definition> &RuntimeVariables::definitions()
{
    static const QList<Definition> all = {
        { u"https_proxy_port"_s, Kind::Port, u"Port for wss:// (TLS); 0 when off"_s },
        { u"http_proxy_port"_s, Kind::Port, u"Port for ws:// (no TLS); 0 when off"_s },
        { u"ssl_cert"_s, Kind::Path, u"PEM certificate, or chain with the leaf first"_s },
        { u"ssl_key"_s, Kind::Path, u"PEM private key of the certificate"_s },
        { u"ssl_ca"_s, Kind::Path, u"PEM CA certificates that complete the chain"_s },
        { u"ssl_key_passphrase_file"_s,
                Kind::Path,
                u"File whose first line is the passphrase of an encrypted ssl_key"_s },
        { u"proxy_max_sessions"_s,
                Kind::Integer,
                u"Sessions served at once; more get 503 before the upgrade"_s,
                u"10000"_s,
                1,
                1000000 },
        { u"proxy_max_frame_size"_s,
                Kind::Integer,
                u"Largest frame or message a client may send, in bytes (Close 1009)"_s,
                u"67108864"_s,
                1024,
                2147483647 },
        { u"proxy_handshake_timeout"_s,
                Kind::Integer,
                u"Seconds for the TLS and WebSocket handshakes together"_s,
                u"10"_s,
                1,
                3600 },
        { u"proxy_engine_connect_timeout"_s,
                Kind::Integer,
                u"Seconds to wait for the engine to accept a connection (Close 1011)"_s,
                u"10"_s,
                1,
                3600 },
        { u"proxy_idle_timeout"_s,
                Kind::Integer,
                u"Seconds without data either way before a session is closed; 0 is off"_s,
                u"0"_s,
                0,
                604800 },
        { u"proxy_ping_interval"_s,
                Kind::Integer,
                u"Seconds between pings to each client; 0 is off"_s,
                u"30"_s,
                0,
                3600 },
        { u"proxy_pong_timeout"_s,
                Kind::Integer,
                u"Seconds without a pong or any frame before a client counts as gone"_s,
                u"60"_s,
                1,
                3600 },
        { u"proxy_allowed_origins"_s,
                Kind::List,
                u"Origins allowed to connect, comma-separated; empty allows all (403)"_s },
    };
    return all;
}

const RuntimeVariables::Definition *RuntimeVariables::definition(const QString &name)
{
    for (const Definition &candidate : definitions()) {
        if (candidate.name == name)
            return &candidate;
    }
    return nullptr;
}

Result<RuntimeVariables> RuntimeVariables::fromConfig(const ConfigFile &config)
{
    RuntimeVariables variables;
    variables.m_configPath = config.path();
    if (const ConfigEntry *datadir = config.find(u"datadir"_s)) {
        variables.m_datadir =
                variables.resolvePath(datadir->value, QFileInfo(datadir->file).absolutePath());
    }

    for (const Definition &definition : definitions()) {
        const ConfigEntry *entry = config.find(definition.name);
        if (!entry)
            continue;
        const QString where = u"%1 line %2"_s.arg(entry->file).arg(entry->line);
        QString problem;
        std::optional<QString> value = variables.normalise(
                definition, entry->value, QFileInfo(entry->file).absolutePath(), &problem);
        // "port =" with nothing after it is a mistake in a file, where 0 says "off".
        if (definition.kind != Kind::Path && definition.kind != Kind::List
                && entry->value.trimmed().isEmpty()) {
            value = std::nullopt;
        }
        if (!value) {
            return Error { ErrorCode::InvalidValue,
                u"%1 in %2 is \"%3\"; expected %4"_s.arg(
                        definition.name, where, entry->value, problem) };
        }
        if (!value->isEmpty())
            variables.m_slots.insert(definition.name, { *value, where, entry->file });
    }
    return variables;
}

Result<void> RuntimeVariables::set(const QString &name, const QString &value)
{
    const Definition *variable = definition(name);
    if (!variable)
        return Error { ErrorCode::InvalidValue, u"unknown variable \"%1\""_s.arg(name) };

    QString problem;
    const std::optional<QString> normalised =
            normalise(*variable, value, QFileInfo(m_configPath).absolutePath(), &problem);
    if (!normalised) {
        return Error { ErrorCode::InvalidValue,
            u"%1 must be %2, not \"%3\""_s.arg(name, problem, value) };
    }
    const QString stored = *normalised;
    if (stored.isEmpty())
        m_slots.remove(name);
    else
        m_slots.insert(name, { stored, u"SET GLOBAL"_s, QString() });
    return {};
}

std::optional<QString> RuntimeVariables::normalise(const Definition &definition,
        const QString &text,
        const QString &folder,
        QString *problem) const
{
    const QString value = text.trimmed();
    switch (definition.kind) {
    case Kind::Port: {
        *problem = u"a port number from 1 to 65535 (0 for off)"_s;
        if (value.isEmpty())
            return QString();
        const std::optional<quint16> port = parsePort(value);
        if (!port)
            return std::nullopt;
        return *port == 0 ? QString() : QString::number(*port);
    }
    case Kind::Path:
        return value.isEmpty() ? QString() : resolvePath(value, folder);
    case Kind::Integer: {
        *problem =
                u"a whole number from %1 to %2"_s.arg(definition.minimum).arg(definition.maximum);
        const bool digits =
                !value.isEmpty() && std::all_of(value.cbegin(), value.cend(), [](QChar c) {
                    return c >= u'0' && c <= u'9';
                });
        bool ok = false;
        const qint64 number = value.toLongLong(&ok);
        if (!digits || !ok || number < definition.minimum || number > definition.maximum)
            return std::nullopt;
        return QString::number(number);
    }
    case Kind::List: {
        QStringList items = value.split(u',', Qt::SkipEmptyParts);
        for (QString &item : items)
            item = item.trimmed();
        items.removeAll(QString());
        return items.join(u',');
    }
    }
    return std::nullopt;
}

QString RuntimeVariables::value(const QString &name) const
{
    const auto slot = m_slots.constFind(name);
    if (slot != m_slots.cend())
        return slot->value;
    const Definition *known = definition(name);
    return known ? known->defaultValue : QString();
}

QStringList RuntimeVariables::list(const QString &name) const
{
    return value(name).split(u',', Qt::SkipEmptyParts);
}

bool RuntimeVariables::isSet(const QString &name) const
{
    return m_slots.contains(name);
}

QString RuntimeVariables::resolvePath(const QString &path, const QString &againstFolder) const
{
    if (QFileInfo(path).isAbsolute())
        return QDir::cleanPath(path);
    const QString first = QDir::cleanPath(QDir(againstFolder).absoluteFilePath(path));
    if (QFileInfo::exists(first) || m_datadir.isEmpty())
        return first;
    const QString second = QDir::cleanPath(QDir(m_datadir).absoluteFilePath(path));
    return QFileInfo::exists(second) ? second : first;
}

} // namespace StudioProxy
