#include "config/configfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// MySQL nests includes; a cycle would otherwise recurse for ever.
constexpr int MaxIncludeDepth = 10;

QString normaliseKey(QString key)
{
    key = key.trimmed().toLower();
    key.replace(u'-', u'_');
    if (key.startsWith(u"loose_"_s))
        key = key.mid(6).trimmed();
    return key;
}

// The escapes of MySQL option files. An unknown one keeps its backslash, as MySQL does.
QString unescape(QChar c)
{
    switch (c.unicode()) {
    case 'b':
        return QString(QChar(u'\b'));
    case 't':
        return QString(QChar(u'\t'));
    case 'n':
        return QString(QChar(u'\n'));
    case 'r':
        return QString(QChar(u'\r'));
    case 's':
        return QString(QChar(u' '));
    case '\\':
    case '"':
    case '\'':
        return QString(c);
    default:
        return QString(QChar(u'\\')) + c;
    }
}

// Reads a value as the MySQL option-file reader does: escapes are honoured everywhere, a
// quoted value ends at its closing quote, an unquoted one at the first '#'.
std::optional<QString> parseValue(const QString &raw)
{
    const QString text = raw.trimmed();
    const QChar quote = text.isEmpty() ? QChar() : text.front();
    const bool quoted = quote == u'"' || quote == u'\'';

    QString value;
    for (qsizetype i = quoted ? 1 : 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'\\' && i + 1 < text.size()) {
            value += unescape(text.at(++i));
        } else if (quoted && c == quote) {
            const QString rest = text.mid(i + 1).trimmed();
            if (!rest.isEmpty() && !rest.startsWith(u'#'))
                return std::nullopt;
            return value;
        } else if (!quoted && c == u'#') {
            break;
        } else {
            value += c;
        }
    }
    if (quoted)
        return std::nullopt; // no closing quote
    return value.trimmed();
}

class Reader
{
public:
    Result<void> readFile(const QString &path, int depth);
    QList<ConfigEntry> entries;

private:
    Result<void> readIncludeDir(const QString &dir, const QString &from, int line, int depth);
};

Error syntaxError(const QString &file, int line, const QString &what)
{
    return { ErrorCode::ConfigSyntax, u"%1 line %2: %3"_s.arg(file).arg(line).arg(what) };
}

Result<void> Reader::readFile(const QString &path, int depth)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    // A FIFO or a device would block the read, or never end: only plain files are options.
    const QFileInfo info(absolute);
    if (info.exists() && !info.isFile()) {
        return Error { ErrorCode::ConfigUnreadable,
            u"cannot read config file %1: not a regular file"_s.arg(absolute) };
    }
    QFile file(absolute);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return Error { ErrorCode::ConfigUnreadable,
            u"cannot read config file %1: %2"_s.arg(absolute, file.errorString()) };
    }

    const QDir folder = QFileInfo(absolute).absoluteDir();
    QString section;
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';'))
            continue;

        if (line.startsWith(u'!')) {
            qsizetype space = 0;
            while (space < line.size() && !line.at(space).isSpace())
                ++space;
            const QString directive = line.left(space).toLower();
            const QString target = line.mid(space).trimmed();
            if (target.isEmpty() || (directive != u"!include" && directive != u"!includedir"))
                return syntaxError(absolute, lineNumber, u"unknown directive \"%1\""_s.arg(line));
            if (depth >= MaxIncludeDepth)
                return syntaxError(absolute, lineNumber, u"includes nest too deeply"_s);
            const QString resolved = folder.absoluteFilePath(target);
            const Result<void> included = directive == u"!include"
                    ? readFile(resolved, depth + 1)
                    : readIncludeDir(resolved, absolute, lineNumber, depth + 1);
            if (!included)
                return included;
            continue;
        }

        if (line.startsWith(u'[')) {
            // MySQL reads the name up to the first ']' and ignores what follows it.
            const qsizetype close = line.indexOf(u']');
            if (close < 0)
                return syntaxError(absolute, lineNumber, u"a group name needs a closing ']'"_s);
            section = line.mid(1, close - 1).trimmed().toLower();
            continue;
        }

        const qsizetype equals = line.indexOf(u'=');
        const QString key = normaliseKey(equals < 0 ? line : line.left(equals));
        if (key.isEmpty())
            return syntaxError(absolute, lineNumber, u"an option needs a name before '='"_s);
        const std::optional<QString> value =
                equals < 0 ? QString() : parseValue(line.mid(equals + 1));
        if (!value)
            return syntaxError(absolute, lineNumber, u"unbalanced quotes in \"%1\""_s.arg(line));
        entries.append({ section, key, *value, absolute, lineNumber });
    }
    return {};
}

Result<void> Reader::readIncludeDir(const QString &dir, const QString &from, int line, int depth)
{
    const QDir folder(dir);
    if (!folder.exists())
        return syntaxError(from, line, u"included folder %1 does not exist"_s.arg(dir));
    const QStringList names = folder.entryList({ u"*.cnf"_s }, QDir::Files, QDir::Name);
    for (const QString &name : names) {
        const Result<void> included = readFile(folder.absoluteFilePath(name), depth);
        if (!included)
            return included;
    }
    return {};
}

} // namespace

Result<ConfigFile> ConfigFile::read(const QString &path)
{
    Reader reader;
    const Result<void> done = reader.readFile(path, 0);
    if (!done)
        return done.error();

    ConfigFile config;
    config.m_path = QFileInfo(path).absoluteFilePath();
    config.m_entries = std::move(reader.entries);
    return config;
}

bool ConfigFile::appliesToEngine(const QString &section)
{
    // [server] and [mysqld] are MySQL's, [memsqld] SingleStore's, [mariadb] and [mariadbd]
    // MariaDB's own groups for its server.
    static const QStringList groups = {
        QString(), u"server"_s, u"mysqld"_s, u"memsqld"_s, u"mariadb"_s, u"mariadbd"_s
    };
    return groups.contains(section);
}

QString ConfigFile::folder() const
{
    return QFileInfo(m_path).absolutePath();
}

const ConfigEntry *ConfigFile::find(const QString &key) const
{
    const QString wanted = normaliseKey(key);
    for (auto it = m_entries.crbegin(); it != m_entries.crend(); ++it) {
        if (it->key == wanted && appliesToEngine(it->section))
            return &*it;
    }
    return nullptr;
}

} // namespace StudioProxy
