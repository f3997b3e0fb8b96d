#include "studio/studiostate.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// StudioState edits the state file Studio itself reads and writes. Its promise: a file reads
// back byte for byte, an edit changes only the values it must, and a broken file is refused
// with the line and column of what is wrong.
class tst_StudioState : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void values();
    void edit_data();
    void edit();
    void add_data();
    void add();
    void remove_data();
    void remove();
    void invalidCluster_data();
    void invalidCluster();
    void malformed_data();
    void malformed();
    void useProxy_data();
    void useProxy();
    void newClusterId();
    void emptyState();
    void saveWritesBackupAndKeepsMode();
    void saveNewFile();
    void saveFailureLeavesFileUntouched();
    void loadMissing();
    void loadReportsPath();
};

static const QByteArray Sample = "version = 1\n"
                                 "\n"
                                 "cluster \"a1b2c3\" {\n"
                                 "  name = \"Production\"\n"
                                 "  description = \"Master aggregator\"\n"
                                 "  hostname = \"db1.example.com\"\n"
                                 "  port = 8443\n"
                                 "  profile = \"PRODUCTION\"\n"
                                 "  websocket = true\n"
                                 "  websocketSSL = true\n"
                                 "  kerberosAutologin = false\n"
                                 "}\n";

// Hand-edited: all three comment kinds, aligned '=', tabs, unknown keys, blocks and lists
// whose strings hold brackets, a comment between '=' and the value, no final newline.
static const QByteArray HandEdited =
        "# Studio state, edited by hand\n"
        "// keep the comments\n"
        "version   =   1   # the format\n"
        "/* a block comment\n"
        "   over two lines */\n"
        "telemetry = {\n"
        "  enabled = false, tags = [\"a]\", \"{b\", [1, 2]]  # nested\n"
        "}\n"
        "\n"
        "# The production cluster\n"
        "cluster \"prod-1\" {\n"
        "    name        = \"Prod \\\"EU\\\"\"  // quoted\n"
        "    hostname    = \"db1.example.com\"\n"
        "    port        = /* proxy */ 8443\n"
        "\tprofile=\"PRODUCTION\"\n"
        "    websocket   = true\n"
        "    certs       = [ \"/etc/ssl/a.pem\", \"]\" ]\n"
        "    advanced \"x\" { retries = 3 }\n"
        "}\n"
        "\n"
        "plugin \"grafana\" \"v2\" {\n"
        "  url = \"http://grafana:3000\"\n"
        "}\n"
        "\n"
        "cluster \"dev_2\" {\n"
        "  hostname = \"localhost\"\n"
        "}";

static QByteArray crlf(QByteArray text)
{
    return text.replace("\n", "\r\n");
}

static QString idsOf(const StudioState &state)
{
    QStringList ids;
    for (const ClusterDefinition &cluster : state.clusters())
        ids.append(cluster.id);
    return ids.join(u',');
}

static StudioState parsed(const QByteArray &text)
{
    const Result<StudioState> state = StudioState::parse(text);
    if (!state)
        qWarning("%s", qPrintable(state.error().message));
    return state ? state.value() : StudioState();
}

static QByteArray contentOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

static void writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(content), content.size());
}

void tst_StudioState::roundTrip_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("ids");

    QTest::newRow("sample") << Sample << u"a1b2c3"_s;
    QTest::newRow("sample crlf") << crlf(Sample) << u"a1b2c3"_s;
    QTest::newRow("hand edited") << HandEdited << u"prod-1,dev_2"_s;
    QTest::newRow("hand edited crlf") << crlf(HandEdited) << u"prod-1,dev_2"_s;
    QTest::newRow("empty file") << QByteArray() << QString();
    QTest::newRow("only comments") << QByteArray("# nothing yet\n\n/* */ // x\n") << QString();
    QTest::newRow("byte order mark") << QByteArray("\xEF\xBB\xBFversion = 1\n") << QString();
    QTest::newRow("one-line block")
            << QByteArray("version = 1\ncluster \"x\" { hostname = \"h\" }\n") << u"x"_s;
    QTest::newRow("blank lines and trailing spaces") << QByteArray(
            "\n\nversion = 1   \n\n\n\ncluster \"a\" {   \n\n  hostname = \"h\"\n\n}"
            "   \n\n\n") << u"a"_s;
    QTest::newRow("utf-8 and escapes")
            << QByteArray("version = 1\ncluster \"u\" {\n  name = \"Zürich \\u00e9 \\ud83d\\ude00"
                          " \\t\\\\\"\n  hostname = \"h\"\n}\n")
            << u"u"_s;
}

