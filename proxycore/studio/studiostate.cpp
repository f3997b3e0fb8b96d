#include "studio/studiostate.h"

#include "util/atomicfile.h"

#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

enum class FieldType { String, Port, Bool };

struct Field
{
    const char *key;
    FieldType type;
    QString ClusterDefinition::*string = nullptr;
    int ClusterDefinition::*number = nullptr;
    bool ClusterDefinition::*flag = nullptr;
};

// The attributes of a cluster block that the model understands, in the order Studio writes.
const Field Fields[] = {
    { "name", FieldType::String, &ClusterDefinition::name },
    { "description", FieldType::String, &ClusterDefinition::description },
    { "hostname", FieldType::String, &ClusterDefinition::hostname },
    { "port", FieldType::Port, nullptr, &ClusterDefinition::port },
    { "profile", FieldType::String, &ClusterDefinition::profile },
    { "websocket", FieldType::Bool, nullptr, nullptr, &ClusterDefinition::websocket },
    { "websocketSSL", FieldType::Bool, nullptr, nullptr, &ClusterDefinition::websocketSSL },
};

const Field *fieldOf(const QByteArray &key)
{
    for (const Field &field : Fields) {
        if (key == field.key)
            return &field;
    }
    return nullptr;
}

constexpr qsizetype ClusterIdBytes = 10;
constexpr int MaxPort = 65535;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isHexDigit(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isIdentifierStart(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

// HCL identifiers may contain '-' after the first character.
bool isIdentifierChar(char c)
{
    return isIdentifierStart(c) || isDigit(c) || c == '-';
}

// The escape for a character that cannot stand as itself inside an HCL string.
QByteArray escaped(char16_t c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\t':
        return "\\t";
    case '\r':
        return "\\r";
    default:
        return "\\u" + QByteArray::number(c, 16).rightJustified(4, '0');
    }
}

// A string literal that reads back as value: only the escapes the parser accepts.
QByteArray quoted(const QString &value)
{
    QByteArray out = "\"";
    qsizetype plain = 0;
    for (qsizetype i = 0; i < value.size(); ++i) {
        const char16_t c = value.at(i).unicode();
        if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7f)
            continue;
        out += QStringView(value).mid(plain, i - plain).toUtf8() + escaped(c);
        plain = i + 1;
    }
    return out + QStringView(value).mid(plain).toUtf8() + '"';
}

QByteArray encoded(const Field &field, const ClusterDefinition &cluster)
{
    switch (field.type) {
    case FieldType::String:
        return quoted(cluster.*field.string);
    case FieldType::Port:
        return QByteArray::number(cluster.*field.number);
    case FieldType::Bool:
        return cluster.*field.flag ? "true" : "false";
    }
    return {};
}

bool isBlank(QByteArrayView line)
{
    return line.trimmed().isEmpty();
}

qsizetype lineStartOf(const QByteArray &text, qsizetype offset)
{
    return offset == 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
}

// The offset after the line's "\n", or the end of the text.
qsizetype nextLineStart(const QByteArray &text, qsizetype offset)
{
    const qsizetype newline = text.indexOf('\n', offset);
    return newline < 0 ? text.size() : newline + 1;
}

// A line holding nothing but a comment: "# ...", "// ..." or "/* ... */".
bool isCommentLine(QByteArrayView line)
{
    const QByteArrayView text = line.trimmed();
    return text.startsWith('#') || text.startsWith("//")
            || (text.startsWith("/*") && text.endsWith("*/")
                    && text.indexOf("*/") == text.size() - 2);
}

} // namespace

void ClusterDefinition::useProxy(bool tls, int proxyPort)
{
    websocket = true;
    websocketSSL = tls;
    port = proxyPort;
}

bool ClusterDefinition::usesProxy(bool tls, int proxyPort) const
{
    return websocket && websocketSSL == tls && port == proxyPort;
}

bool ClusterDefinition::operator==(const ClusterDefinition &other) const
{
    return id == other.id && name == other.name && description == other.description
            && hostname == other.hostname && port == other.port && profile == other.profile
            && websocket == other.websocket && websocketSSL == other.websocketSSL;
}

