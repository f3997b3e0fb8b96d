#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>

class QFile;
class QTimer;

namespace StudioProxy {

// Follows a log file the way `tail -F` does, on a thread of its own so that a slow disk
// never holds up the window: the last lines at first, then each line appended, starting over
// when the file is truncated or replaced (logrotate).
class LogFollower final : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 InitialTailBytes = 1024 * 1024;
    static constexpr int PollIntervalMs = 250;

    explicit LogFollower(QObject *parent = nullptr);
    ~LogFollower() override;

    // Follows path from now on; an empty path stops following.
    void follow(const QString &path);

signals:
    // On the thread that created the follower.
    void reset(const QString &path);
    void linesAppended(const QStringList &lines);
    void problem(const QString &message);

private:
    class Reader;

    QThread m_thread;
    Reader *m_reader;
};

} // namespace StudioProxy