void tst_StudioState::roundTrip()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, ids);

    const Result<StudioState> state = StudioState::parse(text);
    QVERIFY2(state, qPrintable(state ? QString() : state.error().message));
    QCOMPARE(state->toText(), text);
    QCOMPARE(idsOf(state.value()), ids);

    // Writing every cluster back as it is changes nothing.
    StudioState copy = state.value();
    for (const ClusterDefinition &cluster : state->clusters()) {
        if (StudioState::validate(cluster))
            continue;
        QVERIFY(copy.setCluster(cluster));
    }
    QCOMPARE(copy.toText(), text);
}

void tst_StudioState::values()
{
    const StudioState state = parsed(HandEdited);

    const std::optional<ClusterDefinition> prod = state.cluster(u"prod-1"_s);
    QVERIFY(prod);
    QCOMPARE(prod->name, u"Prod \"EU\""_s);
    QCOMPARE(prod->description, QString());
    QCOMPARE(prod->hostname, u"db1.example.com"_s);
    QCOMPARE(prod->port, 8443);
    QCOMPARE(prod->profile, u"PRODUCTION"_s);
    QCOMPARE(prod->websocket, true);
    QCOMPARE(prod->websocketSSL, false);

    // Keys the block leaves out take the defaults.
    const std::optional<ClusterDefinition> dev = state.cluster(u"dev_2"_s);
    QVERIFY(dev);
    QCOMPARE(dev->hostname, u"localhost"_s);
    QCOMPARE(dev->port, 3306);
    QCOMPARE(dev->profile, u"DEVELOPMENT"_s);
    QCOMPARE(dev->websocket, false);
    QVERIFY(!state.cluster(u"grafana"_s));

    const StudioState escapes = parsed("cluster \"u\" {\n  name = \"Z\xc3\xbcrich \\u00e9 "
                                       "\\ud83d\\ude00 \\t\\\\\\n\\r\"\n  hostname = \"h\"\n}\n");
    QCOMPARE(escapes.cluster(u"u"_s)->name, u"Zürich é 😀 \t\\\n\r"_s);
}

