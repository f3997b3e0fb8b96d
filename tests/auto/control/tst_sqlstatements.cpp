#include "control/controller.h"
#include "control/sqlstatements.h"

#include <QHash>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)
Q_DECLARE_METATYPE(StudioProxy::ProxyStatus)

// A Controller that records each call as text ("set name=value", "restart", "status") and
// answers from what the test gave it, so that the statement parser and dispatcher can be
// tested without a proxy behind them.
class RecordingController final : public Controller
{
public:
    QStringList calls;
    QHash<QString, Error> refusals; // by call text
    QStringList setWarnings;
    ProxyStatus reportedStatus;

    Result<ProxyStatus> status() override
    {
        if (const auto refused = record(u"status"_s))
            return *refused;
        return reportedStatus;
    }

    Result<QStringList> set(const QString &name, const QString &value) override
    {
        if (const auto refused = record(u"set %1=%2"_s.arg(name, value)))
            return *refused;
        return setWarnings;
    }

    Result<QString> restart() override
    {
        if (const auto refused = record(u"restart"_s))
            return *refused;
        return u"restarted: serving ws on port 8081 (was ws on port 8080), ready in 0.10 ms"_s;
    }

    Result<QList<StatementResult>> sql(const QString &statements) override
    {
        calls << u"sql"_s;
        return runStatements(*this, statements);
    }

    Result<ConfigUpdate> updateConfig(const QString &key, const std::optional<QString> &) override
    {
        calls << u"update-config %1"_s.arg(key);
        return Error { ErrorCode::ControlFailed, u"not recorded"_s };
    }

    Result<QList<SessionInfo>> sessions() override
    {
        calls << u"sessions"_s;
        return QList<SessionInfo>();
    }

    Result<void> closeSession(quint64 id) override
    {
        calls << u"close-session %1"_s.arg(id);
        return Error { ErrorCode::ControlFailed, u"not recorded"_s };
    }

private:
    std::optional<Error> record(const QString &call)
    {
        calls << call;
        const auto refused = refusals.constFind(call);
        return refused == refusals.cend() ? std::nullopt : std::optional<Error>(*refused);
    }
};

// runStatements(): what `ctl sql` and the GUI's console run, with the MySQL error numbers an
// admin's scripts already know.
class tst_SqlStatements : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void setGlobal_data();
    void setGlobal();
    void setWarnings();
    void errors_data();
    void errors();
    void stopsAtFirstError_data();
    void stopsAtFirstError();
    void split_data();
    void split();
    void showVariables_data();
    void showVariables();
    void showProxyStatus_data();
    void showProxyStatus();
    void emptyInput_data();
    void emptyInput();

private:
    RecordingController m_controller;
};

static QString resultText(const QList<StatementResult> &results)
{
    QStringList lines;
    for (const StatementResult &result : results)
        lines << u"[%1] %2: %3"_s.arg(
                QString::number(result.errorNumber), result.statement, result.message);
    return lines.join(u'\n');
}

// The status of a proxy serving wss:// with both ports' values, as ProxyController gives it.
static ProxyStatus sampleStatus()
{
    ProxyStatus status;
    status.state = ProxyStatus::State::Running;
    status.protocol = ProxyProtocol::Tls;
    status.address = u"*"_s;
    status.port = 8443;
    status.certificateFingerprint = u"AB:CD:EF"_s;
    status.since = QDateTime(QDate(2024, 5, 1), QTime(12, 30, 15), Qt::UTC);
    status.activeSessions = 2;
    status.totalSessions = 17;
    status.bytesToEngine = 4096;
    status.bytesToClient = 1048576;
    status.variables = {
        { u"https_proxy_port"_s, u"8443"_s, u"/etc/mysql/my.cnf line 12"_s },
        { u"http_proxy_port"_s, u"0"_s, QString() },
        { u"ssl_cert"_s, u"/etc/ssl/server.pem"_s, u"SET GLOBAL"_s },
        { u"ssl_key"_s, u"/etc/ssl/server.key"_s, u"/etc/mysql/my.cnf line 14"_s },
        { u"ssl_ca"_s, QString(), QString() },
    };
    return status;
}

void tst_SqlStatements::init()
{
    m_controller = RecordingController();
    m_controller.reportedStatus = sampleStatus();
}

