#include "testsupport/testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTcpServer>

using namespace Qt::StringLiterals;

namespace TestSupport {

void writeFile(const QString &path, const QByteArray &content)
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        qFatal("cannot create the folder of %s", qPrintable(path));
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || out.write(content) != content.size()) {
        qFatal("cannot write %s", qPrintable(path));
    }
}

QString runOpenssl(const QString &folder, const QString &commandLine, QByteArray *output)
{
    QProcess process;
    process.setWorkingDirectory(folder);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(u"openssl"_s, QProcess::splitCommand(commandLine));
    if (!process.waitForFinished(60000)) {
        // Not started (no openssl on PATH) or still running after a minute: errorString() says.
        const QString reason = process.errorString();
        process.kill();
        process.waitForFinished();
        return u"openssl %1 failed: %2"_s.arg(commandLine, reason);
    }

    if (output)
        *output = process.readAllStandardOutput();
    if (process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0)
        return QString();
    return u"openssl %1 failed: %2"_s.arg(
            commandLine, QString::fromLocal8Bit(process.readAllStandardError()));
}

quint16 freePort()
{
    QTcpServer server;
    return server.listen(QHostAddress::Any, 0) ? server.serverPort() : 0;
}

} // namespace TestSupport