void tst_StudioState::edit_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("expected");

    QByteArray sample = Sample;
    QTest::newRow("port") << Sample << u"a1b2c3"_s << u"port"_s << u"9443"_s
                          << QByteArray(sample).replace("port = 8443", "port = 9443");
    QTest::newRow("same value") << Sample << u"a1b2c3"_s << u"port"_s << u"8443"_s << Sample;
    QTest::newRow("websocketSSL") << Sample << u"a1b2c3"_s << u"websocketSSL"_s << u"false"_s
                                  << QByteArray(sample).replace("SSL = true", "SSL = false");
    QTest::newRow("name with quotes and newline")
            << Sample << u"a1b2c3"_s << u"name"_s << u"Prod \"EU\"\\\n"_s
            << QByteArray(sample).replace("\"Production\"", "\"Prod \\\"EU\\\"\\\\\\n\"");
    QTest::newRow("description emptied")
            << Sample << u"a1b2c3"_s << u"description"_s << QString()
            << QByteArray(sample).replace("\"Master aggregator\"", "\"\"");
    QTest::newRow("crlf") << crlf(Sample) << u"a1b2c3"_s << u"hostname"_s << u"db2"_s
                          << crlf(QByteArray(sample).replace("db1.example.com", "db2"));

    // Spacing, comments around the value and other lines stay as they were.
    QByteArray hand = HandEdited;
    QTest::newRow("aligned, comment before value")
            << HandEdited << u"prod-1"_s << u"port"_s << u"443"_s
            << QByteArray(hand).replace("/* proxy */ 8443", "/* proxy */ 443");
    QTest::newRow("trailing comment kept")
            << HandEdited << u"prod-1"_s << u"name"_s << u"Prod"_s
            << QByteArray(hand).replace("\"Prod \\\"EU\\\"\"  // quoted", "\"Prod\"  // quoted");
    QTest::newRow("no spaces, tab") << HandEdited << u"prod-1"_s << u"profile"_s << u"STAGING"_s
                                    << QByteArray(hand).replace("=\"PRODUCTION\"", "=\"STAGING\"");

    // A key the block lacks goes before '}', indented like the block's attributes.
    QTest::newRow("added, 4-space indent")
            << HandEdited << u"prod-1"_s << u"websocketSSL"_s << u"true"_s
            << QByteArray(hand).replace(
                       "{ retries = 3 }\n}", "{ retries = 3 }\n    websocketSSL = true\n}");
    QTest::newRow("added at end of file without newline")
            << HandEdited << u"dev_2"_s << u"port"_s << u"3307"_s
            << QByteArray(hand).replace("\"localhost\"\n}", "\"localhost\"\n  port = 3307\n}");
    QTest::newRow("added, crlf") << crlf(Sample) << u"a1b2c3"_s << u"port"_s << u"8443"_s
                                 << crlf(Sample);
    QByteArray noDescription =
            QByteArray(sample).replace("  description = \"Master aggregator\"\n", "");
    QTest::newRow("added description, crlf")
            << crlf(noDescription) << u"a1b2c3"_s << u"description"_s << u"MA"_s
            << crlf(QByteArray(noDescription)
                               .replace("false\n}", "false\n  description = \"MA\"\n}"));
    QTest::newRow("added to one-line block")
            << QByteArray("cluster \"x\" { hostname = \"h\" }\n") << u"x"_s << u"port"_s << u"1"_s
            << QByteArray("cluster \"x\" { hostname = \"h\" \n  port = 1\n}\n");
    QTest::newRow("default value not added")
            << QByteArray("cluster \"x\" {\n  hostname = \"h\"\n}\n") << u"x"_s << u"profile"_s
            << u"DEVELOPMENT"_s << QByteArray("cluster \"x\" {\n  hostname = \"h\"\n}\n");
}

void tst_StudioState::edit()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, id);
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QByteArray, expected);

    StudioState state = parsed(text);
    std::optional<ClusterDefinition> cluster = state.cluster(id);
    QVERIFY(cluster);
    if (field == u"name")
        cluster->name = value;
    else if (field == u"description")
        cluster->description = value;
    else if (field == u"hostname")
        cluster->hostname = value;
    else if (field == u"port")
        cluster->port = value.toInt();
    else if (field == u"profile")
        cluster->profile = value;
    else if (field == u"websocket")
        cluster->websocket = value == u"true";
    else if (field == u"websocketSSL")
        cluster->websocketSSL = value == u"true";
    else
        QFAIL("unknown field in the test table");

    const Result<void> set = state.setCluster(*cluster);
    QVERIFY2(set, qPrintable(set ? QString() : set.error().message));
    QCOMPARE(state.toText(), expected);
    QCOMPARE(state.cluster(id), cluster);
    QCOMPARE(parsed(state.toText()).cluster(id), cluster);
}