// A recursive-descent reader for the part of HCL that Studio writes, which records where the
// cluster blocks and their known attributes are so that edits can touch only those bytes.
class StudioState::Parser
{
public:
    Parser(const QByteArray &text, const QString &fileName, StudioState &state)
        : m_text(text)
        , m_fileName(fileName.isEmpty() ? u"studio.hcl"_s : fileName)
        , m_state(state)
    { }

    std::optional<Error> run()
    {
        if (m_text.startsWith("\xEF\xBB\xBF"))
            m_pos = 3;
        if (!parseBody(BodyKind::Top, nullptr))
            return m_error;
        return std::nullopt;
    }

private:
    enum class BodyKind { Top, Cluster, Other };

    bool atEnd() const { return m_pos >= m_text.size(); }

    char peek(qsizetype ahead = 0) const
    {
        return m_pos + ahead < m_text.size() ? m_text.at(m_pos + ahead) : '\0';
    }

    bool atNewline() const { return peek() == '\n' || (peek() == '\r' && peek(1) == '\n'); }

    QString location(qsizetype offset) const
    {
        int line = 1;
        qsizetype lineStart = 0;
        for (qsizetype i = 0; i < offset && i < m_text.size(); ++i) {
            if (m_text.at(i) == '\n') {
                ++line;
                lineStart = i + 1;
            }
        }
        // Columns count characters, not UTF-8 bytes, as an editor shows them.
        int column = 1;
        for (qsizetype i = lineStart; i < offset && i < m_text.size(); ++i) {
            if ((uchar(m_text.at(i)) & 0xc0) != 0x80)
                ++column;
        }
        return u"%1:%2:%3"_s.arg(m_fileName, QString::number(line), QString::number(column));
    }

    int lineOf(qsizetype offset) const { return int(m_text.left(offset).count('\n')) + 1; }

    bool fail(qsizetype offset, const QString &message)
    {
        m_error = Error { ErrorCode::ConfigSyntax, location(offset) + u": "_s + message };
        return false;
    }

    QString describe(qsizetype offset) const
    {
        if (offset >= m_text.size())
            return u"end of file"_s;
        const uchar c = uchar(m_text.at(offset));
        if (c >= 0x20 && c < 0x7f)
            return u"'%1'"_s.arg(QLatin1Char(char(c)));
        if (c >= 0x80) {
            qsizetype end = offset + 1;
            while (end < m_text.size() && (uchar(m_text.at(end)) & 0xc0) == 0x80)
                ++end;
            return u"'%1'"_s.arg(QString::fromUtf8(m_text.mid(offset, end - offset)));
        }
        return u"byte 0x%1"_s.arg(c, 2, 16, QChar(u'0'));
    }

    void skipToLineEnd()
    {
        while (!atEnd() && !atNewline())
            ++m_pos;
    }