void tst_SqlStatements::setGlobal_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("call");

    QTest::newRow("number") << u"SET GLOBAL http_proxy_port = 8080"_s
                            << u"set http_proxy_port=8080"_s;
    QTest::newRow("no spaces") << u"SET GLOBAL http_proxy_port=8080"_s
                               << u"set http_proxy_port=8080"_s;
    QTest::newRow("lower case") << u"set global http_proxy_port = 8080"_s
                                << u"set http_proxy_port=8080"_s;
    QTest::newRow("mixed case name")
            << u"Set Global HTTP_Proxy_Port = 8080"_s << u"set http_proxy_port=8080"_s;
    QTest::newRow("@@GLOBAL.") << u"SET @@GLOBAL.https_proxy_port = 8443"_s
                               << u"set https_proxy_port=8443"_s;
    QTest::newRow("@@global., no spaces")
            << u"set @@global.https_proxy_port=8443"_s << u"set https_proxy_port=8443"_s;
    QTest::newRow(":=") << u"SET GLOBAL http_proxy_port := 8080"_s << u"set http_proxy_port=8080"_s;
    QTest::newRow("@@GLOBAL. and :=")
            << u"SET @@GLOBAL.http_proxy_port:=8080"_s << u"set http_proxy_port=8080"_s;
    QTest::newRow("0") << u"SET GLOBAL https_proxy_port = 0"_s << u"set https_proxy_port=0"_s;
    QTest::newRow("bare path") << u"SET GLOBAL ssl_cert = certs/server.pem"_s
                               << u"set ssl_cert=certs/server.pem"_s;
    QTest::newRow("'quoted'") << u"SET GLOBAL ssl_cert = '/etc/ssl/my certs/a.pem'"_s
                              << u"set ssl_cert=/etc/ssl/my certs/a.pem"_s;
    QTest::newRow("\"quoted\"") << u"SET GLOBAL ssl_key = \"/etc/ssl/my keys/a.key\""_s
                                << u"set ssl_key=/etc/ssl/my keys/a.key"_s;
    QTest::newRow("quoted number")
            << u"SET GLOBAL http_proxy_port = '8080'"_s << u"set http_proxy_port=8080"_s;
    QTest::newRow("'' inside 'quotes'")
            << u"SET GLOBAL ssl_cert = 'it''s.pem'"_s << u"set ssl_cert=it's.pem"_s;
    QTest::newRow("\"\" inside \"quotes\"") << u"SET GLOBAL ssl_cert = \"say \"\"hi\"\".pem\""_s
                                            << u"set ssl_cert=say \"hi\".pem"_s;
    QTest::newRow("other quote inside")
            << u"SET GLOBAL ssl_cert = \"it's.pem\""_s << u"set ssl_cert=it's.pem"_s;
    QTest::newRow("';' inside quotes")
            << u"SET GLOBAL ssl_cert = '/etc/ssl/a;b.pem'"_s << u"set ssl_cert=/etc/ssl/a;b.pem"_s;
    QTest::newRow("empty quotes") << u"SET GLOBAL ssl_ca = ''"_s << u"set ssl_ca="_s;
    QTest::newRow("trailing ';'") << u"SET GLOBAL http_proxy_port = 8080;"_s
                                  << u"set http_proxy_port=8080"_s;
    QTest::newRow("white space and newlines")
            << u"\n  SET\tGLOBAL\n  http_proxy_port\n =\t8080 ;\n"_s
            << u"set http_proxy_port=8080"_s;
}

void tst_SqlStatements::setGlobal()
{
    QFETCH(QString, text);
    QFETCH(QString, call);

    const QList<StatementResult> results = runStatements(m_controller, text);
    QCOMPARE(results.size(), 1);
    QVERIFY2(results.front().ok(), qPrintable(resultText(results)));
    QCOMPARE(results.front().statement, splitStatements(text).front());
    QVERIFY(results.front().columns.isEmpty());
    QVERIFY(results.front().rows.isEmpty());
    QCOMPARE(m_controller.calls, QStringList { call });
}

