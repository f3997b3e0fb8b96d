#include "control/sqlstatements.h"

#include "config/runtimevariables.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

StatementResult failure(const QString &statement, int number, const QString &message)
{
    StatementResult result;
    result.statement = statement;
    result.errorNumber = number;
    result.message = message;
    return result;
}

// 'text', "text" or a bare word or number.
std::optional<QString> parseLiteral(const QString &text)
{
    const QString value = text.trimmed();
    if (value.size() >= 2 && (value.front() == u'\'' || value.front() == u'"')
            && value.back() == value.front()) {
        QString inner = value.mid(1, value.size() - 2);
        inner.replace(QString(value.front()) + value.front(), QString(value.front()));
        return inner;
    }
    static const QRegularExpression bare(u"^[A-Za-z0-9_./:+-]+$"_s);
    if (bare.match(value).hasMatch())
        return value;
    return std::nullopt;
}

// SQL LIKE: % is any run of characters, _ any one, \ makes the next one literal;
// case-insensitive as for variable names.
QRegularExpression likePattern(const QString &pattern)
{
    QString regex = u"^"_s;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern.at(i);
        if (c == u'\\' && i + 1 < pattern.size())
            regex += QRegularExpression::escape(QString(pattern.at(++i)));
        else if (c == u'%')
            regex += u".*"_s;
        else if (c == u'_')
            regex += u'.';
        else
            regex += QRegularExpression::escape(QString(c));
    }
    return QRegularExpression(regex + u'$', QRegularExpression::CaseInsensitiveOption);
}

StatementResult setGlobal(Controller &controller,
        const QString &statement,
        const QString &name,
        const QString &rawValue)
{
    const QString variable = name.toLower();
    if (!RuntimeVariables::definition(variable)) {
        return failure(
                statement, SqlError::UnknownVariable, u"Unknown system variable '%1'"_s.arg(name));
    }
    const std::optional<QString> value = parseLiteral(rawValue);
    if (!value) {
        return failure(statement,
                SqlError::WrongValueForVariable,
                u"Variable '%1' can't be set to the value of '%2'"_s.arg(
                        variable, rawValue.trimmed()));
    }
    const Result<QStringList> set = controller.set(variable, *value);
    if (!set && set.error().code == ErrorCode::InvalidValue) {
        return failure(statement,
                SqlError::WrongValueForVariable,
                u"Variable '%1' can't be set to the value of '%2'"_s.arg(variable, *value));
    }
    if (!set)
        return failure(statement, SqlError::Unknown, set.error().message);

    StatementResult result;
    result.statement = statement;
    result.message = set->join(u"; "_s);
    return result;
}

StatementResult showVariables(
        Controller &controller, const QString &statement, const QString &pattern)
{
    const Result<ProxyStatus> status = controller.status();
    if (!status)
        return failure(statement, SqlError::Unknown, status.error().message);
    StatementResult result;
    result.statement = statement;
    result.columns = QStringList { u"Variable_name"_s, u"Value"_s };
    const QRegularExpression like = likePattern(pattern.isNull() ? u"%"_s : pattern);
    for (const ProxyStatus::Variable &variable : status->variables) {
        if (like.match(variable.name).hasMatch())
            result.rows.append({ variable.name, variable.value });
    }
    return result;
}

StatementResult showProxyStatus(Controller &controller, const QString &statement)
{
    const Result<ProxyStatus> status = controller.status();
    if (!status)
        return failure(statement, SqlError::Unknown, status.error().message);
    const bool running = status->state == ProxyStatus::State::Running;
    QStringList conflicts;
    for (const Conflict &conflict : status->conflicts)
        conflicts << conflict.message;

    StatementResult result;
    result.statement = statement;
    result.columns = QStringList { u"Variable_name"_s, u"Value"_s };
    result.rows = {
        { u"state"_s, ProxyStatus::stateName(status->state) },
        { u"protocol"_s,
                running ? (status->protocol == ProxyProtocol::Tls ? u"wss"_s : u"ws"_s)
                        : QString() },
        { u"address"_s, running ? status->address : QString() },
        { u"port"_s, running ? QString::number(status->port) : QString() },
        { u"certificate_fingerprint"_s, status->certificateFingerprint },
        { u"since"_s, running ? status->since.toString(Qt::ISODate) : QString() },
        { u"failure_reason"_s, status->failureReason },
        { u"failed_at"_s, status->failedAt.toString(Qt::ISODate) },
        { u"active_sessions"_s, QString::number(status->activeSessions) },
        { u"total_sessions"_s, QString::number(status->totalSessions) },
        { u"bytes_to_engine"_s, QString::number(status->bytesToEngine) },
        { u"bytes_to_client"_s, QString::number(status->bytesToClient) },
        { u"conflicts"_s, conflicts.join(u"; "_s) },
    };
    return result;
}

