#pragma once

#include "config/configfile.h"
#include "util/result.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace StudioProxy {

// The proxy's variables as they stand now: read from the config file at start, changed at
// runtime by SET GLOBAL without being persisted. What is listening follows them only after a
// successful restart, so they can differ from the actual state.
class RuntimeVariables
{
public:
    enum class Kind {
        Port, // 0 to 65535; 0 (or empty) is "off"
        Path, // a file; relative paths resolve as in the config file
        Integer, // between minimum and maximum
        List, // comma-separated words
    };

    struct Definition
    {
        QString name;
        Kind kind;
        QString description;
        QString defaultValue = QString();
        qint64 minimum = 0;
        qint64 maximum = 0;
    };

    static const QList<Definition> &definitions();
    static const Definition *definition(const QString &name);

    // Values as the engine reads them from its config file; relative paths resolve against
    // the folder of the file that names them, then against datadir.
    static Result<RuntimeVariables> fromConfig(const ConfigFile &config);

    // A runtime change: validated, relative paths resolved as in the config file. An empty
    // value, or 0 for a port, unsets the variable.
    Result<void> set(const QString &name, const QString &value);

    // The value in force: the one set, else the default (empty for ports and paths).
    QString value(const QString &name) const;

    quint16 port(const QString &name) const { return quint16(value(name).toUInt()); }

    qint64 integer(const QString &name) const { return value(name).toLongLong(); }

    QStringList list(const QString &name) const;

    bool isSet(const QString &name) const;

    // Where the value came from, for messages: "FILE line N", "SET GLOBAL", or empty.
    QString source(const QString &name) const { return m_slots.value(name).source; }

    // The config file that set it; empty when it was set at runtime or not at all.
    QString sourceFile(const QString &name) const { return m_slots.value(name).file; }

    QString configPath() const { return m_configPath; }

    QString datadir() const { return m_datadir; }

private:
    struct Slot
    {
        QString value;
        QString source;
        QString file;
    };

    QString resolvePath(const QString &path, const QString &againstFolder) const;
    // The value as stored, or an error message; empty means unset.
    std::optional<QString> normalise(const Definition &definition,
            const QString &text,
            const QString &folder,
            QString *problem) const;

    QMap<QString, Slot> m_slots;
    QString m_configPath;
    QString m_datadir;
};

} // namespace StudioProxy