static const QByteArray NewBlock = "cluster \"new_1\" {\n"
                                   "  name = \"Staging\"\n"
                                   "  description = \"\"\n"
                                   "  hostname = \"db9.example.com\"\n"
                                   "  port = 9443\n"
                                   "  profile = \"STAGING\"\n"
                                   "  websocket = true\n"
                                   "  websocketSSL = false\n"
                                   "  kerberosAutologin = false\n"
                                   "}\n";

void tst_StudioState::add_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("after a block") << Sample << Sample + "\n" + NewBlock;
    QTest::newRow("crlf") << crlf(Sample) << crlf(Sample + "\n" + NewBlock);
    QTest::newRow("no final newline") << QByteArray(Sample).chopped(1) << Sample + "\n" + NewBlock;
    QTest::newRow("after a blank line") << Sample + "\n" << Sample + "\n" + NewBlock;
    QTest::newRow("after a comment") << Sample + "# end\n" << Sample + "# end\n\n" + NewBlock;
    QTest::newRow("empty state") << QByteArray("version = 1\n")
                                 << QByteArray("version = 1\n\n") + NewBlock;
    QTest::newRow("empty file, version added")
            << QByteArray() << QByteArray("version = 1\n\n") + NewBlock;
}

void tst_StudioState::add()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, expected);

    StudioState state = parsed(text);
    const qsizetype before = state.clusters().size();
    ClusterDefinition cluster;
    cluster.id = u"new_1"_s;
    cluster.name = u"Staging"_s;
    cluster.hostname = u"db9.example.com"_s;
    cluster.port = 9443;
    cluster.profile = u"STAGING"_s;
    cluster.websocket = true;

    const Result<void> set = state.setCluster(cluster);
    QVERIFY2(set, qPrintable(set ? QString() : set.error().message));
    QCOMPARE(state.toText(), expected);
    QCOMPARE(state.clusters().size(), before + 1);
    QCOMPARE(state.clusters().constLast(), cluster);
}

void tst_StudioState::remove_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray three = "version = 1\n"
                             "\n"
                             "cluster \"a\" {\n  hostname = \"a\"\n}\n"
                             "\n"
                             "# B: staging\n"
                             "// owned by the data team\n"
                             "cluster \"b\" {\n  hostname = \"b\"\n} # end of b\n"
                             "\n"
                             "# C\n"
                             "\n"
                             "cluster \"c\" {\n  hostname = \"c\"\n}\n";
    QTest::newRow("middle, with its comments")
            << three << u"b"_s
            << QByteArray("version = 1\n\ncluster \"a\" {\n  hostname = \"a\"\n}\n\n# C\n\n"
                          "cluster \"c\" {\n  hostname = \"c\"\n}\n");
    QTest::newRow("first") << three << u"a"_s
                           << QByteArray(
                                      "version = 1\n\n# B: staging\n// owned by the data team\n"
                                      "cluster \"b\" {\n  hostname = \"b\"\n} # end of b\n\n# C\n\n"
                                      "cluster \"c\" {\n  hostname = \"c\"\n}\n");
    QTest::newRow("last, comment above a blank line stays")
            << three << u"c"_s
            << QByteArray("version = 1\n\ncluster \"a\" {\n  hostname = \"a\"\n}\n\n"
                          "# B: staging\n// owned by the data team\n"
                          "cluster \"b\" {\n  hostname = \"b\"\n} # end of b\n\n# C\n");
    QTest::newRow("crlf") << crlf(three) << u"b"_s
                          << crlf("version = 1\n\ncluster \"a\" {\n  hostname = \"a\"\n}\n\n# C\n\n"
                                  "cluster \"c\" {\n  hostname = \"c\"\n}\n");
    QTest::newRow("only cluster") << Sample << u"a1b2c3"_s << QByteArray("version = 1\n");
    QTest::newRow("hand edited") << HandEdited << u"prod-1"_s
                                 << QByteArray(HandEdited)
                                            .remove(HandEdited.indexOf("# The production"),
                                                    HandEdited.indexOf("plugin")
                                                            - HandEdited.indexOf(
                                                                    "# The production"));
    QTest::newRow("comment line closing a block comment")
            << QByteArray("/*\n# */\ncluster \"x\" {\n  hostname = \"h\"\n}\n") << u"x"_s
            << QByteArray("/*\n# */\n");
}

