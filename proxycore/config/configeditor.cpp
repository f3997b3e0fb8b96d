#include "config/configeditor.h"

#include "config/configfile.h"
#include "config/runtimevariables.h"
#include "util/atomicfile.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// A file as lines that keep their own endings, so untouched lines are written back exactly.
struct Lines
{
    QList<QByteArray> lines; // each with its "\n" or "\r\n", the last one possibly without
    QByteArray newline = "\n";

    static Result<Lines> read(const QString &path)
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return Error { ErrorCode::ConfigUnreadable,
                u"cannot read config file %1: %2"_s.arg(path, file.errorString()) };
        }
        Lines result;
        const QByteArray content = file.readAll();
        if (content.contains("\r\n"))
            result.newline = "\r\n";
        qsizetype start = 0;
        while (start < content.size()) {
            const qsizetype end = content.indexOf('\n', start);
            const qsizetype next = end < 0 ? content.size() : end + 1;
            result.lines.append(content.mid(start, next - start));
            start = next;
        }
        return result;
    }

    QByteArray join() const { return lines.join(QByteArray()); }

    void insert(qsizetype index, const QByteArray &text)
    {
        // The line before must end before a new one starts.
        if (index > 0 && !lines.at(index - 1).endsWith('\n'))
            lines[index - 1] += newline;
        lines.insert(index, text + newline);
    }
};

// key = value, keeping the indentation, the key as spelled, the spacing around '=' and a
// trailing comment.
QByteArray replaceValue(const QByteArray &line, const QString &value)
{
    QByteArray ending;
    QByteArray body = line;
    while (body.endsWith('\n') || body.endsWith('\r')) {
        ending.prepend(body.back());
        body.chop(1);
    }
    const QString text = QString::fromUtf8(body);
    const qsizetype equals = text.indexOf(u'=');
    const QString head = equals < 0 ? text.trimmed() + u" = "_s : text.left(equals + 1);

    // Keep a trailing " # comment": it starts at the first '#' after the value, which for a
    // quoted value means after its closing quote (escapes skipped).
    const QString rest = equals < 0 ? QString() : text.mid(equals + 1);
    qsizetype from = 0;
    const QString trimmed = rest.trimmed();
    if (trimmed.startsWith(u'"') || trimmed.startsWith(u'\'')) {
        const qsizetype open = rest.indexOf(trimmed.front());
        from = open + 1;
        while (from < rest.size() && rest.at(from) != trimmed.front())
            from += rest.at(from) == u'\\' ? 2 : 1;
        ++from;
    }
    QString comment;
    const qsizetype hash = rest.indexOf(u'#', std::min(from, rest.size()));
    if (hash >= 0) {
        qsizetype start = hash;
        while (start > from && rest.at(start - 1).isSpace())
            --start;
        comment = rest.mid(start);
    }
    const QString spacing = equals < 0 || !rest.startsWith(u' ') ? QString() : u" "_s;
    return (head + spacing + ConfigEditor::quoteValue(value) + comment).toUtf8() + ending;
}

QString groupOf(const QByteArray &line)
{
    const QString text = QString::fromUtf8(line).trimmed();
    const qsizetype close = text.indexOf(u']');
    if (!text.startsWith(u'[') || close < 0)
        return {};
    return text.mid(1, close - 1).trimmed().toLower();
}

bool isBlankOrComment(const QByteArray &line)
{
    const QByteArray text = line.trimmed();
    return text.isEmpty() || text.startsWith('#') || text.startsWith(';');
}

