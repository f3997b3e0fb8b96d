#include "testsupport/testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

// The studio-proxy binary as an admin starts it: `studio-proxy --headless --config FILE`.
// CF-01, "refuse to start, clearly": a config the proxy cannot serve ends the process with a
// non-zero exit code and one line on stderr naming the key, file or port at fault, and
// nothing anywhere claims that the proxy is listening.
class tst_Startup : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void refusesToStart_data();
    void refusesToStart();
    void version();
    void help();
    void unknownOption();
    void desktopUnknownOption();
    void headlessNeedsConfig();
    void controlSocketPathHoldingAFile();
    void servesUntilSigterm_data();
    void servesUntilSigterm();
    void sigtermRightAfterListening();

private:
    struct Run
    {
        bool finished = false;
        QProcess::ExitStatus exitStatus = QProcess::CrashExit;
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };

    QString expand(QString text) const;
    QString writeConfig(const QString &name, const QByteArray &text) const;
    QString logText() const;
    void prepare(QProcess &process, const QStringList &arguments) const;
    Run run(const QStringList &arguments) const;

    QString m_binary;
    QTemporaryDir m_certs;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QTcpServer> m_busy; // holds a port, for "port already in use"
    quint16 m_freePort = 0;
    quint16 m_otherFreePort = 0;
};

// Placeholders in configs, arguments and expected mentions: {dir} is this test's folder,
// {certs} the certificates' folder, {config} the config file, {port} and {port2} free ports
// and {busy} a port already taken.
QString tst_Startup::expand(QString text) const
{
    text.replace(u"{config}"_s, m_dir->filePath(u"memsql.cnf"_s));
    text.replace(u"{dir}"_s, m_dir->path());
    text.replace(u"{certs}"_s, m_certs.path());
    text.replace(u"{port}"_s, QString::number(m_freePort));
    text.replace(u"{port2}"_s, QString::number(m_otherFreePort));
    text.replace(u"{busy}"_s, QString::number(m_busy->serverPort()));
    return text;
}

QString tst_Startup::writeConfig(const QString &name, const QByteArray &text) const
{
    const QString file = m_dir->filePath(name);
    TestSupport::writeFile(file, expand(QString::fromUtf8(text)).toUtf8());
    return file;
}

// The proxy's own log, empty when it was never written.
QString tst_Startup::logText() const
{
    QFile log(m_dir->filePath(u"logs/websocket_proxy.log"_s));
    return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
}

void tst_Startup::prepare(QProcess &process, const QStringList &arguments) const
{
    process.setProgram(m_binary);
    QStringList expanded;
    for (const QString &argument : arguments)
        expanded << expand(argument);
    process.setArguments(expanded);

    // As a service starts it: stdin closed and no terminal, so nothing can wait for input
    // (a passphrase prompt, for one). No developer logging rules add lines to stderr.
    process.setStandardInputFile(QProcess::nullDevice());
    process.setChildProcessModifier([] { ::setsid(); });
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    process.setProcessEnvironment(environment);
}

tst_Startup::Run tst_Startup::run(const QStringList &arguments) const
{
    QProcess process;
    prepare(process, arguments);
    process.start();

    Run result;
    result.finished = process.waitForFinished(20000);
    if (!result.finished) {
        process.kill();
        process.waitForFinished();
    }
    result.exitStatus = process.exitStatus();
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

void tst_Startup::initTestCase()
{
    m_binary = qEnvironmentVariable("STUDIO_PROXY_BIN");
    QVERIFY2(!m_binary.isEmpty(), "STUDIO_PROXY_BIN names no binary; ctest sets it");
    QVERIFY2(QFileInfo(m_binary).isExecutable(), qPrintable(m_binary + u" is not executable"_s));

    QVERIFY2(m_certs.isValid(), qPrintable(m_certs.errorString()));
    if (QStandardPaths::findExecutable(u"openssl"_s).isEmpty())
        QSKIP("the openssl command line is needed to make the test certificates");

    // A self-signed certificate for localhost with its key, a key of another pair and the
    // certificate's key with a passphrase.
    TestSupport::writeFile(m_certs.filePath(u"openssl.cnf"_s),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = localhost\n");
    const QString commands[] = {
        u"req -config openssl.cnf -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-days 30 -keyout key.pem -out cert.pem"_s,
        u"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key"_s,
        u"pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out passphrase.key -passout pass:x"_s,
    };
    for (const QString &command : commands) {
        const QString error = TestSupport::runOpenssl(m_certs.path(), command);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    // A key "file" that is a pipe: opening it would wait for a writer for ever.
    QCOMPARE(::mkfifo(QFile::encodeName(m_certs.filePath(u"fifo.key"_s)).constData(), 0600), 0);
}

void tst_Startup::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));

    m_busy = std::make_unique<QTcpServer>();
    QVERIFY2(m_busy->listen(QHostAddress::Any, 0), qPrintable(m_busy->errorString()));
    m_freePort = TestSupport::freePort();
    m_otherFreePort = TestSupport::freePort();
    QVERIFY(m_freePort && m_otherFreePort && m_freePort != m_otherFreePort);
}