    // Spaces, tabs and comments; line breaks too when newlines is set.
    bool skipSpace(bool newlines)
    {
        while (!atEnd()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || (c == '\r' && peek(1) != '\n')) {
                ++m_pos;
            } else if (atNewline()) {
                if (!newlines)
                    return true;
                m_pos += c == '\r' ? 2 : 1;
            } else if (c == '#' || (c == '/' && peek(1) == '/')) {
                skipToLineEnd();
            } else if (c == '/' && peek(1) == '*') {
                const qsizetype close = m_text.indexOf("*/", m_pos + 2);
                if (close < 0)
                    return fail(m_pos, u"unterminated comment: missing '*/'"_s);
                m_pos = close + 2;
            } else {
                return true;
            }
        }
        return true;
    }

    QByteArray readIdentifier()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && isIdentifierChar(peek()))
            ++m_pos;
        return m_text.mid(start, m_pos - start);
    }

    bool readHex4(char16_t *unit)
    {
        for (int i = 2; i < 6; ++i) {
            if (!isHexDigit(peek(i)))
                return fail(m_pos, u"invalid escape: \\u needs four hex digits"_s);
        }
        *unit = char16_t(m_text.mid(m_pos + 2, 4).toUShort(nullptr, 16));
        return true;
    }

    bool readString(QString *out)
    {
        const qsizetype open = m_pos;
        ++m_pos;
        QString value;
        qsizetype plain = m_pos; // start of the bytes not yet decoded
        for (;;) {
            if (atEnd() || atNewline())
                return fail(
                        open, u"unterminated string: missing '\"' before the end of the line"_s);
            const char c = peek();
            if (c == '"')
                break;
            if (c != '\\') {
                ++m_pos;
                continue;
            }
            value += QString::fromUtf8(m_text.mid(plain, m_pos - plain));
            const char escape = peek(1);
            switch (escape) {
            case '"':
            case '\\':
                value += QLatin1Char(escape);
                break;
            case 'n':
                value += u'\n';
                break;
            case 't':
                value += u'\t';
                break;
            case 'r':
                value += u'\r';
                break;
            case 'u': {
                char16_t unit = 0;
                if (!readHex4(&unit))
                    return false;
                if (QChar::isHighSurrogate(unit) && peek(6) == '\\' && peek(7) == 'u') {
                    m_pos += 6;
                    char16_t low = 0;
                    if (!readHex4(&low))
                        return false;
                    if (!QChar::isLowSurrogate(low))
                        return fail(m_pos - 6, u"invalid escape: unpaired surrogate"_s);
                    value += QChar(unit);
                    value += QChar(low);
                } else if (QChar::isSurrogate(unit)) {
                    return fail(m_pos, u"invalid escape: unpaired surrogate"_s);
                } else {
                    value += QChar(unit);
                }
                m_pos += 4;
                break;
            }
            default:
                if (atEnd() || escape == '\n' || escape == '\r')
                    return fail(m_pos, u"invalid escape: '\\' at the end of the line"_s);
                return fail(m_pos,
                        u"invalid escape \\%1 in string"_s.arg(
                                describe(m_pos + 1).mid(1).chopped(1)));
            }
            m_pos += 2;
            plain = m_pos;
        }
        value += QString::fromUtf8(m_text.mid(plain, m_pos - plain));
        ++m_pos;
        if (out)
            *out = value;
        return true;
    }

    bool readNumber(Value *value)
    {
        const qsizetype start = m_pos;
        bool integer = true;
        if (peek() == '-')
            ++m_pos;
        while (isDigit(peek()))
            ++m_pos;
        if (peek() == '.' && isDigit(peek(1))) {
            integer = false;
            ++m_pos;
            while (isDigit(peek()))
                ++m_pos;
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            ++m_pos;
            if (peek() == '+' || peek() == '-')
                ++m_pos;
            if (!isDigit(peek()))
                return fail(m_pos, u"invalid number: the exponent needs digits"_s);
            while (isDigit(peek()))
                ++m_pos;
        }
        value->kind = ValueKind::Number;
        bool ok = false;
        const qint64 number = m_text.mid(start, m_pos - start).toLongLong(&ok);
        if (integer && ok)
            value->integer = number;
        return true;
    }

    // A list or object value, kept as it stands: only its end matters.
    bool skipCollection()
    {
        QList<std::pair<char, qsizetype>> open; // the closer each opener expects, and where
        for (;;) {
            if (!skipSpace(true))
                return false;
            if (atEnd()) {
                const bool list = open.constLast().first == ']';
                return fail(open.constLast().second,
                        u"the %1 opened here is never closed: missing '%2'"_s.arg(
                                list ? u"list"_s : u"object"_s,
                                QString(QLatin1Char(open.constLast().first))));
            }
            const char c = peek();
            if (c == '"') {
                if (!readString(nullptr))
                    return false;
            } else if (c == '[' || c == '{') {
                open.append({ c == '[' ? ']' : '}', m_pos++ });
            } else if (c == ']' || c == '}') {
                if (c != open.constLast().first) {
                    return fail(m_pos,
                            u"unexpected '%1': expected '%2'"_s.arg(QString(QLatin1Char(c)),
                                    QString(QLatin1Char(open.constLast().first))));
                }
                ++m_pos;
                open.removeLast();
                if (open.isEmpty())
                    return true;
            } else {
                ++m_pos;
            }
        }
    }

    bool parseValue(const QByteArray &key, Value *value)
    {
        value->start = m_pos;
        const char c = peek();
        if (atEnd() || atNewline()) {
            return fail(
                    m_pos, u"expected a value for \"%1\" after '='"_s.arg(QLatin1StringView(key)));
        } else if (c == '"') {
            value->kind = ValueKind::String;
            if (!readString(&value->string))
                return false;
        } else if (isDigit(c) || (c == '-' && isDigit(peek(1)))) {
            if (!readNumber(value))
                return false;
        } else if (isIdentifierStart(c)) {
            const QByteArray word = readIdentifier();
            value->kind = word == "true" || word == "false" ? ValueKind::Bool
                    : word == "null"                        ? ValueKind::Null
                                                            : ValueKind::Identifier;
            value->boolean = word == "true";
        } else if (c == '[' || c == '{') {
            value->kind = ValueKind::Collection;
            if (!skipCollection())
                return false;
        } else if (c == '<' && peek(1) == '<') {
            return fail(m_pos, u"heredoc strings are not supported"_s);
        } else {
            return fail(m_pos,
                    u"expected a value for \"%1\", found %2"_s.arg(
                            QLatin1StringView(key), describe(m_pos)));
        }
        value->end = m_pos;
        return true;
    }

    // What may follow an attribute or a block on its line: a comment, then the line's end.
    bool endOfItem(BodyKind kind, const QString &after)
    {
        if (!skipSpace(false))
            return false;
        if (atEnd() || atNewline() || (kind != BodyKind::Top && peek() == '}'))
            return true;
        return fail(m_pos, u"expected a new line %1, found %2"_s.arg(after, describe(m_pos)));
    }

    bool checkField(const Field &field, const Value &value, const QByteArray &key)
    {
        const QLatin1StringView name(key);
        switch (field.type) {
        case FieldType::String:
            if (value.kind != ValueKind::String)
                return fail(value.start, u"\"%1\" must be a string in double quotes"_s.arg(name));
            return true;
        case FieldType::Port:
            if (value.kind != ValueKind::Number || !value.integer || *value.integer < 1
                    || *value.integer > MaxPort) {
                return fail(
                        value.start, u"\"%1\" must be a whole number from 1 to 65535"_s.arg(name));
            }
            return true;
        case FieldType::Bool:
            if (value.kind != ValueKind::Bool)
                return fail(value.start, u"\"%1\" must be true or false"_s.arg(name));
            return true;
        }
        return true;
    }

    bool parseAttribute(BodyKind kind, ClusterBlock *cluster, const Attribute &attribute)
    {
        Attribute parsed = attribute;
        if (!skipSpace(false) || !parseValue(attribute.key, &parsed.value))
            return false;
        const QString after = u"after the value of \"%1\""_s.arg(QLatin1StringView(attribute.key));
        if (!endOfItem(kind, after))
            return false;

        if (kind == BodyKind::Top && attribute.key == "version")
            return checkVersion(parsed);
        if (kind != BodyKind::Cluster)
            return true;
        const Field *field = fieldOf(attribute.key);
        if (!field)
            return true;
        for (const Attribute &earlier : std::as_const(cluster->attributes)) {
            if (earlier.key == attribute.key) {
                return fail(attribute.keyStart,
                        u"duplicate attribute \"%1\" in cluster \"%2\" (first at line %3)"_s
                                .arg(QLatin1StringView(attribute.key), cluster->definition.id)
                                .arg(lineOf(earlier.keyStart)));
            }
        }
        if (!checkField(*field, parsed.value, attribute.key))
            return false;
        ClusterDefinition &definition = cluster->definition;
        switch (field->type) {
        case FieldType::String:
            definition.*field->string = parsed.value.string;
            break;
        case FieldType::Port:
            definition.*field->number = int(*parsed.value.integer);
            break;
        case FieldType::Bool:
            definition.*field->flag = parsed.value.boolean;
            break;
        }
        cluster->attributes.append(parsed);
        return true;
    }

    bool checkVersion(const Attribute &version)
    {
        if (m_versionAt >= 0) {
            return fail(version.keyStart,
                    u"duplicate \"version\" (first at line %1)"_s.arg(lineOf(m_versionAt)));
        }
        m_versionAt = version.keyStart;
        m_state.m_hasVersion = true;
        const Value &value = version.value;
        if (value.kind != ValueKind::Number || !value.integer)
            return fail(value.start, u"\"version\" must be a whole number"_s);
        if (*value.integer != 1) {
            return fail(value.start,
                    u"version %1 of the Studio state file is not supported (only version 1)"_s.arg(
                            *value.integer));
        }
        return true;
    }

    bool parseBlock(BodyKind kind, const QByteArray &type, qsizetype typeStart)
    {
        QList<std::pair<QString, qsizetype>> labels;
        bool quotedLabels = true;
        while (peek() == '"' || isIdentifierStart(peek())) {
            const qsizetype at = m_pos;
            QString label;
            if (peek() == '"') {
                if (!readString(&label))
                    return false;
            } else {
                label = QString::fromLatin1(readIdentifier());
                quotedLabels = false;
            }
            labels.append({ label, at });
            if (!skipSpace(false))
                return false;
        }
        if (peek() != '{') {
            return fail(m_pos,
                    u"expected '{' to open the block \"%1\" (or '=' for an attribute), found %2"_s
                            .arg(QLatin1StringView(type), describe(m_pos)));
        }
        const qsizetype open = m_pos++;

        BodyKind inner = BodyKind::Other;
        ClusterBlock cluster;
        if (kind == BodyKind::Top && type == "cluster") {
            if (labels.size() != 1 || !quotedLabels) {
                return fail(typeStart,
                        u"a cluster block needs one quoted label, its id: "
                        "cluster \"id\" { ... }"_s);
            }
            const auto &[id, at] = labels.constFirst();
            if (id.isEmpty())
                return fail(at, u"empty cluster id"_s);
            for (const ClusterBlock &earlier : std::as_const(m_state.m_clusters)) {
                if (earlier.definition.id == id) {
                    return fail(at,
                            u"duplicate cluster id \"%1\" (first at line %2)"_s.arg(id).arg(
                                    lineOf(earlier.start)));
                }
            }
            inner = BodyKind::Cluster;
            cluster.definition.id = id;
            cluster.start = typeStart;
        }

        if (!parseBody(inner, &cluster))
            return false;
        if (atEnd()) {
            return fail(open,
                    u"the block \"%1\" opened here is never closed: missing '}'"_s.arg(
                            QLatin1StringView(type)));
        }
        cluster.close = m_pos++;
        if (!endOfItem(kind, u"after '}'"_s))
            return false;
        if (inner == BodyKind::Cluster)
            m_state.m_clusters.append(cluster);
        return true;
    }

    bool parseBody(BodyKind kind, ClusterBlock *cluster)
    {
        for (;;) {
            if (!skipSpace(true))
                return false;
            if (atEnd())
                return true;
            const char c = peek();
            if (c == '}') {
                if (kind != BodyKind::Top)
                    return true;
                return fail(m_pos, u"unexpected '}' outside any block"_s);
            }
            if (!isIdentifierStart(c))
                return fail(m_pos, u"unexpected %1"_s.arg(describe(m_pos)));

            Attribute attribute;
            attribute.keyStart = m_pos;
            attribute.key = readIdentifier();
            if (!skipSpace(false))
                return false;
            if (peek() == '=') {
                ++m_pos;
                if (!parseAttribute(kind, cluster, attribute))
                    return false;
            } else if (peek() == '"' || peek() == '{' || isIdentifierStart(peek())) {
                if (!parseBlock(kind, attribute.key, attribute.keyStart))
                    return false;
            } else {
                return fail(m_pos,
                        u"expected '=' after \"%1\""_s.arg(QLatin1StringView(attribute.key)));
            }
        }
    }

    const QByteArray &m_text;
    QString m_fileName;
    StudioState &m_state;
    qsizetype m_pos = 0;
    qsizetype m_versionAt = -1;
    std::optional<Error> m_error;
};

