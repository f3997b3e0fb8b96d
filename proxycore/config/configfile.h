#pragma once

#include "util/result.h"

#include <QList>
#include <QString>

namespace StudioProxy {

// One option as written in an option file.
struct ConfigEntry
{
    QString section; // lowercase group name; empty before the first [group]
    QString key; // normalised: lowercase, '-' as '_', without a "loose_" prefix
    QString value; // unquoted, without a trailing comment
    QString file; // absolute path of the file the entry was read from
    int line = 0;
};

// The engine's option file: memsql.cnf style (key = value lines) or my.cnf style
// ([groups], !include and !includedir). Reads follow the MySQL option-file rules: later
// entries override earlier ones, '#' and ';' start comments, quotes may enclose a value.
class ConfigFile
{
public:
    static Result<ConfigFile> read(const QString &path);

    // Groups whose options the engine applies. Entries before any group count too, which
    // is how a memsql.cnf without groups is read.
    static bool appliesToEngine(const QString &section);

    QString path() const { return m_path; }

    QString folder() const;

    const QList<ConfigEntry> &entries() const { return m_entries; }

    // The entry in force for key: the last one in a group that applies; null when unset.
    const ConfigEntry *find(const QString &key) const;

private:
    QString m_path;
    QList<ConfigEntry> m_entries;
};

} // namespace StudioProxy