void tst_Startup::refusesToStart_data()
{
    QTest::addColumn<QString>("configFile");
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("mentions");

    const QString file = u"memsql.cnf"_s;
    const QByteArray common = "socket = {dir}/engine.sock\ntracelogsdir = {dir}/logs\n";
    const QByteArray https = common + "https_proxy_port = {port}\n";
    const QByteArray cert = "ssl_cert = {certs}/cert.pem\n";
    const QByteArray key = "ssl_key = {certs}/key.pem\n";

    QTest::newRow("both ports") << file << https + cert + key + "http_proxy_port = {port2}\n"
                                << QStringList {
                                       u"https_proxy_port"_s, u"http_proxy_port"_s, u"{config}"_s
                                   };
    QTest::newRow("https without ssl_cert and ssl_key")
            << file << https << QStringList { u"ssl_cert"_s, u"ssl_key"_s, u"{config}"_s };
    QTest::newRow("certificate without a key")
            << file << https + cert << QStringList { u"ssl_key"_s, u"{config}"_s };
    QTest::newRow("key without a certificate")
            << file << https + key << QStringList { u"ssl_cert"_s, u"{config}"_s };
    QTest::newRow("key that does not match")
            << file << https + cert + "ssl_key = {certs}/other.key\n"
            << QStringList { u"{certs}/cert.pem"_s, u"{certs}/other.key"_s };
    QTest::newRow("encrypted key") << file << https + cert + "ssl_key = {certs}/passphrase.key\n"
                                   << QStringList { u"{certs}/passphrase.key"_s, u"encrypted"_s };
    QTest::newRow("missing certificate file")
            << file << https + key + "ssl_cert = {dir}/missing.pem\n"
            << QStringList { u"{dir}/missing.pem"_s };
    QTest::newRow("certificate that is a device")
            << file << https + key + "ssl_cert = /dev/zero\n"
            << QStringList { u"/dev/zero"_s, u"not a regular file"_s };
    QTest::newRow("key that is a pipe")
            << file << https + cert + "ssl_key = {certs}/fifo.key\n"
            << QStringList { u"{certs}/fifo.key"_s, u"not a regular file"_s };
    QTest::newRow("ws port already in use") << file << common + "http_proxy_port = {busy}\n"
                                            << QStringList { u"{busy}"_s, u"http_proxy_port"_s };
    QTest::newRow("wss port already in use")
            << file << common + cert + key + "https_proxy_port = {busy}\n"
            << QStringList { u"{busy}"_s, u"https_proxy_port"_s };
    QTest::newRow("no proxy port")
            << file << common
            << QStringList { u"https_proxy_port"_s, u"http_proxy_port"_s, u"{config}"_s };
    QTest::newRow("port out of range")
            << file << "http_proxy_port = 99999\n" + common
            << QStringList { u"http_proxy_port"_s, u"{config}"_s, u"line 1"_s };
    QTest::newRow("config syntax error") << file << common + "[mysqld\n"
                                         << QStringList { u"{config}"_s, u"line 3"_s };
    QTest::newRow("log folder cannot be created")
            << file << "http_proxy_port = {port}\ntracelogsdir = {config}/logs\n"_ba
            << QStringList { u"{config}/logs"_s };
    QTest::newRow("missing config file")
            << u"missing.cnf"_s << QByteArray() << QStringList { u"{dir}/missing.cnf"_s };
    QTest::newRow("config file without read permission")
            << u"secret.cnf"_s << common + "http_proxy_port = {port}\n"
            << QStringList { u"{dir}/secret.cnf"_s };
}