StudioState::StudioState()
    : m_text("version = 1\n")
    , m_hasVersion(true)
{ }

Result<StudioState> StudioState::parse(const QByteArray &text, const QString &fileName)
{
    StudioState state;
    state.m_text = text;
    state.m_fileName = fileName;
    state.m_hasVersion = false;
    if (const std::optional<Error> error = Parser(state.m_text, fileName, state).run())
        return *error;
    return state;
}

Result<StudioState> StudioState::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error { ErrorCode::ConfigUnreadable,
            u"cannot read the Studio state file %1: %2"_s.arg(path, file.errorString()) };
    }
    return parse(file.readAll(), path);
}

StudioState StudioState::empty()
{
    return StudioState();
}

QList<ClusterDefinition> StudioState::clusters() const
{
    QList<ClusterDefinition> result;
    result.reserve(m_clusters.size());
    for (const ClusterBlock &block : m_clusters)
        result.append(block.definition);
    return result;
}

std::optional<ClusterDefinition> StudioState::cluster(const QString &id) const
{
    if (const ClusterBlock *found = block(id))
        return found->definition;
    return std::nullopt;
}

const StudioState::ClusterBlock *StudioState::block(const QString &id) const
{
    for (const ClusterBlock &candidate : m_clusters) {
        if (candidate.definition.id == id)
            return &candidate;
    }
    return nullptr;
}

