#include "ctl.h"

#include "control/controlclient.h"
#include "control/controlprotocol.h"
#include "control/controlsocket.h"
#include "control/sqlstatements.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

namespace {

void print(const QString &text)
{
    std::fputs(qUtf8Printable(text), stdout);
}

int failWith(const QString &message, int code = 1)
{
    std::fprintf(stderr, "studio-proxy ctl: %s\n", qUtf8Printable(message));
    return code;
}

// A result set as the mysql client draws it, so admins read it at a glance.
QString table(const StatementResult &result)
{
    QList<qsizetype> widths;
    for (const QString &column : result.columns)
        widths << column.size();
    for (const QStringList &row : result.rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    }
    QString rule = u"+"_s;
    for (const qsizetype width : widths)
        rule += QString(width + 2, u'-') + u'+';
    const auto line = [&](const QStringList &cells) -> QString {
        QString text = u"|"_s;
        for (qsizetype i = 0; i < widths.size(); ++i)
            text += u' ' + cells.value(i).leftJustified(widths.at(i)) + u" |"_s;
        return text + u'\n';
    };
    QString text = rule + u'\n' + line(result.columns) + rule + u'\n';
    for (const QStringList &row : result.rows)
        text += line(row);
    return text + rule
            + u"\n%1 row%2 in set\n"_s.arg(result.rows.size())
                      .arg(result.rows.size() == 1 ? QString() : u"s"_s);
}

Result<QString> socketPath(const QCommandLineParser &parser,
        const QCommandLineOption &socket,
        const QCommandLineOption &config)
{
    // Absolute: QLocalSocket takes a name without a slash for one in its own folder.
    if (parser.isSet(socket))
        return QFileInfo(parser.value(socket)).absoluteFilePath();
    if (parser.isSet(config))
        return ControlSocket::defaultPath(parser.value(config));
    const QStringList running = ControlSocket::findRunning();
    if (running.size() == 1)
        return running.constFirst();
    if (running.isEmpty()) {
        return Error { ErrorCode::ControlUnavailable,
            u"no running studio-proxy found in %1; pass --socket PATH or --config FILE"_s.arg(
                    ControlSocket::runtimeFolder()) };
    }
    return Error { ErrorCode::ControlUnavailable,
        u"several proxies are running (%1); pick one with --socket PATH or --config FILE"_s.arg(
                running.join(u", "_s)) };
}

int runSql(Controller &proxy, const QString &statements)
{
    const Result<QList<StatementResult>> results = proxy.sql(statements);
    if (!results)
        return failWith(results.error().message);
    for (const StatementResult &result : results.value()) {
        if (!result.ok()) {
            std::fprintf(stderr,
                    "ERROR %d (HY000): %s\n",
                    result.errorNumber,
                    qUtf8Printable(result.message));
            return 1;
        }
        if (!result.columns.isEmpty())
            print(table(result));
        else
            print(u"Query OK%1\n"_s.arg(
                    result.message.isEmpty() ? QString() : u": "_s + result.message));
    }
    return 0;
}

// The open sessions as a table, oldest first: what an admin needs to pick one to close, and
// the engine's own connection id, to find it in SHOW PROCESSLIST.
QString sessionsTable(const QList<SessionInfo> &sessions)
{
    StatementResult result;
    result.columns = { u"id"_s,
        u"client"_s,
        u"origin"_s,
        u"engine connection"_s,
        u"to engine (B)"_s,
        u"to client (B)"_s,
        u"open for (s)"_s };
    for (const SessionInfo &session : sessions) {
        result.rows << QStringList { QString::number(session.id),
            session.clientAddress,
            session.origin.isEmpty() ? u"(none)"_s : session.origin,
            session.engineConnectionId ? QString::number(*session.engineConnectionId)
                                       : u"(unknown)"_s,
            QString::number(session.bytesToEngine),
            QString::number(session.bytesToClient),
            QString::number(session.durationMs / 1000.0, 'f', 1) };
    }
    return table(result);
}

} // namespace