void tst_SqlStatements::setWarnings()
{
    m_controller.setWarnings = { u"port 80 is privileged"_s, u"the certificate expires"_s };
    const QList<StatementResult> results =
            runStatements(m_controller, u"SET GLOBAL http_proxy_port = 80"_s);
    QCOMPARE(results.size(), 1);
    QVERIFY(results.front().ok());
    QCOMPARE(results.front().message, u"port 80 is privileged; the certificate expires"_s);
}

void tst_SqlStatements::errors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("refusedCall");
    QTest::addColumn<ErrorCode>("refusedCode");
    QTest::addColumn<int>("errorNumber");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QStringList>("calls");

    const ErrorCode none = ErrorCode::ControlFailed;
    const QString syntax = u"You have an error in your SQL syntax near '%1'"_s;

    QTest::newRow("SELECT") << u"SELECT 1"_s << QString() << none << 1064
                            << syntax.arg(u"SELECT 1"_s) << QStringList();
    QTest::newRow("SET GLOBAL without value")
            << u"SET GLOBAL http_proxy_port"_s << QString() << none << 1064
            << syntax.arg(u"SET GLOBAL http_proxy_port"_s) << QStringList();
    QTest::newRow("SET GLOBAL alone") << u"SET GLOBAL"_s << QString() << none << 1064
                                      << syntax.arg(u"SET GLOBAL"_s) << QStringList();
    QTest::newRow("RESTART alone") << u"RESTART"_s << QString() << none << 1064
                                   << syntax.arg(u"RESTART"_s) << QStringList();
    QTest::newRow("RESTART PROXY NOW") << u"RESTART PROXY NOW"_s << QString() << none << 1064
                                       << syntax.arg(u"RESTART PROXY NOW"_s) << QStringList();
    QTest::newRow("SHOW VARIABLES LIKE without pattern")
            << u"SHOW VARIABLES LIKE"_s << QString() << none << 1064
            << syntax.arg(u"SHOW VARIABLES LIKE"_s) << QStringList();
    QTest::newRow("long statement cut at 40 characters")
            << u"SELECT * FROM information_schema.GLOBAL_VARIABLES"_s << QString() << none << 1064
            << syntax.arg(u"SELECT * FROM information_schema.GLOBAL_"_s) << QStringList();

    QTest::newRow("unknown variable")
            << u"SET GLOBAL no_such_var = 1"_s << QString() << none << 1193
            << u"Unknown system variable 'no_such_var'"_s << QStringList();
    QTest::newRow("engine variable, @@GLOBAL.")
            << u"SET @@GLOBAL.Port = 3306"_s << QString() << none << 1193
            << u"Unknown system variable 'Port'"_s << QStringList();
    QTest::newRow("unknown variable, SESSION")
            << u"SET SESSION nope = 1"_s << QString() << none << 1193
            << u"Unknown system variable 'nope'"_s << QStringList();

    const QString global =
            u"Variable '%1' is a GLOBAL variable and should be set with SET GLOBAL"_s;
    QTest::newRow("SET SESSION") << u"SET SESSION http_proxy_port = 8080"_s << QString() << none
                                 << 1229 << global.arg(u"http_proxy_port"_s) << QStringList();
    QTest::newRow("plain SET") << u"SET http_proxy_port = 8080"_s << QString() << none << 1229
                               << global.arg(u"http_proxy_port"_s) << QStringList();
    QTest::newRow("SET LOCAL") << u"set local SSL_CERT = 'a.pem'"_s << QString() << none << 1229
                               << global.arg(u"ssl_cert"_s) << QStringList();
    QTest::newRow("@@SESSION.") << u"SET @@SESSION.https_proxy_port = 1"_s << QString() << none
                                << 1229 << global.arg(u"https_proxy_port"_s) << QStringList();
    QTest::newRow("@@ alone is the session")
            << u"SET @@https_proxy_port := 1"_s << QString() << none << 1229
            << global.arg(u"https_proxy_port"_s) << QStringList();

    const QString wrong = u"Variable '%1' can't be set to the value of '%2'"_s;
    QTest::newRow("value not a literal")
            << u"SET GLOBAL http_proxy_port = 80 80"_s << QString() << none << 1231
            << wrong.arg(u"http_proxy_port"_s, u"80 80"_s) << QStringList();
    QTest::newRow("controller: InvalidValue")
            << u"SET GLOBAL http_proxy_port = 70000"_s << u"set http_proxy_port=70000"_s
            << ErrorCode::InvalidValue << 1231 << wrong.arg(u"http_proxy_port"_s, u"70000"_s)
            << QStringList { u"set http_proxy_port=70000"_s };
    QTest::newRow("controller: InvalidValue, quoted")
            << u"SET GLOBAL https_proxy_port = 'http'"_s << u"set https_proxy_port=http"_s
            << ErrorCode::InvalidValue << 1231 << wrong.arg(u"https_proxy_port"_s, u"http"_s)
            << QStringList { u"set https_proxy_port=http"_s };

    QTest::newRow("controller: PortConflict")
            << u"SET GLOBAL https_proxy_port = 8443"_s << u"set https_proxy_port=8443"_s
            << ErrorCode::PortConflict << 1105 << u"refused by the controller"_s
            << QStringList { u"set https_proxy_port=8443"_s };
    QTest::newRow("failed restart")
            << u"RESTART PROXY"_s << u"restart"_s << ErrorCode::PortInUse << 1105
            << u"refused by the controller"_s << QStringList { u"restart"_s };
    QTest::newRow("failed restart, lower case")
            << u"restart   proxy"_s << u"restart"_s << ErrorCode::KeyMismatch << 1105
            << u"refused by the controller"_s << QStringList { u"restart"_s };
    QTest::newRow("no status for SHOW VARIABLES")
            << u"SHOW VARIABLES"_s << u"status"_s << ErrorCode::ControlUnavailable << 1105
            << u"refused by the controller"_s << QStringList { u"status"_s };
    QTest::newRow("no status for SHOW PROXY STATUS")
            << u"SHOW PROXY STATUS"_s << u"status"_s << ErrorCode::ControlUnavailable << 1105
            << u"refused by the controller"_s << QStringList { u"status"_s };
}