std::optional<Error> StudioState::validate(const ClusterDefinition &cluster)
{
    static const QRegularExpression idPattern(u"^[A-Za-z0-9_-]+$"_s);
    static const QRegularExpression hostPattern(u"^[^\\s\\x00-\\x1f\"\\\\]+$"_s);
    auto invalid = [](const QString &message) {
        return std::optional<Error>(Error { ErrorCode::InvalidValue, message });
    };
    if (!idPattern.match(cluster.id).hasMatch()) {
        return invalid(
                u"the cluster id \"%1\" must be letters, digits, '_' or '-'"_s.arg(cluster.id));
    }
    if (cluster.hostname.isEmpty())
        return invalid(u"cluster \"%1\": the hostname is empty"_s.arg(cluster.id));
    if (!hostPattern.match(cluster.hostname).hasMatch()) {
        return invalid(u"cluster \"%1\": the hostname \"%2\" contains spaces or quotes"_s.arg(
                cluster.id, cluster.hostname));
    }
    if (cluster.port < 1 || cluster.port > MaxPort) {
        return invalid(u"cluster \"%1\": the port %2 is outside 1-65535"_s.arg(cluster.id)
                               .arg(cluster.port));
    }
    static const QStringList profiles = { u"DEVELOPMENT"_s, u"STAGING"_s, u"PRODUCTION"_s };
    if (!profiles.contains(cluster.profile)) {
        return invalid(u"cluster \"%1\": the profile \"%2\" is not DEVELOPMENT, STAGING or "
                       u"PRODUCTION"_s.arg(cluster.id, cluster.profile));
    }
    return std::nullopt;
}