StatementResult runOne(Controller &controller, const QString &statement)
{
    using Re = QRegularExpression;
    static const Re setGlobalRe(u"^SET\\s+(?:GLOBAL\\s+|@@GLOBAL\\.)([A-Za-z_][A-Za-z0-9_]*)"
                                "\\s*:?=\\s*(.*)$"_s,
            Re::CaseInsensitiveOption | Re::DotMatchesEverythingOption);
    static const Re setOtherRe(u"^SET\\s+(?:SESSION\\s+|LOCAL\\s+|@@SESSION\\.|@@LOCAL\\.|@@)?"
                               "([A-Za-z_][A-Za-z0-9_]*)\\s*:?=.*$"_s,
            Re::CaseInsensitiveOption | Re::DotMatchesEverythingOption);
    static const Re restartRe(u"^RESTART\\s+PROXY$"_s, Re::CaseInsensitiveOption);
    static const Re showVariablesRe(u"^SHOW\\s+(?:GLOBAL\\s+)?VARIABLES"
                                    "(?:\\s+LIKE\\s+('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"))?$"_s,
            Re::CaseInsensitiveOption);
    static const Re showStatusRe(u"^SHOW\\s+PROXY\\s+STATUS$"_s, Re::CaseInsensitiveOption);

    if (const auto match = setGlobalRe.match(statement); match.hasMatch())
        return setGlobal(controller, statement, match.captured(1), match.captured(2));
    if (const auto match = setOtherRe.match(statement); match.hasMatch()) {
        const QString name = match.captured(1).toLower();
        if (!RuntimeVariables::definition(name)) {
            return failure(statement,
                    SqlError::UnknownVariable,
                    u"Unknown system variable '%1'"_s.arg(match.captured(1)));
        }
        return failure(statement,
                SqlError::GlobalVariable,
                u"Variable '%1' is a GLOBAL variable and should be set with SET GLOBAL"_s.arg(
                        name));
    }
    if (restartRe.match(statement).hasMatch()) {
        const Result<QString> restarted = controller.restart();
        if (!restarted)
            return failure(statement, SqlError::Unknown, restarted.error().message);
        StatementResult result;
        result.statement = statement;
        result.message = restarted.value();
        return result;
    }
    if (const auto match = showVariablesRe.match(statement); match.hasMatch()) {
        const std::optional<QString> pattern =
                match.hasCaptured(1) ? parseLiteral(match.captured(1)) : QString();
        return showVariables(controller, statement, pattern.value_or(QString()));
    }
    if (showStatusRe.match(statement).hasMatch())
        return showProxyStatus(controller, statement);

    return failure(statement,
            SqlError::Parse,
            u"You have an error in your SQL syntax near '%1'; the proxy understands SET GLOBAL, "
            "RESTART PROXY, SHOW VARIABLES and SHOW PROXY STATUS"_s.arg(statement.left(40)));
}

} // namespace

QStringList splitStatements(const QString &text)
{
    QStringList statements;
    QString current;
    QChar quote;
    for (const QChar c : text) {
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
        } else if (c == u'\'' || c == u'"' || c == u'`') {
            quote = c;
        } else if (c == u';') {
            statements << current.trimmed();
            current.clear();
            continue;
        }
        current += c;
    }
    statements << current.trimmed();
    statements.removeAll(QString());
    return statements;
}

QList<StatementResult> runStatements(Controller &controller, const QString &text)
{
    QList<StatementResult> results;
    const QStringList statements = splitStatements(text);
    if (statements.isEmpty())
        return { failure(QString(), SqlError::Parse, u"Query was empty"_s) };
    for (const QString &statement : statements) {
        results.append(runOne(controller, statement));
        if (!results.constLast().ok())
            break;
    }
    return results;
}

} // namespace StudioProxy