void tst_SqlStatements::errors()
{
    QFETCH(QString, text);
    QFETCH(QString, refusedCall);
    QFETCH(ErrorCode, refusedCode);
    QFETCH(int, errorNumber);
    QFETCH(QString, message);
    QFETCH(QStringList, calls);

    if (!refusedCall.isEmpty())
        m_controller.refusals.insert(refusedCall, { refusedCode, u"refused by the controller"_s });

    const QList<StatementResult> results = runStatements(m_controller, text);
    QCOMPARE(results.size(), 1);
    const StatementResult &result = results.front();
    QVERIFY(!result.ok());
    QCOMPARE(result.errorNumber, errorNumber);
    QCOMPARE(result.statement, text.trimmed());
    if (errorNumber == SqlError::Parse)
        QVERIFY2(result.message.startsWith(message), qPrintable(result.message));
    else
        QCOMPARE(result.message, message);
    QVERIFY(result.columns.isEmpty());
    QCOMPARE(m_controller.calls, calls);
}

void tst_SqlStatements::stopsAtFirstError_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("refusedCall");
    QTest::addColumn<QList<int>>("errorNumbers");
    QTest::addColumn<QStringList>("calls");

    QTest::newRow("all succeed")
            << u"SET GLOBAL http_proxy_port = 8081; RESTART PROXY; SHOW VARIABLES LIKE 'http%'"_s
            << QString() << QList<int> { 0, 0, 0 }
            << QStringList { u"set http_proxy_port=8081"_s, u"restart"_s, u"status"_s };
    QTest::newRow("unknown variable in the middle")
            << u"SET GLOBAL http_proxy_port = 0; SET GLOBAL bogus = 1; RESTART PROXY"_s << QString()
            << QList<int> { 0, 1193 } << QStringList { u"set http_proxy_port=0"_s };
    QTest::newRow("syntax error first") << u"SELECT 1; SET GLOBAL http_proxy_port = 1"_s
                                        << QString() << QList<int> { 1064 } << QStringList();
    QTest::newRow("SET SESSION, then RESTART")
            << u"SET GLOBAL ssl_ca = '/ca.pem'; SET SESSION ssl_ca = '/ca.pem'; RESTART PROXY"_s
            << QString() << QList<int> { 0, 1229 } << QStringList { u"set ssl_ca=/ca.pem"_s };
    QTest::newRow("PortConflict stops RESTART")
            << u"SET GLOBAL https_proxy_port = 8443; RESTART PROXY; SHOW PROXY STATUS"_s
            << u"set https_proxy_port=8443"_s << QList<int> { 1105 }
            << QStringList { u"set https_proxy_port=8443"_s };
    QTest::newRow("failed restart stops the rest")
            << u"RESTART PROXY; SET GLOBAL http_proxy_port = 1; SHOW VARIABLES"_s << u"restart"_s
            << QList<int> { 1105 } << QStringList { u"restart"_s };
    QTest::newRow("quoted ';' does not split")
            << u"SET GLOBAL ssl_cert = 'a;b.pem'; SET GLOBAL ssl_key = \"c;d.key\""_s << QString()
            << QList<int> { 0, 0 }
            << QStringList { u"set ssl_cert=a;b.pem"_s, u"set ssl_key=c;d.key"_s };
    QTest::newRow("empty statements dropped")
            << u";;SET GLOBAL http_proxy_port = 1;; ;\nSHOW PROXY STATUS;"_s << QString()
            << QList<int> { 0, 0 } << QStringList { u"set http_proxy_port=1"_s, u"status"_s };
}