void tst_Startup::refusesToStart()
{
    QFETCH(QString, configFile);
    QFETCH(QByteArray, config);
    QFETCH(QStringList, mentions);

    if (!config.isNull())
        writeConfig(configFile, config);
    if (configFile == u"secret.cnf") {
        QVERIFY(QFile::setPermissions(m_dir->filePath(configFile), QFileDevice::WriteOwner));
        if (QFile(m_dir->filePath(configFile)).open(QIODevice::ReadOnly))
            QSKIP("this user reads files without read permission (root)");
    }

    const Run result = run({ u"--headless"_s, u"--config"_s, u"{dir}/"_s + configFile });
    QVERIFY2(result.finished, "still running after 20 s");
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QVERIFY2(result.exitCode != 0, result.err.constData());

    const QString err = QString::fromUtf8(result.err);
    QVERIFY2(err.endsWith(u'\n') && err.count(u'\n') == 1,
            qPrintable(u"stderr is not one line:\n"_s + err));
    for (const QString &mention : std::as_const(mentions)) {
        const QString expected = expand(mention);
        QVERIFY2(err.contains(expected), qPrintable(u"\"%1\" is not in: %2"_s.arg(expected, err)));
    }

    // Scripts and log watchers take "listening" to mean the proxy serves.
    const QString out = QString::fromUtf8(result.out);
    QVERIFY2(!out.contains(u"listening"_s, Qt::CaseInsensitive), qPrintable(out));
    QVERIFY2(!err.contains(u"listening"_s, Qt::CaseInsensitive), qPrintable(err));
    QVERIFY2(!logText().contains(u"listening"_s, Qt::CaseInsensitive), qPrintable(logText()));
}

void tst_Startup::version()
{
    const Run result = run({ u"--version"_s });
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(result.out.contains("studio-proxy " STUDIOPROXY_VERSION), result.out.constData());
}

void tst_Startup::help()
{
    const Run result = run({ u"--help"_s });
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 0);
    for (const char *option : { "--headless", "--config", "--log-dir", "--version" })
        QVERIFY2(result.out.contains(option), result.out.constData());
    // The commands that have their own options are named, so a reader finds them.
    for (const char *command : { "studio-proxy ctl", "studio-proxy cert" })
        QVERIFY2(result.out.contains(command), result.out.constData());
}

// A mistyped option is a usage error (2), as the man page says, not "did not start" (1).
void tst_Startup::unknownOption()
{
    const QString config = writeConfig(u"memsql.cnf"_s,
            "socket = {dir}/engine.sock\ntracelogsdir = {dir}/logs\nhttp_proxy_port = {port}\n");
    const Run result = run({ u"--headless"_s, u"--config"_s, config, u"--bogus"_s });
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 2);
    QCOMPARE(result.err.count('\n'), 1);
    QVERIFY2(result.err.contains("bogus"), result.err.constData());
    QVERIFY(!result.out.contains("listening"));
}

void tst_Startup::headlessNeedsConfig()
{
    const Run result = run({ u"--headless"_s });
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 2);
    QCOMPARE(result.err.count('\n'), 1);
    QVERIFY2(result.err.contains("--config"), result.err.constData());
    QVERIFY(!result.out.contains("listening"));
}

// The same for the desktop app: it stops before any window opens.
void tst_Startup::desktopUnknownOption()
{
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    qputenv("QT_QPA_PLATFORM", "offscreen");
    const Run result = run({ u"--confg"_s, u"memsql.cnf"_s });
    if (platform.isNull())
        qunsetenv("QT_QPA_PLATFORM");
    else
        qputenv("QT_QPA_PLATFORM", platform);
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 2);
    // (Qt's offscreen platform may add a line about XDG_RUNTIME_DIR before it.)
    QVERIFY2(result.err.endsWith("studio-proxy: Unknown option 'confg'; see --help\n"),
            result.err.constData());
}

// A mistyped --control-socket that names an existing file (the config itself, say) is refused,
// and the file stays as it was: only a socket left behind by a killed proxy is replaced.
void tst_Startup::controlSocketPathHoldingAFile()
{
    writeConfig(u"memsql.cnf"_s,
            "socket = {dir}/engine.sock\ntracelogsdir = {dir}/logs\nhttp_proxy_port = {port}\n");
    const QString precious = m_dir->filePath(u"notes.txt"_s);
    TestSupport::writeFile(precious, "keep me\n");

    const Run result = run({ u"--headless"_s,
            u"--config"_s,
            u"{dir}/memsql.cnf"_s,
            u"--control-socket"_s,
            precious });
    QVERIFY2(result.finished, "still running after 20 s");
    QVERIFY2(result.exitCode != 0, result.err.constData());
    QVERIFY2(result.err.contains("not a socket"), result.err.constData());
    QFile file(precious);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), "keep me\n"_ba);
}

