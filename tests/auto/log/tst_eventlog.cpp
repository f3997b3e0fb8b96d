#include "log/eventlog.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// websocket_proxy.log and its rotation: logrotate renames the file, then sends SIGHUP, and the
// proxy reopens the file by name. Every line written around that must land, whole and once,
// in the renamed file or in the new one.
class tst_EventLog : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void linesAreAppended();
    void reopenSplitsLinesBetweenTheTwoFiles();
    void reopenUnderConcurrentWriters_data();
    void reopenUnderConcurrentWriters();
    void failedReopenKeepsTheOpenFile();
    void reopenBeforeOpenFails();
    void linkInTheFilesPlaceIsNotFollowed();
    void fifoInTheFilesPlaceIsRefused();

private:
    QString logPath() const { return m_dir->filePath(QString::fromLatin1(EventLog::FileName)); }

    QString rotatedPath() const { return logPath() + u".1"_s; }

    static QStringList messagesIn(const QString &path);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_EventLog::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

// The message part of each line, after checking that the line is whole: time, level, text.
QStringList tst_EventLog::messagesIn(const QString &path)
{
    static const QRegularExpression line(
            u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (INFO |WARN |ERROR) (.+)$"_s);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromUtf8(file.readAll());
    if (!text.isEmpty() && !text.endsWith(u'\n'))
        return { u"(the file ends in the middle of a line)"_s };

    QStringList messages;
    for (const QString &each : text.split(u'\n', Qt::SkipEmptyParts)) {
        const QRegularExpressionMatch match = line.match(each);
        messages << (match.hasMatch() ? match.captured(2) : u"(malformed) "_s + each);
    }
    return messages;
}

void tst_EventLog::linesAreAppended()
{
    QFile earlier(logPath());
    QVERIFY(earlier.open(QIODevice::WriteOnly));
    earlier.write(EventLog::formatLine(
            QDateTime::currentDateTimeUtc(), EventLog::Level::Info, u"from an earlier run"_s)
                          .toUtf8());
    earlier.close();

    EventLog log;
    QVERIFY(log.open(m_dir->path()).ok());
    QCOMPARE(log.filePath(), logPath());
    log.warning(u"second"_s);

    QCOMPARE(messagesIn(logPath()), QStringList({ u"from an earlier run"_s, u"second"_s }));
}

void tst_EventLog::reopenSplitsLinesBetweenTheTwoFiles()
{
    EventLog log;
    QVERIFY(log.open(m_dir->path()).ok());
    log.info(u"before the rename"_s);

    // What logrotate does: rename the file, then (postrotate) signal the proxy.
    QVERIFY(QFile::rename(logPath(), rotatedPath()));
    log.info(u"between the rename and the reopen"_s);
    const Result<void> reopened = log.reopen();
    QVERIFY2(reopened.ok(), qPrintable(reopened.ok() ? QString() : reopened.error().message));
    log.info(u"after the reopen"_s);

    QCOMPARE(messagesIn(rotatedPath()),
            QStringList({ u"before the rename"_s, u"between the rename and the reopen"_s }));
    QCOMPARE(messagesIn(logPath()), QStringList({ u"after the reopen"_s }));
    QCOMPARE(log.filePath(), logPath());
}

void tst_EventLog::reopenUnderConcurrentWriters_data()
{
    QTest::addColumn<int>("writers");
    QTest::addColumn<int>("rotations");

    QTest::newRow("one writer, one rotation") << 1 << 1;
    QTest::newRow("four writers, one rotation") << 4 << 1;
    QTest::newRow("four writers, five rotations") << 4 << 5;
}

// Writers on other threads keep logging while the file is renamed and reopened several times.
// Each line must be in exactly one file, whole, and each writer's lines in their order.
void tst_EventLog::reopenUnderConcurrentWriters()
{
    QFETCH(int, writers);
    QFETCH(int, rotations);

    EventLog log;
    QVERIFY(log.open(m_dir->path()).ok());

    std::atomic<int> written { 0 };
    std::atomic<bool> stop { false };
    std::vector<std::thread> threads;
    std::vector<int> counts(writers, 0);
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            while (!stop.load()) {
                log.info(u"writer %1 line %2"_s.arg(w).arg(counts[w]++));
                written.fetch_add(1);
            }
        });
    }
    const auto waitForMoreLines = [&](int more) {
        const int target = written.load() + more;
        while (written.load() < target)
            std::this_thread::yield();
    };

    // Files are renamed the way logrotate numbers them: .1 becomes .2, the current one .1.
    QStringList files { logPath() };
    for (int r = 1; r <= rotations; ++r) {
        waitForMoreLines(500);
        for (int n = r - 1; n >= 1; --n)
            QVERIFY(QFile::rename(logPath() + u".%1"_s.arg(n), logPath() + u".%1"_s.arg(n + 1)));
        QVERIFY(QFile::rename(logPath(), rotatedPath()));
        waitForMoreLines(500);
        QVERIFY(log.reopen().ok());
        files.prepend(logPath() + u".%1"_s.arg(r));
    }
    waitForMoreLines(500);
    stop = true;
    for (std::thread &thread : threads)
        thread.join();

    std::vector<int> next(writers, 0); // the line each writer must have logged next
    int total = 0;
    for (const QString &file : std::as_const(files)) {
        const QStringList messages = messagesIn(file);
        QVERIFY2(!messages.isEmpty(), qPrintable(file + u" is empty"_s));
        for (const QString &message : messages) {
            static const QRegularExpression pattern(u"^writer (\\d+) line (\\d+)$"_s);
            const QRegularExpressionMatch match = pattern.match(message);
            QVERIFY2(match.hasMatch(), qPrintable(u"in %1: %2"_s.arg(file, message)));
            const int w = match.captured(1).toInt();
            QCOMPARE(match.captured(2).toInt(), next[w]);
            ++next[w];
            ++total;
        }
    }
    for (int w = 0; w < writers; ++w)
        QCOMPARE(next[w], counts[w]);
    QCOMPARE(total, written.load());
}