void tst_SqlStatements::stopsAtFirstError()
{
    QFETCH(QString, text);
    QFETCH(QString, refusedCall);
    QFETCH(QList<int>, errorNumbers);
    QFETCH(QStringList, calls);

    if (!refusedCall.isEmpty())
        m_controller.refusals.insert(refusedCall, { ErrorCode::PortConflict, u"refused"_s });

    const QList<StatementResult> results = runStatements(m_controller, text);
    QList<int> numbers;
    for (const StatementResult &result : results)
        numbers << result.errorNumber;
    QCOMPARE(numbers, errorNumbers);
    QCOMPARE(m_controller.calls, calls);

    // Each result names its own statement, in order.
    const QStringList statements = splitStatements(text);
    for (qsizetype i = 0; i < results.size(); ++i)
        QCOMPARE(results.at(i).statement, statements.at(i));
}

void tst_SqlStatements::split_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("statements");

    QTest::newRow("one") << u"SHOW VARIABLES"_s << QStringList { u"SHOW VARIABLES"_s };
    QTest::newRow("two, trimmed") << u"  SHOW VARIABLES ;\n RESTART PROXY\n"_s
                                  << QStringList { u"SHOW VARIABLES"_s, u"RESTART PROXY"_s };
    QTest::newRow("';' in single quotes")
            << u"SET GLOBAL ssl_cert = 'a;b'; X"_s
            << QStringList { u"SET GLOBAL ssl_cert = 'a;b'"_s, u"X"_s };
    QTest::newRow("';' in double quotes")
            << u"SET GLOBAL ssl_cert = \"a;b\";X"_s
            << QStringList { u"SET GLOBAL ssl_cert = \"a;b\""_s, u"X"_s };
    QTest::newRow("';' in backticks")
            << u"SET GLOBAL `a;b` = 1; X"_s << QStringList { u"SET GLOBAL `a;b` = 1"_s, u"X"_s };
    QTest::newRow("other quote inside quotes")
            << u"A = \"it's;\"; B = 'say \"x;\"'"_s
            << QStringList { u"A = \"it's;\""_s, u"B = 'say \"x;\"'"_s };
    QTest::newRow("doubled quotes")
            << u"A = 'it''s;'; B"_s << QStringList { u"A = 'it''s;'"_s, u"B"_s };
    QTest::newRow("empty pieces dropped") << u";; A ;;; B; "_s << QStringList { u"A"_s, u"B"_s };
    QTest::newRow("nothing") << u" ; \n ; "_s << QStringList();
}

void tst_SqlStatements::split()
{
    QFETCH(QString, text);
    QFETCH(QStringList, statements);

    QCOMPARE(splitStatements(text), statements);
}