int runCtl(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
            u"Drives a running studio-proxy through its control socket.\n\n"
            "Commands:\n"
            "  status [--json]                  the state, the runtime variables, conflicts\n"
            "  set KEY VALUE                    change a runtime variable (not persisted)\n"
            "  restart                          apply the runtime variables, all or nothing\n"
            "  sessions [--json]                the open sessions, oldest first\n"
            "  close-session ID                 close one: its client gets Close 1000\n"
            "  sql \"STATEMENTS\"                 SET GLOBAL, RESTART PROXY, SHOW VARIABLES "
            "[LIKE], SHOW PROXY STATUS\n"
            "  update-config --key KEY (--value VALUE | --unset)\n"
            "                                   persist a variable in the config file"_s);
    parser.addHelpOption();
    const QCommandLineOption socket(u"socket"_s, u"The proxy's control socket."_s, u"PATH"_s);
    const QCommandLineOption config(u"config"_s,
            u"The config file the proxy was started with (finds its control socket)."_s,
            u"FILE"_s);
    const QCommandLineOption json(u"json"_s, u"status, sessions: print JSON."_s);
    const QCommandLineOption key(u"key"_s, u"update-config: the option."_s, u"KEY"_s);
    const QCommandLineOption value(u"value"_s, u"update-config: its new value."_s, u"VALUE"_s);
    const QCommandLineOption unset(u"unset"_s, u"update-config: remove the option."_s);
    parser.addOptions({ socket, config, json, key, value, unset });
    parser.addPositionalArgument(
            u"command"_s, u"status, set, restart, sql, update-config, sessions or close-session"_s);
    if (!parser.parse(arguments))
        return failWith(parser.errorText(), 2);
    if (parser.isSet(u"help"_s)) {
        print(parser.helpText());
        return 0;
    }

    const QStringList positional = parser.positionalArguments();
    const QString command = positional.value(0);
    const qsizetype expected = command == u"set"               ? 3
            : command == u"sql" || command == u"close-session" ? 2
                                                               : 1;
    static const QStringList commands = { u"status"_s,
        u"set"_s,
        u"restart"_s,
        u"sql"_s,
        u"update-config"_s,
        u"sessions"_s,
        u"close-session"_s };
    if (!commands.contains(command)) {
        return failWith(u"expected a command: status, set, restart, sql, update-config, "
                        "sessions or close-session"_s,
                2);
    }
    if (positional.size() != expected)
        return failWith(u"%1 takes %2 argument(s)"_s.arg(command).arg(expected - 1), 2);
    if (command == u"update-config"
            && (!parser.isSet(key) || parser.isSet(value) == parser.isSet(unset)))
        return failWith(u"update-config needs --key KEY and either --value VALUE or --unset"_s, 2);

    bool idOk = false;
    const quint64 sessionId = command == u"close-session" ? positional.at(1).toULongLong(&idOk) : 0;
    if (command == u"close-session" && !idOk)
        return failWith(u"close-session takes a session id (ctl sessions lists them)"_s, 2);

    const Result<QString> path = socketPath(parser, socket, config);
    if (!path)
        return failWith(path.error().message);
    ControlClient proxy(path.value());
    if (const Result<void> connected = proxy.connectToProxy(); !connected)
        return failWith(connected.error().message);

    if (command == u"status") {
        const Result<ProxyStatus> status = proxy.status();
        if (!status)
            return failWith(status.error().message);
        print(parser.isSet(json) ? QString::fromUtf8(QJsonDocument(status->toJson()).toJson())
                                 : status->toText());
        return 0;
    }
    if (command == u"set") {
        const Result<QStringList> set = proxy.set(positional.at(1), positional.at(2));
        if (!set)
            return failWith(set.error().message);
        print(u"%1 set; RESTART PROXY (ctl restart) applies it\n"_s.arg(positional.at(1)));
        for (const QString &warning : set.value())
            print(u"warning: %1\n"_s.arg(warning));
        return 0;
    }
    if (command == u"restart") {
        const Result<QString> restarted = proxy.restart();
        if (!restarted)
            return failWith(u"RESTART PROXY failed: "_s + restarted.error().message);
        print(restarted.value() + u'\n');
        return 0;
    }
    if (command == u"sql")
        return runSql(proxy, positional.at(1));
    if (command == u"sessions") {
        const Result<QList<SessionInfo>> sessions = proxy.sessions();
        if (!sessions)
            return failWith(sessions.error().message);
        if (parser.isSet(json)) {
            QJsonArray list;
            for (const SessionInfo &session : sessions.value())
                list.append(ControlProtocol::toJson(session));
            print(QString::fromUtf8(QJsonDocument(list).toJson()));
        } else {
            print(sessionsTable(sessions.value()));
        }
        return 0;
    }
    if (command == u"close-session") {
        if (const Result<void> closed = proxy.closeSession(sessionId); !closed)
            return failWith(closed.error().message);
        print(u"session %1 closed\n"_s.arg(sessionId));
        return 0;
    }

    const Result<ConfigUpdate> update = proxy.updateConfig(parser.value(key),
            parser.isSet(unset) ? std::nullopt : std::optional<QString>(parser.value(value)));
    if (!update)
        return failWith(update.error().message);
    print(u"%1: %2 (previous version in %3)\n"_s.arg(update->file, update->change, update->backup));
    return 0;
}
