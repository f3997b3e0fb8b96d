#pragma once

#include "config/configfile.h"
#include "util/result.h"

#include <QList>
#include <QMap>
#include <QString>

namespace StudioProxy {

// The proxy's variables as they stand now: read from the config file at start, changed at
// runtime by SET GLOBAL without being persisted. What is listening follows them only after a
// successful restart, so they can differ from the actual state.
class RuntimeVariables
{
public:
    enum class Kind { Port, Path };

    struct Definition
    {
        QString name;
        Kind kind;
        QString description;
    };

    static const QList<Definition> &definitions();
    static const Definition *definition(const QString &name);

    // Values as the engine reads them from its config file; relative paths resolve against
    // the folder of the file that names them, then against datadir.
    static Result<RuntimeVariables> fromConfig(const ConfigFile &config);

    // A runtime change: validated, relative paths resolved as in the config file. An empty
    // value, or 0 for a port, unsets the variable.
    Result<void> set(const QString &name, const QString &value);

    QString value(const QString &name) const { return m_slots.value(name).value; }

    quint16 port(const QString &name) const { return quint16(value(name).toUInt()); }

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

    QMap<QString, Slot> m_slots;
    QString m_configPath;
    QString m_datadir;
};

} // namespace StudioProxy