void tst_EventLog::failedReopenKeepsTheOpenFile()
{
    EventLog log;
    QVERIFY(log.open(m_dir->path()).ok());
    log.info(u"one"_s);
    QVERIFY(QFile::rename(logPath(), rotatedPath()));

    // A folder in the file's place cannot be opened for writing, not even by root.
    QVERIFY(QDir(m_dir->path()).mkdir(QString::fromLatin1(EventLog::FileName)));
    const Result<void> reopened = log.reopen();
    QVERIFY(!reopened.ok());
    QCOMPARE(reopened.error().code, ErrorCode::LogUnwritable);
    QVERIFY2(reopened.error().message.contains(logPath()), qPrintable(reopened.error().message));

    log.info(u"two"_s);
    QCOMPARE(messagesIn(rotatedPath()), QStringList({ u"one"_s, u"two"_s }));
}

void tst_EventLog::reopenBeforeOpenFails()
{
    EventLog log;
    const Result<void> reopened = log.reopen();
    QVERIFY(!reopened.ok());
    QCOMPARE(reopened.error().code, ErrorCode::LogUnwritable);
    log.info(u"nowhere to go, and no crash"_s);
}

// Whoever can write to the log folder must not make the proxy (root, as a service) append to
// a file of their choosing.
void tst_EventLog::linkInTheFilesPlaceIsNotFollowed()
{
    const QString target = m_dir->filePath(u"precious"_s);
    {
        QFile file(target);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("keep me\n");
    }
    QVERIFY(QFile::link(target, logPath()));

    EventLog log;
    const Result<void> opened = log.open(m_dir->path());
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, ErrorCode::LogUnwritable);
    QVERIFY2(opened.error().message.contains(u"symbolic link"_s),
            qPrintable(opened.error().message));
    log.info(u"not written anywhere"_s);

    QFile file(target);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("keep me\n"));
}

// A FIFO would block the open until something reads it: it is refused at once instead.
void tst_EventLog::fifoInTheFilesPlaceIsRefused()
{
    QCOMPARE(::mkfifo(QFile::encodeName(logPath()).constData(), 0600), 0);
    EventLog log;
    const Result<void> opened = log.open(m_dir->path());
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, ErrorCode::LogUnwritable);
    QVERIFY2(opened.error().message.contains(logPath()), qPrintable(opened.error().message));
    QVERIFY2(opened.error().message.contains(u"not a regular file"_s),
            qPrintable(opened.error().message));
}

QTEST_GUILESS_MAIN(tst_EventLog)
#include "tst_eventlog.moc"