void tst_StudioState::remove()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, id);
    QFETCH(QByteArray, expected);

    StudioState state = parsed(text);
    QVERIFY(state.removeCluster(id));
    QCOMPARE(state.toText(), expected);
    QVERIFY(!state.cluster(id));
    QVERIFY(!state.removeCluster(id));
    QCOMPARE(state.toText(), expected);
}

void tst_StudioState::invalidCluster_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("hostname");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("profile");
    QTest::addColumn<QString>("message");

    QTest::newRow("empty id") << QString() << u"h"_s << 3306 << u"STAGING"_s << u"cluster id"_s;
    QTest::newRow("id with space")
            << u"a b"_s << u"h"_s << 3306 << u"STAGING"_s << u"cluster id \"a b\""_s;
    QTest::newRow("id with quote") << u"a\""_s << u"h"_s << 3306 << u"STAGING"_s << u"cluster id"_s;
    // The other checks apply to an edit of the existing cluster.
    QTest::newRow("empty hostname")
            << u"a1b2c3"_s << QString() << 3306 << u"STAGING"_s << u"hostname is empty"_s;
    QTest::newRow("hostname with space")
            << u"a1b2c3"_s << u"db 1"_s << 3306 << u"STAGING"_s << u"hostname \"db 1\""_s;
    QTest::newRow("port 0") << u"a1b2c3"_s << u"h"_s << 0 << u"STAGING"_s << u"port 0"_s;
    QTest::newRow("port 65536") << u"a1b2c3"_s << u"h"_s << 65536 << u"STAGING"_s
                                << u"port 65536"_s;
    QTest::newRow("lowercase profile")
            << u"a1b2c3"_s << u"h"_s << 3306 << u"staging"_s << u"profile \"staging\""_s;
    QTest::newRow("empty profile") << u"a1b2c3"_s << u"h"_s << 3306 << QString() << u"profile"_s;
}

void tst_StudioState::invalidCluster()
{
    QFETCH(QString, id);
    QFETCH(QString, hostname);
    QFETCH(int, port);
    QFETCH(QString, profile);
    QFETCH(QString, message);

    StudioState state = parsed(Sample);
    ClusterDefinition cluster = *state.cluster(u"a1b2c3"_s);
    cluster.id = id;
    cluster.hostname = hostname;
    cluster.port = port;
    cluster.profile = profile;

    const Result<void> set = state.setCluster(cluster);
    QVERIFY(!set);
    QCOMPARE(set.error().code, ErrorCode::InvalidValue);
    QVERIFY2(set.error().message.contains(message), qPrintable(set.error().message));
    QCOMPARE(state.toText(), Sample);
    QCOMPARE(state.clusters().size(), 1);
}