// The file's own line ending, so that an edit does not mix CRLF and LF.
QByteArray StudioState::newline() const
{
    const qsizetype first = m_text.indexOf('\n');
    return first > 0 && m_text.at(first - 1) == '\r' ? "\r\n" : "\n";
}

QByteArray StudioState::editedText(
        const ClusterBlock &block, const ClusterDefinition &cluster) const
{
    QByteArray text = m_text;
    const QByteArray nl = newline();

    // Attributes the block lacks go on lines of their own before its '}', indented like the
    // block's first attribute that starts a line.
    QByteArray indent;
    const qsizetype blockLine = lineStartOf(m_text, block.start);
    indent = m_text.mid(blockLine, block.start - blockLine) + "  ";
    for (const Attribute &attribute : block.attributes) {
        const qsizetype line = lineStartOf(m_text, attribute.keyStart);
        if (isBlank(QByteArrayView(m_text).sliced(line, attribute.keyStart - line))) {
            indent = m_text.mid(line, attribute.keyStart - line);
            break;
        }
    }
    QByteArray added;
    const ClusterDefinition defaults;
    QList<std::pair<const Attribute *, QByteArray>> replaced;
    for (const Field &field : Fields) {
        const QByteArray value = encoded(field, cluster);
        const auto existing = std::find_if(block.attributes.cbegin(),
                block.attributes.cend(),
                [&](const Attribute &attribute) { return attribute.key == field.key; });
        if (existing == block.attributes.cend()) {
            if (value != encoded(field, defaults))
                added += indent + field.key + " = " + value + nl;
        } else if (value != encoded(field, block.definition)) {
            replaced.append({ &*existing, value });
        }
    }

    if (!added.isEmpty()) {
        const qsizetype closeLine = lineStartOf(m_text, block.close);
        if (isBlank(QByteArrayView(m_text).sliced(closeLine, block.close - closeLine)))
            text.insert(closeLine, added);
        else
            text.insert(block.close, nl + added);
    }
    std::sort(replaced.begin(), replaced.end(), [](const auto &a, const auto &b) {
        return a.first->value.start > b.first->value.start;
    });
    for (const auto &[attribute, value] : replaced) {
        text.replace(attribute->value.start, attribute->value.end - attribute->value.start, value);
    }
    return text;
}

