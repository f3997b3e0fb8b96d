#include "log/eventlog.h"

#include <QDir>
#include <QMutexLocker>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

EventLog::EventLog(QObject *parent)
    : QObject(parent)
{ }

EventLog::~EventLog() = default;

Result<std::unique_ptr<QFile>> EventLog::openFile(const QString &path) const
{
    const auto refuse = [&path](const QString &why) {
        return Error { ErrorCode::LogUnwritable, u"cannot write %1: %2"_s.arg(path, why) };
    };
    // The log folder may be writable by others than the proxy (the engine's user, say), and
    // the proxy may run as root: a link put in the file's place is not followed, and only a
    // regular file is written (opening a FIFO without O_NONBLOCK would wait for a reader).
    const int fd = ::open(QFile::encodeName(path).constData(),
            O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
            0666);
    if (fd < 0) {
        if (errno == ELOOP)
            return refuse(u"it is a symbolic link, and the log is not written through links"_s);
        if (errno == ENXIO) // a FIFO nothing reads, or a socket
            return refuse(u"not a regular file"_s);
        return refuse(QString::fromLocal8Bit(std::strerror(errno)));
    }
    struct stat status = {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        return refuse(u"not a regular file"_s);
    }
    // Unbuffered and in append mode: each line is one write(2) at the end of the file, so
    // lines are never interleaved or held back, and a rename of the file under us is safe.
    auto file = std::make_unique<QFile>();
    if (!file->open(fd,
                QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered,
                QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return refuse(file->errorString());
    }
    return { std::move(file) };
}

Result<void> EventLog::open(const QString &folder)
{
    if (!QDir().mkpath(folder)) {
        return Error { ErrorCode::LogUnwritable, u"cannot create the log folder %1"_s.arg(folder) };
    }
    const QString path = QDir(folder).absoluteFilePath(QString::fromLatin1(FileName));
    Result<std::unique_ptr<QFile>> file = openFile(path);
    if (!file)
        return file.error();

    const QMutexLocker locker(&m_mutex);
    m_file = std::move(file).value();
    m_path = path;
    return {};
}

Result<void> EventLog::reopen()
{
    const QString path = filePath();
    if (path.isEmpty())
        return Error { ErrorCode::LogUnwritable, u"the log was never opened"_s };

    // The new file is opened before the old one is let go: should it fail (a full disk, a
    // folder whose permissions changed), lines keep going to the file already open.
    Result<std::unique_ptr<QFile>> file = openFile(path);
    if (!file)
        return file.error();

    const QMutexLocker locker(&m_mutex);
    m_file = std::move(file).value();
    return {};
}

QString EventLog::filePath() const
{
    const QMutexLocker locker(&m_mutex);
    return m_path;
}

QString EventLog::formatLine(const QDateTime &time, Level level, const QString &message)
{
    static const char *const names[] = { "INFO ", "WARN ", "ERROR" };
    return u"%1 %2 %3\n"_s.arg(
            time.toString(Qt::ISODateWithMs), QLatin1StringView(names[int(level)]), message);
}

void EventLog::write(Level level, const QString &message)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray line = formatLine(now, level, message).toUtf8();
    {
        const QMutexLocker locker(&m_mutex);
        if (m_file)
            m_file->write(line);
    }
    emit eventLogged(now, level, message);
}

} // namespace StudioProxy