void tst_SqlStatements::showVariables_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("names");

    const QStringList all = {
        u"https_proxy_port"_s, u"http_proxy_port"_s, u"ssl_cert"_s, u"ssl_key"_s, u"ssl_ca"_s
    };
    const QStringList ssl = { u"ssl_cert"_s, u"ssl_key"_s, u"ssl_ca"_s };
    const QStringList ports = { u"https_proxy_port"_s, u"http_proxy_port"_s };

    QTest::newRow("all") << u"SHOW VARIABLES"_s << all;
    QTest::newRow("GLOBAL") << u"SHOW GLOBAL VARIABLES"_s << all;
    QTest::newRow("lower case") << u"show global variables"_s << all;
    QTest::newRow("'%'") << u"SHOW VARIABLES LIKE '%'"_s << all;
    QTest::newRow("prefix") << u"SHOW VARIABLES LIKE 'ssl%'"_s << ssl;
    QTest::newRow("suffix") << u"SHOW VARIABLES LIKE '%proxy_port'"_s << ports;
    QTest::newRow("infix") << u"SHOW VARIABLES LIKE '%_k%'"_s << QStringList { u"ssl_key"_s };
    QTest::newRow("http% takes https too") << u"SHOW VARIABLES LIKE 'http%'"_s << ports;
    QTest::newRow("exact name") << u"SHOW VARIABLES LIKE 'http_proxy_port'"_s
                                << QStringList { u"http_proxy_port"_s };
    QTest::newRow("'_' is one character")
            << u"SHOW VARIABLES LIKE 'ssl___'"_s << QStringList { u"ssl_ca"_s };
    QTest::newRow("'_' for the s of https")
            << u"SHOW VARIABLES LIKE 'http__proxy_port'"_s << QStringList { u"https_proxy_port"_s };
    QTest::newRow("case-insensitive")
            << u"SHOW VARIABLES LIKE 'SSL_CA'"_s << QStringList { u"ssl_ca"_s };
    QTest::newRow("'.' is no wildcard") << u"SHOW VARIABLES LIKE 'ssl.ca'"_s << QStringList();
    QTest::newRow("regex characters are literal")
            << u"SHOW VARIABLES LIKE 'ssl_c[a]'"_s << QStringList();
    QTest::newRow("no match") << u"SHOW VARIABLES LIKE 'innodb%'"_s << QStringList();
    QTest::newRow("empty pattern") << u"SHOW VARIABLES LIKE ''"_s << QStringList();
    QTest::newRow("whole name only") << u"SHOW VARIABLES LIKE 'ssl'"_s << QStringList();
    // MySQL: backslash escapes a wildcard in a LIKE pattern; 'ssl\_%' is how admins write it.
    QTest::newRow("escaped '_'") << u"SHOW VARIABLES LIKE 'ssl\\_%'"_s << ssl;
    // MySQL takes "..." as a string too, as SET GLOBAL here does.
    QTest::newRow("double-quoted pattern") << u"SHOW VARIABLES LIKE \"ssl%\""_s << ssl;
}

void tst_SqlStatements::showVariables()
{
    QFETCH(QString, text);
    QFETCH(QStringList, names);

    const QList<StatementResult> results = runStatements(m_controller, text);
    QCOMPARE(results.size(), 1);
    const StatementResult &result = results.front();
    QVERIFY2(result.ok(), qPrintable(resultText(results)));
    QCOMPARE(result.columns, QStringList({ u"Variable_name"_s, u"Value"_s }));

    QStringList shown;
    for (const QStringList &row : result.rows) {
        QCOMPARE(row.size(), 2);
        shown << row.at(0);
        const auto variable = std::find_if(m_controller.reportedStatus.variables.cbegin(),
                m_controller.reportedStatus.variables.cend(),
                [&row](const ProxyStatus::Variable &v) { return v.name == row.at(0); });
        QVERIFY(variable != m_controller.reportedStatus.variables.cend());
        QCOMPARE(row.at(1), variable->value);
    }
    QCOMPARE(shown, names);
    QCOMPARE(m_controller.calls, QStringList { u"status"_s });
}