void tst_StudioState::malformed_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("location");
    QTest::addColumn<QString>("message");

    const QByteArray head = "version = 1\n\ncluster \"a\" {\n";
    QTest::newRow("missing '='") << head + "  hostname = \"h\"\n  port 8443\n}\n"
                                 << u"5:8"_s << u"expected '=' after \"port\""_s;
    QTest::newRow("unterminated string") << head + "  name = \"Prod\n  hostname = \"h\"\n}\n"
                                         << u"4:10"_s << u"unterminated string"_s;
    QTest::newRow("unterminated string at end of file")
            << QByteArray("x = \"abc") << u"1:5"_s << u"unterminated string"_s;
    QTest::newRow("missing brace")
            << head + "  hostname = \"h\"\n"
            << u"3:13"_s << u"block \"cluster\" opened here is never closed"_s;
    QTest::newRow("missing brace, next block swallowed")
            << head + "  hostname = \"h\"\n\ncluster \"b\" {\n}\n"
            << u"3:13"_s << u"missing '}'"_s;
    QTest::newRow("stray brace") << QByteArray("version = 1\n}\n") << u"2:1"_s
                                 << u"unexpected '}'"_s;
    QTest::newRow("bad escape") << head + "  name = \"a\\qb\"\n}\n"
                                << u"4:12"_s << u"invalid escape \\q"_s;
    QTest::newRow("bad unicode escape") << head + "  name = \"\\u12g4\"\n}\n"
                                        << u"4:11"_s << u"four hex digits"_s;
    QTest::newRow("lone surrogate") << head + "  name = \"\\ud800\"\n}\n"
                                    << u"4:11"_s << u"unpaired surrogate"_s;
    QTest::newRow("garbage token") << head + "  @@@\n}\n" << u"4:3"_s << u"unexpected '@'"_s;
    QTest::newRow("garbage value") << head + "  port = %\n}\n"
                                   << u"4:10"_s << u"expected a value for \"port\", found '%'"_s;
    QTest::newRow("garbage after value")
            << head + "  port = 8443 x\n}\n"
            << u"4:15"_s << u"expected a new line after the value of \"port\""_s;
    QTest::newRow("garbage, utf-8 column") << head + "  name = \"é\" é\n}\n"
                                           << u"4:14"_s << u"found 'é'"_s;
    QTest::newRow("missing value") << head + "  port =\n}\n"
                                   << u"4:9"_s << u"expected a value for \"port\" after '='"_s;
    QTest::newRow("duplicate id") << head + "  hostname = \"h\"\n}\ncluster \"a\" {\n}\n"
                                  << u"6:9"_s << u"duplicate cluster id \"a\" (first at line 3)"_s;
    QTest::newRow("duplicate attribute") << head + "  port = 1\n  port = 2\n}\n"
                                         << u"5:3"_s << u"duplicate attribute \"port\""_s;
    QTest::newRow("port as string")
            << head + "  port = \"x\"\n}\n"
            << u"4:10"_s << u"\"port\" must be a whole number from 1 to 65535"_s;
    QTest::newRow("port out of range") << head + "  port = 70000\n}\n"
                                       << u"4:10"_s << u"\"port\" must be a whole number"_s;
    QTest::newRow("port fraction") << head + "  port = 84.5\n}\n"
                                   << u"4:10"_s << u"\"port\" must be a whole number"_s;
    QTest::newRow("websocket as number") << head + "  websocket = 1\n}\n"
                                         << u"4:15"_s << u"\"websocket\" must be true or false"_s;
    QTest::newRow("name as bool") << head + "  name = true\n}\n"
                                  << u"4:10"_s << u"\"name\" must be a string"_s;
    QTest::newRow("hostname as list") << head + "  hostname = [\"h\"]\n}\n"
                                      << u"4:14"_s << u"\"hostname\" must be a string"_s;
    QTest::newRow("version 2") << QByteArray("# state\nversion = 2\n") << u"2:11"_s
                               << u"version 2 of the Studio state file is not supported"_s;
    QTest::newRow("version as string") << QByteArray("version = \"1\"\n") << u"1:11"_s
                                       << u"\"version\" must be a whole number"_s;
    QTest::newRow("duplicate version")
            << QByteArray("version = 1\nversion = 1\n") << u"2:1"_s << u"duplicate \"version\""_s;
    QTest::newRow("unclosed list") << QByteArray("version = 1\ntags = [\"a]\",\n  [1]\n")
                                   << u"2:8"_s << u"list opened here is never closed"_s;
    QTest::newRow("mismatched bracket")
            << QByteArray("tags = [1, 2}\n") << u"1:13"_s << u"unexpected '}': expected ']'"_s;
    QTest::newRow("unterminated comment")
            << QByteArray("version = 1\n  /* open\n") << u"2:3"_s << u"unterminated comment"_s;
    QTest::newRow("cluster without id")
            << QByteArray("cluster {\n}\n") << u"1:1"_s << u"one quoted label"_s;
    QTest::newRow("cluster with empty id")
            << QByteArray("cluster \"\" {\n}\n") << u"1:9"_s << u"empty cluster id"_s;
    QTest::newRow("block without brace")
            << QByteArray("cluster \"a\"\n{\n}\n") << u"1:12"_s << u"expected '{'"_s;
    QTest::newRow("heredoc") << QByteArray("motd = <<EOT\nhi\nEOT\n") << u"1:8"_s << u"heredoc"_s;
    QTest::newRow("crlf columns") << crlf(head + "  port = \"x\"\n}\n") << u"4:10"_s
                                  << u"\"port\" must be"_s;
}

