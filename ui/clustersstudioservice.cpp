#include "clustersstudioservice.h"

#include <QProcess>

using namespace Qt::StringLiterals;

namespace StudioProxy {

ClustersStudioService::ClustersStudioService(QObject *parent)
    : QObject(parent)
{ }

// A page closed while systemctl runs: no one waits for its answer any more. A restart that
// systemd accepted goes on without systemctl.
ClustersStudioService::~ClustersStudioService()
{
    stop(m_detect);
    stop(m_restart);
}

void ClustersStudioService::stop(QProcess *process)
{
    if (!process)
        return;
    process->disconnect();
    process->kill();
    process->waitForFinished(1000);
}

QString ClustersStudioService::restartCommand()
{
    return u"systemctl restart %1"_s.arg(QLatin1StringView(Unit));
}

QProcess *ClustersStudioService::start(const QStringList &arguments)
{
    auto *process = new QProcess(this);
    process->setProgram(m_systemctl);
    process->setArguments(arguments);
    // Nothing to type into: a prompt for a password goes to polkit's own agent, not to us.
    process->setStandardInputFile(QProcess::nullDevice());
    process->start();
    return process;
}

// What systemctl said on stderr (else stdout), in one line.
QString ClustersStudioService::outputOf(QProcess *process)
{
    QByteArray output = process->readAllStandardError().trimmed();
    if (output.isEmpty())
        output = process->readAllStandardOutput().trimmed();
    return QString::fromLocal8Bit(output).simplified();
}

void ClustersStudioService::detect()
{
    if (m_detect)
        return;
    const QString unit = QLatin1StringView(Unit) + u".service"_s;
    m_detect = start({ u"show"_s, u"--property=LoadState"_s, u"--value"_s, unit });
    QProcess *process = m_detect;
    connect(process, &QProcess::finished, this, [this, process, unit] {
        const QString state = QString::fromLocal8Bit(process->readAllStandardOutput()).trimmed();
        const bool ok = process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0;
        m_detect = nullptr;
        process->deleteLater();
        if (ok && state == u"loaded") {
            emit detected(true, u"%1 is installed here."_s.arg(unit));
        } else if (ok) {
            emit detected(false,
                    u"%1 is not installed here: restart Studio the way it was started."_s.arg(
                            unit));
        } else {
            emit detected(false,
                    u"systemd cannot tell whether %1 is installed (%2): restart Studio the way "
                    "it was started."_s.arg(unit, outputOf(process)));
        }
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart)
            return;
        m_detect = nullptr;
        process->deleteLater();
        emit detected(false,
                u"%1 cannot run (%2): restart Studio the way it was started."_s.arg(
                        m_systemctl, process->errorString()));
    });
}

void ClustersStudioService::restart()
{
    if (m_restart)
        return;
    m_restart = start({ u"restart"_s, QLatin1StringView(Unit) });
    QProcess *process = m_restart;
    connect(process, &QProcess::finished, this, [this, process] {
        const bool ok = process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0;
        const QString output = outputOf(process);
        m_restart = nullptr;
        process->deleteLater();
        if (ok) {
            emit restartFinished(true, u"Studio restarted; it now reads the new clusters."_s);
        } else {
            emit restartFinished(false,
                    u"%1 failed%2"_s.arg(restartCommand(),
                            output.isEmpty() ? u" (exit code %1)"_s.arg(process->exitCode())
                                             : u": "_s + output));
        }
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart)
            return;
        m_restart = nullptr;
        process->deleteLater();
        emit restartFinished(
                false, u"%1 cannot run: %2"_s.arg(m_systemctl, process->errorString()));
    });
}

} // namespace StudioProxy
