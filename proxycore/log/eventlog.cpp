#include "log/eventlog.h"

#include <QDir>
#include <QMutexLocker>

using namespace Qt::StringLiterals;

namespace StudioProxy {

EventLog::EventLog(QObject *parent)
    : QObject(parent)
{ }

EventLog::~EventLog() = default;

Result<std::unique_ptr<QFile>> EventLog::openFile(const QString &path) const
{
    // Unbuffered and in append mode: each line is one write(2) at the end of the file, so
    // lines are never interleaved or held back, and a rename of the file under us is safe.
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        return Error { ErrorCode::LogUnwritable,
            u"cannot write %1: %2"_s.arg(path, file->errorString()) };
    }
    return { std::move(file) };
}

Result<void> EventLog::open(const QString &folder)
{
    if (!QDir().mkpath(folder)) {
        return Error { ErrorCode::LogUnwritable, u"cannot create the log folder %1"_s.arg(folder) };
    }
    Result<std::unique_ptr<QFile>> file =
            openFile(QDir(folder).absoluteFilePath(QString::fromLatin1(FileName)));
    if (!file)
        return file.error();

    const QMutexLocker locker(&m_mutex);
    m_file = std::move(file).value();
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
    return m_file ? m_file->fileName() : QString();
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
