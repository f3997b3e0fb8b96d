#pragma once

#include "util/result.h"

#include <QDateTime>
#include <QFile>
#include <QMutex>
#include <QObject>

#include <memory>

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
    ~EventLog() override;

    // Creates the folder if needed and appends to <folder>/websocket_proxy.log.
    Result<void> open(const QString &folder);

    // Opens the file by its name again, for log rotation: after logrotate has renamed the
    // file, lines written before this call land in the renamed file and lines written after
    // it in the new one. When the new file cannot be opened, the old one stays in use.
    Result<void> reopen();

    QString filePath() const;

    void info(const QString &message) { write(Level::Info, message); }

    void warning(const QString &message) { write(Level::Warning, message); }

    void error(const QString &message) { write(Level::Error, message); }

    // Safe to call from any thread, also while another thread reopens the file.
    void write(Level level, const QString &message);

    static QString formatLine(const QDateTime &time, Level level, const QString &message);

signals:
    void eventLogged(
            const QDateTime &time, StudioProxy::EventLog::Level level, const QString &message);

private:
    Result<std::unique_ptr<QFile>> openFile(const QString &path) const;

    mutable QMutex m_mutex; // guards m_file: a reopen swaps it under writers
    std::unique_ptr<QFile> m_file; // opened by descriptor: it does not know its name
    QString m_path;
};

} // namespace StudioProxy