// A new option goes after the last option of the last group the engine reads; in a file
// without groups, after its last option; with only other groups, into a new [server].
void insertNewOption(Lines &file, const QByteArray &option)
{
    qsizetype groupStart = -1; // header of the last group the engine reads; -1 before any
    qsizetype groupEnd = file.lines.size();
    bool sawGroup = false;
    for (qsizetype i = 0; i < file.lines.size(); ++i) {
        const QString group = groupOf(file.lines.at(i));
        if (group.isNull())
            continue;
        if (groupStart >= 0 && groupEnd == file.lines.size() && i > groupStart)
            groupEnd = i;
        sawGroup = true;
        if (ConfigFile::appliesToEngine(group)) {
            groupStart = i;
            groupEnd = file.lines.size();
        }
    }

    if (sawGroup && groupStart < 0) {
        qsizetype end = file.lines.size();
        if (end > 0 && !file.lines.constLast().trimmed().isEmpty())
            file.insert(end++, QByteArray());
        file.insert(end, "[server]");
        file.insert(end + 1, option);
        return;
    }
    qsizetype at = groupEnd;
    while (at > groupStart + 1 && isBlankOrComment(file.lines.at(at - 1)))
        --at;
    file.insert(at, option);
}

// The key must be an option name; a value for one of the proxy's variables must pass the
// checks SET GLOBAL applies, so that what is written lets the next start succeed.
Result<void> validate(const QString &key, const std::optional<QString> &value)
{
    static const QRegularExpression name(u"^[a-z0-9_]+$"_s);
    if (!name.match(key).hasMatch()) {
        return Error { ErrorCode::InvalidValue,
            u"\"%1\" is not an option name (lowercase letters, digits and '_')"_s.arg(key) };
    }
    if (!value)
        return {};
    if (value->contains(u'\n') || value->contains(u'\r'))
        return Error { ErrorCode::InvalidValue, u"a config value cannot span lines"_s };
    const RuntimeVariables::Definition *definition = RuntimeVariables::definition(key);
    if (!definition)
        return {};
    if (definition->kind != RuntimeVariables::Kind::Path && value->trimmed().isEmpty()) {
        return Error { ErrorCode::InvalidValue,
            u"%1 needs a value; use --unset to remove it"_s.arg(key) };
    }
    RuntimeVariables probe;
    return probe.set(key, *value);
}

} // namespace

QString ConfigEditor::quoteValue(const QString &value)
{
    const bool plain = std::none_of(value.cbegin(), value.cend(), [](QChar c) {
        return c.isSpace() || c == u'#' || c == u'\'' || c == u'"' || c == u'\\';
    });
    if (plain)
        return value;
    QString quoted = value;
    quoted.replace(u"\\"_s, u"\\\\"_s).replace(u"\""_s, u"\\\""_s);
    quoted.replace(u"\t"_s, u"\\t"_s);
    return u'"' + quoted + u'"';
}

Result<ConfigUpdate> ConfigEditor::update(
        const QString &configPath, const QString &rawKey, const std::optional<QString> &value)
{
    const QString key = rawKey.trimmed().toLower().replace(u'-', u'_');
    if (const Result<void> valid = validate(key, value); !valid)
        return valid.error();
    const Result<ConfigFile> config = ConfigFile::read(configPath);
    if (!config)
        return config.error();

    // Every entry for key that the engine applies, file by file.
    QMap<QString, QList<int>> occurrences;
    for (const ConfigEntry &entry : config->entries()) {
        if (entry.key == key && ConfigFile::appliesToEngine(entry.section))
            occurrences[entry.file].append(entry.line);
    }
    const ConfigEntry *inForce = config->find(key);

    ConfigUpdate update;
    QString target = inForce ? inForce->file : config->path();
    Result<Lines> lines = Lines::read(target);
    if (!lines)
        return lines.error();

    if (!value) {
        if (occurrences.isEmpty()) {
            return Error { ErrorCode::InvalidValue,
                u"%1 is not set in %2; nothing to remove"_s.arg(key, config->path()) };
        }
        // Earlier entries would take over if only the last were removed: remove them all.
        // Each file that holds one is replaced atomically on its own.
        for (auto it = occurrences.cbegin(); it != occurrences.cend(); ++it) {
            Result<Lines> fileLines = Lines::read(it.key());
            if (!fileLines)
                return fileLines.error();
            const QList<int> numbers = it.value();
            for (auto line = numbers.crbegin(); line != numbers.crend(); ++line)
                fileLines->lines.removeAt(*line - 1);
            if (const Result<void> written =
                            replaceWithBackup(it.key(), fileLines->join(), &update.backup);
                    !written) {
                return written.error();
            }
            update.file = it.key();
        }
        update.change = u"removed %1"_s.arg(key);
        return update;
    }

    if (inForce) {
        QByteArray &line = lines->lines[inForce->line - 1];
        line = replaceValue(line, *value);
        update.change = QString::fromUtf8(line).trimmed();
    } else {
        const QByteArray text = (key + u" = "_s + quoteValue(*value)).toUtf8();
        insertNewOption(lines.value(), text);
        update.change = QString::fromUtf8(text);
    }
    if (const Result<void> written = replaceWithBackup(target, lines->join(), &update.backup);
            !written) {
        return written.error();
    }
    update.file = target;
    return update;
}