void tst_StudioState::malformed()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, location);
    QFETCH(QString, message);

    const Result<StudioState> state = StudioState::parse(text, u"studio.hcl"_s);
    QVERIFY(!state);
    QCOMPARE(state.error().code, ErrorCode::ConfigSyntax);
    const QString prefix = u"studio.hcl:"_s + location + u": "_s;
    QVERIFY2(state.error().message.startsWith(prefix), qPrintable(state.error().message));
    QVERIFY2(state.error().message.contains(message), qPrintable(state.error().message));
}

void tst_StudioState::useProxy_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<int>("port");
    QTest::addColumn<QByteArray>("expected");

    QByteArray sample = Sample;
    QTest::newRow("already through wss on 8443") << Sample << u"a1b2c3"_s << true << 8443 << Sample;
    QTest::newRow("ws on 8080")
            << Sample << u"a1b2c3"_s << false << 8080
            << QByteArray(sample).replace("8443", "8080").replace("SSL = true", "SSL = false");

    // Studio's own defaults are written out: a block without websocket keys gains both.
    const QByteArray plain = "cluster \"x\" {\n  hostname = \"h\"\n  port = 3306\n}\n";
    QTest::newRow("keys added") << plain << u"x"_s << true << 9443
                                << QByteArray("cluster \"x\" {\n  hostname = \"h\"\n  port = 9443\n"
                                              "  websocket = true\n  websocketSSL = true\n}\n");
}

void tst_StudioState::useProxy()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, id);
    QFETCH(bool, tls);
    QFETCH(int, port);
    QFETCH(QByteArray, expected);

    StudioState state = parsed(text);
    std::optional<ClusterDefinition> cluster = state.cluster(id);
    QVERIFY(cluster);
    QCOMPARE(cluster->usesProxy(tls, port), text == expected);
    cluster->useProxy(tls, port);
    QVERIFY(cluster->usesProxy(tls, port));
    QVERIFY(!cluster->usesProxy(!tls, port));
    QVERIFY(!cluster->usesProxy(tls, port + 1));

    const Result<void> set = state.setCluster(*cluster);
    QVERIFY2(set, qPrintable(set ? QString() : set.error().message));
    QCOMPARE(state.toText(), expected);
}

void tst_StudioState::newClusterId()
{
    static const QRegularExpression pattern(u"^[0-9a-f]{20}$"_s);
    const QString first = StudioState::newClusterId();
    const QString second = StudioState::newClusterId();
    QVERIFY2(pattern.match(first).hasMatch(), qPrintable(first));
    QVERIFY2(pattern.match(second).hasMatch(), qPrintable(second));
    QVERIFY(first != second);

    StudioState state = StudioState::empty();
    ClusterDefinition cluster;
    cluster.id = first;
    cluster.hostname = u"localhost"_s;
    QVERIFY(state.setCluster(cluster));
    QCOMPARE(state.cluster(first), cluster);
}

void tst_StudioState::emptyState()
{
    QCOMPARE(StudioState::empty().toText(), QByteArray("version = 1\n"));
    QVERIFY(StudioState::empty().clusters().isEmpty());
    QCOMPARE(StudioState().toText(), StudioState::empty().toText());
}

