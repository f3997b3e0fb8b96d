#include "logfollower.h"

#include <QFile>
#include <QTimer>

#include <sys/stat.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

// Lives on the follower's thread; its signals reach LogFollower's thread queued.
class LogFollower::Reader final : public QObject
{
    Q_OBJECT
public:
    Reader()
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(PollIntervalMs);
        connect(m_timer, &QTimer::timeout, this, &Reader::poll);
    }

    void follow(const QString &path)
    {
        m_file.close();
        m_path = path;
        m_partial.clear();
        m_inode = 0;
        m_reportedMissing = false;
        emit reset(path);
        if (path.isEmpty()) {
            m_timer->stop();
            return;
        }
        poll();
        m_timer->start();
    }

signals:
    void reset(const QString &path);
    void linesAppended(const QStringList &lines);
    void problem(const QString &message);

private:
    void poll()
    {
        struct stat info
        { };

        if (::stat(QFile::encodeName(m_path).constData(), &info) != 0) {
            if (!m_reportedMissing)
                emit problem(tr("%1 does not exist (yet)").arg(m_path));
            m_reportedMissing = true;
            m_file.close();
            return;
        }
        // A new inode: logrotate moved the file away; a smaller size: it was truncated.
        const quint64 inode = quint64(info.st_ino);
        const bool replaced =
                m_file.isOpen() && (inode != m_inode || qint64(info.st_size) < m_file.pos());
        if (replaced) {
            m_file.close();
            m_partial.clear();
            emit reset(m_path); // what was shown belongs to the old file
        }
        if (!m_file.isOpen()) {
            m_file.setFileName(m_path);
            if (!m_file.open(QIODevice::ReadOnly)) {
                if (!m_reportedMissing)
                    emit problem(tr("cannot read %1: %2").arg(m_path, m_file.errorString()));
                m_reportedMissing = true;
                return;
            }
            m_reportedMissing = false;
            m_inode = inode;
            if (!replaced && m_file.size() > InitialTailBytes) {
                m_file.seek(m_file.size() - InitialTailBytes);
                m_file.readLine(); // the rest of a line cut in the middle
            }
        }
        const QByteArray data = m_file.readAll();
        if (data.isEmpty())
            return;
        m_partial += data;
        const qsizetype end = m_partial.lastIndexOf('\n');
        if (end < 0)
            return;
        QStringList lines;
        for (const QByteArray &line : m_partial.left(end).split('\n'))
            lines << QString::fromUtf8(line);
        m_partial.remove(0, end + 1);
        emit linesAppended(lines);
    }

    QTimer *m_timer;
    QString m_path;
    QFile m_file;
    QByteArray m_partial;
    quint64 m_inode = 0;
    bool m_reportedMissing = false;
};

LogFollower::LogFollower(QObject *parent)
    : QObject(parent)
    , m_reader(new Reader)
{
    m_thread.setObjectName(u"studio-proxy log follower"_s);
    m_reader->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_reader, &QObject::deleteLater);
    connect(m_reader, &Reader::reset, this, &LogFollower::reset);
    connect(m_reader, &Reader::linesAppended, this, &LogFollower::linesAppended);
    connect(m_reader, &Reader::problem, this, &LogFollower::problem);
    m_thread.start();
}

LogFollower::~LogFollower()
{
    m_thread.quit();
    m_thread.wait();
}

void LogFollower::follow(const QString &path)
{
    QMetaObject::invokeMethod(m_reader, [reader = m_reader, path] { reader->follow(path); });
}

} // namespace StudioProxy

#include "logfollower.moc"
