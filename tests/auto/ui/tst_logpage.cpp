#include "logmodel.h"
#include "logpage.h"
#include "testsupport/testsupport.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The Log page on a real websocket_proxy.log: followed as it grows and when it is rotated,
// filtered by level and text, selected lines copied as they are in the file.
class tst_LogPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void followsTheFile();
    void filters();
    void copiesLines();
    void followsRotation();

private:
    void append(const QByteArray &lines);

    QTemporaryDir m_dir;
    QString m_path;
    std::unique_ptr<LogPage> m_page;
};

void tst_LogPage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_path = m_dir.filePath(u"tracelogs/websocket_proxy.log"_s);
    TestSupport::writeFile(m_path,
            "2026-12-03T16:49:12.229Z INFO  serving wss on port 8443, ready in 2.10 ms\n"
            "2026-12-03T16:49:13.001Z INFO  connection 1 opened: client 127.0.0.1:33506, "
            "origin (none), path /\n"
            "2026-12-03T16:49:14.500Z WARN  TLS handshake with 10.0.0.9:5000 failed: no "
            "shared cipher\n");
    m_page = std::make_unique<LogPage>();
    m_page->show();
    m_page->follow(m_path);
}

void tst_LogPage::append(const QByteArray &lines)
{
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::Append));
    file.write(lines);
}

void tst_LogPage::followsTheFile()
{
    QTRY_COMPARE(m_page->model()->rowCount(), 3);
    // Half a line waits for its end.
    append("2026-12-03T16:49:15.000Z ERROR RESTART PROXY failed: port 8443 is in use; still ");
    QTest::qWait(600);
    QCOMPARE(m_page->model()->rowCount(), 3);
    append("serving ws on port 8080\n"
           "2026-12-03T16:49:16.000Z INFO  connection 1 closed: code 1000 (engine closed the "
           "connection); client to engine 171 B, engine to client 208 B, 0.006 s\n");
    QTRY_COMPARE(m_page->model()->rowCount(), 5);
    QCOMPARE(m_page->model()->index(3, 0).data().toString(),
            u"2026-12-03T16:49:15.000Z ERROR RESTART PROXY failed: port 8443 is in use; still "
            "serving ws on port 8080"_s);
    QVERIFY(m_page->findChild<QLabel *>(u"logFileLabel"_s)->text().contains(m_path));
}

void tst_LogPage::filters()
{
    auto *level = m_page->findChild<QComboBox *>(u"levelFilter"_s);
    auto *text = m_page->findChild<QLineEdit *>(u"textFilter"_s);
    auto *view = m_page->findChild<QListView *>(u"logView"_s);
    QCOMPARE(view->model()->rowCount(), 5);

    level->setCurrentIndex(2); // errors only
    QCOMPARE(view->model()->rowCount(), 1);
    QVERIFY(view->model()->index(0, 0).data().toString().contains(u"RESTART PROXY failed"_s));
    level->setCurrentIndex(1); // warnings and errors
    QCOMPARE(view->model()->rowCount(), 2);

    level->setCurrentIndex(0);
    QTest::keyClicks(text, u"CONNECTION 1"_s); // case does not matter
    QCOMPARE(view->model()->rowCount(), 2);
    text->clear();
    QCOMPARE(view->model()->rowCount(), 5);
}

void tst_LogPage::copiesLines()
{
    auto *view = m_page->findChild<QListView *>(u"logView"_s);
    view->selectionModel()->select(view->model()->index(2, 0), QItemSelectionModel::Select);
    view->selectionModel()->select(view->model()->index(0, 0), QItemSelectionModel::Select);
    QApplication::clipboard()->clear();
    QTest::mouseClick(m_page->findChild<QPushButton *>(u"copyButton"_s), Qt::LeftButton);
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    // In file order, whatever order they were selected in.
    QCOMPARE(QApplication::clipboard()->text(),
            QString::fromUtf8(lines.at(0) + '\n' + lines.at(2) + '\n'));
}

void tst_LogPage::followsRotation()
{
    // logrotate: the file moves away, a new one takes its name.
    QVERIFY(QFile::rename(m_path, m_path + u".1"_s));
    TestSupport::writeFile(m_path, "2026-12-04T00:00:00.000Z INFO  after rotation\n");
    QTRY_COMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->model()->index(0, 0).data().toString(),
            u"2026-12-04T00:00:00.000Z INFO  after rotation"_s);
}

QTEST_MAIN(tst_LogPage)
#include "tst_logpage.moc"
