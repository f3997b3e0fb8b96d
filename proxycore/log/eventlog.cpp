#include "log/eventlog.h"

#include <QDir>

using namespace Qt::StringLiterals;

namespace StudioProxy {

EventLog::EventLog(QObject *parent)
    : QObject(parent)
{ }

Result<void> EventLog::open(const QString &folder)
{
    if (!QDir().mkpath(folder)) {
        return Error { ErrorCode::LogUnwritable, u"cannot create the log folder %1"_s.arg(folder) };
    }
    m_file.setFileName(QDir(folder).absoluteFilePath(QString::fromLatin1(FileName)));
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        return Error { ErrorCode::LogUnwritable,
            u"cannot write %1: %2"_s.arg(m_file.fileName(), m_file.errorString()) };
    }
    return {};
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
    if (m_file.isOpen())
        m_file.write(formatLine(now, level, message).toUtf8());
    emit eventLogged(now, level, message);
}

} // namespace StudioProxy