void tst_SqlStatements::showProxyStatus_data()
{
    QTest::addColumn<ProxyStatus>("status");
    QTest::addColumn<QStringList>("values");

    ProxyStatus running = sampleStatus();
    running.conflicts = { { Conflict::Severity::Warning, u"port 80 is privileged"_s },
        { Conflict::Severity::Error, u"both ports are set"_s } };
    QTest::newRow("running") << running
                             << QStringList { u"running"_s,
                                    u"wss"_s,
                                    u"*"_s,
                                    u"8443"_s,
                                    u"AB:CD:EF"_s,
                                    u"2024-05-01T12:30:15Z"_s,
                                    QString(),
                                    QString(),
                                    u"2"_s,
                                    u"17"_s,
                                    u"4096"_s,
                                    u"1048576"_s,
                                    u"port 80 is privileged; both ports are set"_s };

    ProxyStatus plain = sampleStatus();
    plain.protocol = ProxyProtocol::Plain;
    plain.certificateFingerprint.clear();
    plain.address = u"127.0.0.1"_s;
    QTest::newRow("running ws://") << plain
                                   << QStringList { u"running"_s,
                                          u"ws"_s,
                                          u"127.0.0.1"_s,
                                          u"8443"_s,
                                          QString(),
                                          u"2024-05-01T12:30:15Z"_s,
                                          QString(),
                                          QString(),
                                          u"2"_s,
                                          u"17"_s,
                                          u"4096"_s,
                                          u"1048576"_s,
                                          QString() };

    // What serves is left empty when nothing does, even if the snapshot still has it.
    ProxyStatus failed = sampleStatus();
    failed.state = ProxyStatus::State::Failed;
    failed.certificateFingerprint.clear();
    failed.failureReason = u"accepting connections on port 8443 failed"_s;
    failed.failedAt = QDateTime(QDate(2024, 5, 2), QTime(8, 0), Qt::UTC);
    failed.activeSessions = 1;
    QTest::newRow("failed") << failed
                            << QStringList { u"failed"_s,
                                   QString(),
                                   QString(),
                                   QString(),
                                   QString(),
                                   QString(),
                                   u"accepting connections on port 8443 failed"_s,
                                   u"2024-05-02T08:00:00Z"_s,
                                   u"1"_s,
                                   u"17"_s,
                                   u"4096"_s,
                                   u"1048576"_s,
                                   QString() };

    ProxyStatus stopped;
    QTest::newRow("stopped") << stopped
                             << QStringList { u"stopped"_s,
                                    QString(),
                                    QString(),
                                    QString(),
                                    QString(),
                                    QString(),
                                    QString(),
                                    QString(),
                                    u"0"_s,
                                    u"0"_s,
                                    u"0"_s,
                                    u"0"_s,
                                    QString() };
}

void tst_SqlStatements::showProxyStatus()
{
    QFETCH(ProxyStatus, status);
    QFETCH(QStringList, values);

    m_controller.reportedStatus = status;
    const QList<StatementResult> results = runStatements(m_controller, u"show proxy status;"_s);
    QCOMPARE(results.size(), 1);
    const StatementResult &result = results.front();
    QVERIFY2(result.ok(), qPrintable(resultText(results)));
    QCOMPARE(result.columns, QStringList({ u"Variable_name"_s, u"Value"_s }));

    const QStringList names = { u"state"_s,
        u"protocol"_s,
        u"address"_s,
        u"port"_s,
        u"certificate_fingerprint"_s,
        u"since"_s,
        u"failure_reason"_s,
        u"failed_at"_s,
        u"active_sessions"_s,
        u"total_sessions"_s,
        u"bytes_to_engine"_s,
        u"bytes_to_client"_s,
        u"conflicts"_s };
    QCOMPARE(result.rows.size(), names.size());
    for (qsizetype i = 0; i < names.size(); ++i) {
        QCOMPARE(result.rows.at(i).value(0), names.at(i));
        QCOMPARE(result.rows.at(i).value(1), values.at(i));
    }
    QCOMPARE(m_controller.calls, QStringList { u"status"_s });
}

void tst_SqlStatements::emptyInput_data()
{
    QTest::addColumn<QString>("text");

    QTest::newRow("nothing") << QString();
    QTest::newRow("white space") << u"  \n\t "_s;
    QTest::newRow("';' only") << u";"_s;
    QTest::newRow("empty statements") << u" ; ;\n;"_s;
}

void tst_SqlStatements::emptyInput()
{
    QFETCH(QString, text);

    const QList<StatementResult> results = runStatements(m_controller, text);
    QCOMPARE(results.size(), 1);
    QCOMPARE(results.front().errorNumber, SqlError::Parse);
    QCOMPARE(results.front().message, u"Query was empty"_s);
    QVERIFY(m_controller.calls.isEmpty());
}

QTEST_GUILESS_MAIN(tst_SqlStatements)
#include "tst_sqlstatements.moc"