QByteArray StudioState::appendedText(const ClusterDefinition &cluster) const
{
    QByteArray text = m_text;
    const QByteArray nl = newline();
    if (!text.isEmpty()) {
        if (!text.endsWith('\n'))
            text += nl;
        const qsizetype lastLine = lineStartOf(text, text.size() - 1);
        if (!isBlank(QByteArrayView(text).sliced(lastLine)))
            text += nl;
    }
    if (!m_hasVersion)
        text += "version = 1" + nl + nl;
    text += "cluster " + quoted(cluster.id) + " {" + nl;
    for (const Field &field : Fields)
        text += QByteArray("  ") + field.key + " = " + encoded(field, cluster) + nl;
    // Studio writes this one too; the model does not edit it, false is Studio's default.
    text += "  kerberosAutologin = false" + nl;
    text += "}" + nl;
    return text;
}

Result<void> StudioState::setCluster(const ClusterDefinition &cluster)
{
    if (const std::optional<Error> error = validate(cluster))
        return *error;

    const ClusterBlock *existing = block(cluster.id);
    const QByteArray text = existing ? editedText(*existing, cluster) : appendedText(cluster);
    if (text == m_text)
        return {};
    Result<StudioState> edited = parse(text, m_fileName);
    if (!edited)
        return edited.error();
    *this = std::move(edited).value();
    return {};
}

bool StudioState::removeCluster(const QString &id)
{
    const ClusterBlock *found = block(id);
    if (!found)
        return false;

    qsizetype from = found->start;
    const qsizetype firstLine = lineStartOf(m_text, from);
    const bool ownLine = isBlank(QByteArrayView(m_text).sliced(firstLine, from - firstLine));
    qsizetype withComments = from;
    if (ownLine) {
        from = firstLine;
        withComments = firstLine;
        while (withComments > 0) {
            const qsizetype previous = lineStartOf(m_text, withComments - 1);
            if (!isCommentLine(QByteArrayView(m_text).sliced(previous, withComments - previous)))
                break;
            withComments = previous;
        }
    }
    // The parser made sure only a comment can follow the '}' on its line.
    qsizetype to = nextLineStart(m_text, found->close);

    // One blank line separated the block from its neighbours: keep one, not two.
    const bool blankBefore = withComments == 0
            || isBlank(QByteArrayView(m_text).sliced(lineStartOf(m_text, withComments - 1),
                    withComments - lineStartOf(m_text, withComments - 1)));
    const bool blankAfter = to == m_text.size()
            || isBlank(QByteArrayView(m_text).sliced(to, nextLineStart(m_text, to) - to));
    qsizetype fromExtra = withComments;
    qsizetype toExtra = to;
    if (blankBefore && blankAfter) {
        if (to < m_text.size())
            toExtra = nextLineStart(m_text, to);
        else if (withComments > 0)
            fromExtra = lineStartOf(m_text, withComments - 1);
    }

    // A "# ..." line can close a multi-line /* comment; then it is not the block's own.
    for (const auto &[start, end] : { std::pair { fromExtra, toExtra }, std::pair { from, to } }) {
        QByteArray text = m_text;
        text.remove(start, end - start);
        if (Result<StudioState> edited = parse(text, m_fileName)) {
            *this = std::move(edited).value();
            return true;
        }
    }
    return false;
}

QString StudioState::newClusterId()
{
    QByteArray bytes(ClusterIdBytes, '\0');
    QRandomGenerator::system()->generate(bytes.begin(), bytes.end());
    return QString::fromLatin1(bytes.toHex());
}

QByteArray StudioState::toText() const
{
    return m_text;
}

Result<void> StudioState::save(const QString &path) const
{
    // Every edit re-reads its result, so this only guards against writing what Studio
    // could not read back.
    if (const Result<StudioState> check = parse(m_text, path); !check) {
        return Error { ErrorCode::ConfigSyntax,
            u"not saving %1: %2"_s.arg(path, check.error().message) };
    }

    return replaceWithBackup(path, m_text);
}

} // namespace StudioProxy
