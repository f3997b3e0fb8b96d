#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

class QProcess;

namespace StudioProxy {

// Studio's systemd service as its Debian and RPM packages install it (singlestoredb-studio).
// Studio reads studio.hcl only when it starts, so the Clusters page offers to restart it after
// a change. Both steps run systemctl as a child process and report through signals: the GUI
// thread never waits on systemd (or on the password prompt a restart may raise).
class ClustersStudioService : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *Unit = "singlestoredb-studio";

    explicit ClustersStudioService(QObject *parent = nullptr);
    ~ClustersStudioService() override;

    // The service manager's command line tool; "systemctl" (from PATH) unless changed.
    void setSystemctl(const QString &program) { m_systemctl = program; }

    QString systemctl() const { return m_systemctl; }

    // What an admin types to restart Studio, shown on the page whether or not it can run here.
    static QString restartCommand();

    // Asks systemd whether the unit is installed; detected() follows. A second call while
    // one runs does nothing.
    void detect();

    bool isDetecting() const { return m_detect != nullptr; }

    // Runs "systemctl restart singlestoredb-studio"; restartFinished() follows.
    void restart();

    bool isRestarting() const { return m_restart != nullptr; }

signals:
    // installed: the unit exists. sentence says what was found, for the page to show.
    void detected(bool installed, const QString &sentence);
    void restartFinished(bool ok, const QString &sentence);

private:
    QProcess *start(const QStringList &arguments);
    static void stop(QProcess *process);
    static QString outputOf(QProcess *process);

    QString m_systemctl = QStringLiteral("systemctl");
    QProcess *m_detect = nullptr;
    QProcess *m_restart = nullptr;
};

} // namespace StudioProxy
