#pragma once

#include "util/result.h"

#include <QDateTime>
#include <QFile>
#include <QObject>

namespace StudioProxy {

// The admin-facing event stream: start, stop, listen address, and one line per connection.
// It is written to websocket_proxy.log, one line per event, flushed as it happens, and
// announced through eventLogged() for whoever shows it live.
class EventLog final : public QObject
{
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };
    Q_ENUM(Level)

    static constexpr const char *FileName = "websocket_proxy.log";

    explicit EventLog(QObject *parent = nullptr);

    // Creates the folder if needed and appends to <folder>/websocket_proxy.log.
    Result<void> open(const QString &folder);

    QString filePath() const { return m_file.fileName(); }

    void info(const QString &message) { write(Level::Info, message); }

    void warning(const QString &message) { write(Level::Warning, message); }

    void error(const QString &message) { write(Level::Error, message); }

    void write(Level level, const QString &message);

    static QString formatLine(const QDateTime &time, Level level, const QString &message);

signals:
    void eventLogged(
            const QDateTime &time, StudioProxy::EventLog::Level level, const QString &message);

private:
    QFile m_file;
};

} // namespace StudioProxy