void tst_Startup::servesUntilSigterm_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("extraArguments");
    QTest::addColumn<QString>("logFolder");
    QTest::addColumn<QString>("url");

    const QByteArray common = "[mysqld]\nsocket = {dir}/engine.sock\ntracelogsdir = {dir}/logs\n";
    const QByteArray ws = common + "http_proxy_port = {port}\n";

    QTest::newRow("ws, log in tracelogsdir")
            << ws << QStringList() << u"{dir}/logs"_s << u"ws://localhost:{port}/"_s;
    QTest::newRow("ws, log in --log-dir")
            << ws << QStringList { u"--log-dir"_s, u"{dir}/cli-logs"_s } << u"{dir}/cli-logs"_s
            << u"ws://localhost:{port}/"_s;
    QTest::newRow("wss") << common
                    + "https_proxy_port = {port}\nssl_cert = {certs}/cert.pem\n"
                      "ssl_key = {certs}/key.pem\n"
                         << QStringList() << u"{dir}/logs"_s << u"wss://localhost:{port}/"_s;
}

void tst_Startup::servesUntilSigterm()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, extraArguments);
    QFETCH(QString, logFolder);
    QFETCH(QString, url);

    writeConfig(u"memsql.cnf"_s, config);
    QProcess process;
    prepare(process,
            QStringList { u"--headless"_s, u"--config"_s, u"{config}"_s } + extraArguments);
    QByteArray out;
    connect(&process, &QProcess::readyReadStandardOutput, this, [&] {
        out += process.readAllStandardOutput();
    });
    process.start();

    const QByteArray listening = "listening on port " + QByteArray::number(m_freePort);
    QTRY_VERIFY_WITH_TIMEOUT(
            out.contains(listening) || process.state() == QProcess::NotRunning, 20000);
    QVERIFY2(out.contains(listening), QByteArray(out + process.readAllStandardError()).constData());
    QVERIFY2(out.contains(expand(url).toUtf8()), out.constData());

    // It is listening, and says so in its log where the admin looks for it.
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, m_freePort);
    QVERIFY2(client.waitForConnected(5000), qPrintable(client.errorString()));
    client.abort();
    QFile log(QDir(expand(logFolder)).filePath(u"websocket_proxy.log"_s));
    QVERIFY2(log.exists(), qPrintable(log.fileName()));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY2(log.readAll().contains(listening), qPrintable(log.fileName()));
    log.close();
    if (!extraArguments.isEmpty())
        QVERIFY(!QFile::exists(m_dir->filePath(u"logs/websocket_proxy.log"_s)));

    process.terminate(); // SIGTERM
    QVERIFY2(process.waitForFinished(5000), "still running 5 s after SIGTERM");
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);

    QVERIFY(log.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = log.readAll().trimmed().split('\n');
    QVERIFY2(lines.constLast().contains("stopped"), lines.constLast().constData());
}

void tst_Startup::sigtermRightAfterListening()
{
    // A service manager or a script may stop the proxy as soon as it says it is listening (a
    // health check that failed, a test that is done). That stop must be as clean as any other.
    writeConfig(u"memsql.cnf"_s,
            "http_proxy_port = {port}\nsocket = {dir}/engine.sock\ntracelogsdir = {dir}/logs\n");
    const QByteArray listening = "listening on port " + QByteArray::number(m_freePort);

    // The window is short; one unclean stop in this many is enough to show it.
    constexpr int Attempts = 100;
    int attempts = 0;
    QString unclean;
    while (attempts < Attempts && unclean.isEmpty()) {
        ++attempts;
        QProcess process;
        prepare(process, { u"--headless"_s, u"--config"_s, u"{config}"_s });
        process.start();
        QByteArray out;
        while (!out.contains(listening) && process.waitForReadyRead(20000))
            out += process.readAllStandardOutput();
        QVERIFY2(out.contains(listening), process.readAllStandardError().constData());

        process.terminate();
        QVERIFY2(process.waitForFinished(5000), "still running 5 s after SIGTERM");
        if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
            unclean = u"attempt %1: %2 (exit code %3)"_s.arg(attempts).arg(
                    process.exitStatus() == QProcess::CrashExit ? u"killed by SIGTERM"_s
                                                                : u"exited"_s,
                    QString::number(process.exitCode()));
        }
    }
    QVERIFY2(unclean.isEmpty(), qPrintable(unclean));
}

QTEST_GUILESS_MAIN(tst_Startup)
#include "tst_startup.moc"