Result<QList<ConfigUpdate>> ConfigEditor::updateAll(
        const QString &configPath, const QList<Change> &changes)
{
    const Result<ConfigFile> config = ConfigFile::read(configPath);
    if (!config)
        return config.error();

    // Every file a change can touch (the config and what it includes), and its backup, as
    // they are now.
    struct Snapshot
    {
        QByteArray content;
        std::optional<QByteArray> backup;
    };

    const auto readAll = [](const QString &path) -> std::optional<QByteArray> {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return std::nullopt;
        return file.readAll();
    };
    QMap<QString, Snapshot> before;
    QStringList files = { config->path() };
    for (const ConfigEntry &entry : config->entries())
        files << entry.file;
    for (const QString &file : std::as_const(files)) {
        if (before.contains(file))
            continue;
        const std::optional<QByteArray> content = readAll(file);
        if (!content) {
            return Error { ErrorCode::ConfigUnreadable, u"cannot read config file %1"_s.arg(file) };
        }
        before.insert(file, { *content, readAll(file + u".bak"_s) });
    }
    // Puts each file (when asked) and its backup as they must be: a file that differs from
    // its snapshot is backed up by the snapshot, any other keeps the backup it had.
    const auto settle = [&](bool putBackContent) -> Result<void> {
        for (auto it = before.cbegin(); it != before.cend(); ++it) {
            const QString &file = it.key();
            const QString backup = file + u".bak"_s;
            bool changed = readAll(file) != std::optional(it->content);
            if (putBackContent && changed) {
                if (Result<void> restored = replaceLike(file, it->content, file); !restored)
                    return restored;
                changed = false;
            }
            const std::optional<QByteArray> wanted = changed ? it->content : it->backup;
            if (readAll(backup) == wanted)
                continue;
            if (!wanted) {
                QFile::remove(backup);
            } else if (Result<void> saved = replaceLike(backup, *wanted, file); !saved) {
                return saved;
            }
        }
        return {};
    };

    QList<ConfigUpdate> updates;
    for (const auto &[key, value] : changes) {
        Result<ConfigUpdate> update = ConfigEditor::update(configPath, key, value);
        if (!update) {
            const Result<void> restored = settle(true);
            return Error { update.error().code,
                update.error().message
                        + (restored ? u"; nothing was changed"_s
                                    : u"; and putting back the earlier changes failed: "_s
                                                + restored.error().message) };
        }
        updates << update.value();
    }
    if (Result<void> settled = settle(false); !settled) {
        return Error { settled.error().code,
            u"the changes were saved, but their backup was not: "_s + settled.error().message };
    }
    // A file that ends as it began (a value set to what it was) kept the backup it had.
    for (ConfigUpdate &update : updates) {
        if (readAll(update.file) == std::optional(before.value(update.file).content))
            update.backup.clear();
    }
    return updates;
}

} // namespace StudioProxy
