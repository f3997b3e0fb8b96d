#include "http/requesthead.h"

namespace StudioProxy {

namespace {

// RFC 9110 section 5.6.2: a token is one or more of these.
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool parseRequestLine(QByteArrayView line, RequestHead *head)
{
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype lastSpace = line.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace == firstSpace)
        return false;
    head->method = line.first(firstSpace).toByteArray();
    head->target = line.sliced(firstSpace + 1, lastSpace - firstSpace - 1).toByteArray();
    head->version = line.sliced(lastSpace + 1).toByteArray();
    return isToken(head->method) && !head->target.isEmpty() && !head->target.contains(' ')
            && (head->version == "HTTP/1.1" || head->version == "HTTP/1.0");
}

} // namespace

QByteArray RequestHead::field(QByteArrayView name) const
{
    QByteArray joined;
    bool found = false;
    for (const auto &[fieldName, value] : fields) {
        if (fieldName.compare(name, Qt::CaseInsensitive) != 0)
            continue;
        if (found)
            joined += ", ";
        joined += value;
        found = true;
    }
    return found ? (joined.isNull() ? QByteArray("") : joined) : QByteArray();
}

bool RequestHead::fieldHasToken(QByteArrayView name, QByteArrayView token) const
{
    const QByteArray value = field(name);
    for (const QByteArray &item : value.split(',')) {
        if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QByteArray RequestHead::path() const
{
    const qsizetype query = target.indexOf('?');
    return query < 0 ? target : target.left(query);
}

HeadParse parseRequestHead(QByteArrayView data, qsizetype maxBytes, int maxLines)
{
    HeadParse result;
    const QByteArrayView window = data.first(std::min(data.size(), maxBytes));
    const qsizetype end = window.indexOf("\r\n\r\n");
    const QByteArrayView head = end < 0 ? window : window.first(end + 2);

    // Lines end in CRLF only; a bare CR or LF, or a NUL, makes the head unreadable (RFC 9112
    // section 2.2 lets a server refuse them, and they would let a value smuggle in lines).
    for (qsizetype i = 0; i < head.size(); ++i) {
        const char c = head.at(i);
        const bool crlf = c == '\r' && i + 1 < head.size() && head.at(i + 1) == '\n';
        if (c == '\0' || (c == '\r' && !crlf && i + 1 < head.size())
                || (c == '\n' && (i == 0 || head.at(i - 1) != '\r'))) {
            result.status = HeadStatus::Malformed;
            return result;
        }
    }

    // The request line ends in the first CRLF; every further one ends a field line.
    const qsizetype fieldLines = std::max<qsizetype>(head.count("\r\n") - 1, 0);
    if (fieldLines > maxLines) {
        result.status = HeadStatus::TooManyLines;
        return result;
    }
    if (end < 0) {
        if (data.size() >= maxBytes)
            result.status = HeadStatus::TooLarge;
        return result;
    }

    QList<QByteArrayView> lines;
    for (qsizetype start = 0; start < end;) {
        const qsizetype next = data.indexOf("\r\n", start);
        lines.append(data.sliced(start, next - start));
        start = next + 2;
    }
    result.status = HeadStatus::Malformed;
    if (lines.isEmpty() || !parseRequestLine(lines.front(), &result.head))
        return result;

    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        // No obsolete line folding (RFC 9112 section 5.2) and no space before the colon.
        if (colon <= 0 || !isToken(line.first(colon)))
            return result;
        result.head.fields.append({ line.first(colon).toByteArray().toLower(),
                line.sliced(colon + 1).trimmed().toByteArray() });
    }
    result.status = HeadStatus::Complete;
    result.length = end + 4;
    return result;
}

} // namespace StudioProxy