void tst_StudioState::saveWritesBackupAndKeepsMode()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"studio.hcl"_s);
    writeFile(path, HandEdited);
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), 0640), 0);

    Result<StudioState> state = StudioState::load(path);
    QVERIFY(state);
    ClusterDefinition cluster = *state->cluster(u"prod-1"_s);
    cluster.port = 9443;
    QVERIFY(state->setCluster(cluster));

    // An invalid edit is refused and leaves nothing to save.
    ClusterDefinition broken = cluster;
    broken.hostname.clear();
    QVERIFY(!state->setCluster(broken));

    const Result<void> saved = state->save(path);
    QVERIFY2(saved, qPrintable(saved ? QString() : saved.error().message));
    QCOMPARE(contentOf(path), state->toText());
    QCOMPARE(contentOf(path), QByteArray(HandEdited).replace("*/ 8443", "*/ 9443"));
    QCOMPARE(contentOf(path + u".bak"_s), HandEdited);
    struct stat info = {};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &info), 0);
    QCOMPARE(info.st_mode & 07777, mode_t(0640));
    QCOMPARE(::stat(QFile::encodeName(path + u".bak"_s).constData(), &info), 0);
    QCOMPARE(info.st_mode & 07777, mode_t(0640));

    // Nothing else is left in the folder: the new content was renamed into place.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden, QDir::Name),
            QStringList({ u"studio.hcl"_s, u"studio.hcl.bak"_s }));
    const Result<StudioState> reloaded = StudioState::load(path);
    QVERIFY(reloaded);
    QCOMPARE(reloaded->cluster(u"prod-1"_s), cluster);
}

void tst_StudioState::saveNewFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"studio.hcl"_s);

    const Result<void> saved = StudioState::empty().save(path);
    QVERIFY2(saved, qPrintable(saved ? QString() : saved.error().message));
    QCOMPARE(contentOf(path), QByteArray("version = 1\n"));
    QVERIFY(!QFile::exists(path + u".bak"_s));
}

void tst_StudioState::saveFailureLeavesFileUntouched()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"studio.hcl"_s);
    writeFile(path, Sample);

    // A folder where the backup must go: the backup fails, so the file is not replaced.
    QVERIFY(QDir(dir.path()).mkdir(u"studio.hcl.bak"_s));
    StudioState state = parsed(Sample);
    QVERIFY(state.removeCluster(u"a1b2c3"_s));
    const Result<void> saved = state.save(path);
    QVERIFY(!saved);
    QCOMPARE(saved.error().code, ErrorCode::ConfigUnwritable);
    QVERIFY2(saved.error().message.contains(path), qPrintable(saved.error().message));
    QCOMPARE(contentOf(path), Sample);

    // A folder that does not exist: nothing is created.
    const QString missing = dir.filePath(u"nowhere/studio.hcl"_s);
    QVERIFY(!state.save(missing));
    QVERIFY(!QFile::exists(missing));
}

void tst_StudioState::loadMissing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"studio.hcl"_s);
    const Result<StudioState> state = StudioState::load(path);
    QVERIFY(!state);
    QCOMPARE(state.error().code, ErrorCode::ConfigUnreadable);
    QVERIFY2(state.error().message.contains(path), qPrintable(state.error().message));
}

void tst_StudioState::loadReportsPath()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"studio.hcl"_s);
    writeFile(path, "version = 1\ncluster \"a\" {\n  port = \"x\"\n}\n");
    const Result<StudioState> state = StudioState::load(path);
    QVERIFY(!state);
    QCOMPARE(state.error().code, ErrorCode::ConfigSyntax);
    QVERIFY2(state.error().message.startsWith(path + u":3:10: "_s),
            qPrintable(state.error().message));
}

QTEST_GUILESS_MAIN(tst_StudioState)
#include "tst_studiostate.moc"
