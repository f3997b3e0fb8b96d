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
        if (!entry || (entry->value.isEmpty() && definition.kind == Kind::Path))
            continue;
        const QString where = u"%1 line %2"_s.arg(entry->file).arg(entry->line);
        QString value = entry->value;
        if (definition.kind == Kind::Port) {
            const std::optional<quint16> port = parsePort(value);
            if (!port) {
                return Error { ErrorCode::InvalidValue,
                    u"%1 in %2 is \"%3\"; expected a port number from 1 to 65535"_s.arg(
                            definition.name, where, entry->value) };
            }
            if (*port == 0)
                continue; // 0 is the engine's "off"
            value = QString::number(*port);
        } else {
            value = variables.resolvePath(value, QFileInfo(entry->file).absolutePath());
        }
        variables.m_slots.insert(definition.name, { value, where, entry->file });
    }
    return variables;
}

Result<void> RuntimeVariables::set(const QString &name, const QString &value)
{
    const Definition *variable = definition(name);
    if (!variable)
        return Error { ErrorCode::InvalidValue, u"unknown variable \"%1\""_s.arg(name) };

    QString stored = value.trimmed();
    if (variable->kind == Kind::Port && !stored.isEmpty()) {
        const std::optional<quint16> port = parsePort(stored);
        if (!port) {
            return Error { ErrorCode::InvalidValue,
                u"%1 must be a port number from 0 to 65535, not \"%2\""_s.arg(name, value) };
        }
        stored = *port == 0 ? QString() : QString::number(*port);
    } else if (!stored.isEmpty()) {
        stored = resolvePath(stored, QFileInfo(m_configPath).absolutePath());
    }

    if (stored.isEmpty())
        m_slots.remove(name);
    else
        m_slots.insert(name, { stored, u"SET GLOBAL"_s, QString() });
    return {};
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
